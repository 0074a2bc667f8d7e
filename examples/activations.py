"""Every activation of the notes' table and its derivative, the derivative computed by glassbox's autograd.

A neuron computes y = Σ wᵢxᵢ + bias and then z = Act(y). Backpropagation multiplies the gradient
by Act'(y) at every layer, so the shape of the derivative decides how well a deep network learns:

    identity     f(x) = x                                  f'(x) = 1
    binary step  f(x) = 0 for x < 0, 1 for x ≥ 0           f'(x) = 0: no learning signal at all
    sigmoid      f(x) = σ(x) = 1 / (1 + e^-x)              f'(x) = σ(x)(1 - σ(x)) ∈ (0, 0.25]: vanishing gradient
    tanh         f(x) = (e^x - e^-x) / (e^x + e^-x)        f'(x) = 1 - tanh²(x) ∈ (0, 1], zero-centred
    ReLU         f(x) = max(0, x)                          f'(x) = 1 for x > 0, 0 below: dead units
    leaky ReLU   f(x) = max(0.01x, x)                      f'(x) = 1 for x > 0, 0.01 below: never dead
    PReLU        f(x) = max(a·x, x), a learned             f'(x) = 1 for x > 0, a below
    ELU          f(x) = x for x > 0, α(e^x - 1) below      f'(x) = 1 for x > 0, f(x) + α below
    swish        f(x) = x·σ(x)  (self-gated)               f'(x) = σ(x)(1 + x(1 - σ(x)))
    softplus     f(x) = ln(1 + e^x)                        f'(x) = σ(x): a smooth ReLU
    GELU         f(x) = x·Φ(x)                             f'(x) = Φ(x) + x·φ(x)
    maxout       f(x) = maxᵢ xᵢ  (here of 3 lines of x)     f'(x) = slope of the line that wins

No derivative is written by hand below: each curve is f(x) for 401 points x, and f'(x) is x.grad after
f(x).sum().backward() (the points are independent, so dΣf/dxᵢ = f'(xᵢ)).

    python examples/activations.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox.nn import functional as F


def maxout_of_lines(x):
    """The notes' maxᵢ xᵢ applied to three linear functions of x: a learned convex piecewise-linear curve."""
    slopes, intercepts = gb.tensor([-0.5, 0.5, 2.0]), gb.tensor([0.0, 0.5, -2.5])
    pieces = x.reshape(-1, 1) * slopes + intercepts  # (points, 3)
    return F.maxout(pieces, 3, dim=1).reshape(-1)  # (points,)


ACTIVATIONS = {
    "identity": lambda x: x * 1.0,
    "binary step": F.binary_step,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "ReLU": F.relu,
    "leaky ReLU": lambda x: F.leaky_relu(x, 0.01),
    "PReLU (a = 0.25)": lambda x: F.prelu(x, gb.tensor([0.25], dtype=x.dtype)),
    "ELU": F.elu,
    "swish": F.silu,
    "softplus": F.softplus,
    "GELU": F.gelu,
    "maxout": maxout_of_lines,
}


def values_and_derivatives(low: float = -4.0, high: float = 4.0, points: int = 401):
    """{name: (x, f(x), f'(x))} as NumPy arrays, f'(x) from autograd."""
    curves = {}
    for name, activation in ACTIVATIONS.items():
        x = gb.linspace(low, high, points, dtype=gb.float64, requires_grad=True)
        y = activation(x)
        y.sum().backward()
        curves[name] = (x.detach().numpy(), y.detach().numpy(), x.grad.numpy())
    return curves


def plot(curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(3, 4, figsize=(14, 9), sharex=True)
    for axis, (name, (x, y, dy)) in zip(axes.flat, curves.items(), strict=True):
        axis.plot(x, y, label="f(x)")
        axis.plot(x, dy, "--", label="f'(x) (autograd)")
        axis.axhline(0, color="grey", linewidth=0.5)
        axis.axvline(0, color="grey", linewidth=0.5)
        axis.set_title(name)
    axes[0][0].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", points: int = 401):
    curves = values_and_derivatives(points=points)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "activations.png"
    plot(curves, path)
    print(f"{'activation':18s} {'f(-2)':>8s} {'f(2)':>8s} {'max |f′|':>9s}")
    for name, (x, y, dy) in curves.items():
        left, right = abs(x + 2).argmin(), abs(x - 2).argmin()
        print(f"{name:18s} {y[left]:8.3f} {y[right]:8.3f} {abs(dy).max():9.3f}")
    sigmoid_peak = curves["sigmoid"][2].max()
    print(f"sigmoid's derivative never exceeds {sigmoid_peak:.3f} (the notes' 0.25): ten sigmoid layers scale "
          f"a gradient by at most 0.25^10 ≈ {0.25 ** 10:.1e}; the binary step passes back no gradient at all.")
    print(f"saved {path}")
    return curves, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
