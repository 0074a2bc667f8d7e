"""The vanishing gradient: a 10-layer sigmoid network against the same network with ReLU.

The notes: "as the number of layers increases, the derivative value decreases", because by the chain
rule the gradient of an early weight is a product with one factor per later layer,

    dL/dW₁ = dL/dh₁₀ · (dh₁₀/dh₉) ⋯ (dh₂/dh₁) · dh₁/dW₁,     dhₖ₊₁/dhₖ = Act'(zₖ₊₁) · Wₖ₊₁,

and "the derivative of the sigmoid ranges between 0 and 0.25": every sigmoid layer multiplies the
gradient by at most 0.25 (times the weights), so it shrinks geometrically toward the input layer and
the first layers barely learn ("old weight and new weight are matching"). ReLU's derivative is 1 for
active units, so with weights of the right scale (He initialisation) the gradient keeps its size.

Both networks below have the same widths and the same initial weights (He normal, σ = √(2 / fan_in));
only the activation differs. One backward pass of the cross-entropy on a batch of digits gives each
Linear layer's gradient norm ‖∇W‖₂ (``glassbox.train.diagnostics.gradient_norms``).

    python examples/vanishing_gradient.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import nn
from glassbox.data import StandardScaler, datasets
from glassbox.train.diagnostics import gradient_norms


def deep_network(activation, depth: int = 10, width: int = 64, inputs: int = 64, classes: int = 10):
    """``depth`` Linear layers, ``activation`` after each but the last, He-normal weights and zero biases."""
    layers, fan_in = [], inputs
    for index in range(depth):
        last = index == depth - 1
        linear = nn.Linear(fan_in, classes if last else width)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers += [linear] if last else [linear, activation()]
        fan_in = width
    return nn.Sequential(*layers)


def layer_gradient_norms(activation, inputs, targets, depth: int = 10, seed: int = 0) -> list[float]:
    """‖∇W‖₂ of each Linear layer, input layer first, after one backward pass of the cross-entropy."""
    gb.manual_seed(seed)  # the same seed: the same weights for every activation
    model = deep_network(activation, depth)
    nn.functional.cross_entropy(model(inputs), targets).backward()
    return list(gradient_norms(model).values())


def plot(norms: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, values in norms.items():
        axis.plot(range(1, len(values) + 1), values, "o-", label=name)
    axis.set(yscale="log", xlabel="layer (1 = next to the input)", ylabel="gradient L2 norm ‖∇W‖",
             title="gradient norm per layer, one backward pass")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", depth: int = 10, samples: int = 256):
    digits = datasets.Digits(train=True)
    inputs = StandardScaler().fit_transform(digits.data)[:samples]  # (samples, 64)
    targets = digits.targets[:samples]
    norms = {name: layer_gradient_norms(activation, inputs, targets, depth)
             for name, activation in (("sigmoid", nn.Sigmoid), ("ReLU", nn.ReLU))}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "vanishing_gradient.png"
    plot(norms, path)
    print("layer   sigmoid ‖∇W‖   ReLU ‖∇W‖")
    for layer, (sigmoid, relu) in enumerate(zip(norms["sigmoid"], norms["ReLU"], strict=True), start=1):
        print(f"{layer:5d}   {sigmoid:12.2e}   {relu:10.2e}")
    sigmoid, relu = norms["sigmoid"], norms["ReLU"]
    print(f"from the last layer to the first, the sigmoid network's gradient shrinks {sigmoid[-1] / sigmoid[0]:.0e}x, "
          f"the ReLU network's {relu[-1] / relu[0]:.1f}x; at the input layer the sigmoid gradient is "
          f"{relu[0] / sigmoid[0]:.0e}x smaller than ReLU's.")
    print(f"saved {path}")
    return norms, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
