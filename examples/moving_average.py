"""The exponential moving average: how momentum and Adam smooth noisy gradients.

The notes: SGD's gradients are noisy, "so every time we use SGD, we should try to remove that noise",
with the exponential moving average of the values b₁, b₂, … seen at times t₁, t₂, …:

    V₁ = b₁,   V_t = γ · V_{t-1} + b_t

so with γ = 0.5:  V₂ = 0.5 b₁ + b₂  and  V₃ = γ(γ b₁ + b₂) + b₃ = 0.25 b₁ + 0.5 b₂ + b₃:
every older value counts γ times less. Momentum and Adam use the normalised form, whose weights sum to 1,

    V₀ = 0,   V_t = β · V_{t-1} + (1 - β) · b_t          (= (1 - β) × the notes' sum, with γ = β)

which averages over roughly the last 1 / (1 - β) values (β = 0.9: about 10). Starting from V₀ = 0
pulls the first values toward 0; Adam's bias correction divides that out:

    V̂_t = V_t / (1 - βᵗ)          (a constant series b_t = c gives V̂_t = c from the first step)

This script computes both on a noisy series, checks that Adam's first moment (``exp_avg`` in
``glassbox.optim.Adam``'s state) is this same average of the gradients it was given, and plots the
average for several β.

    python examples/moving_average.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import optim


def notes_moving_average(values, gamma: float) -> list[float]:
    """The notes' form: V₁ = b₁, V_t = γ V_{t-1} + b_t."""
    averages, average = [], 0.0
    for value in values:
        average = gamma * average + value  # V₀ = 0 makes V₁ = b₁
        averages.append(average)
    return averages


def exponential_moving_average(values, beta: float, bias_correction: bool = True) -> list[float]:
    """The normalised form of momentum and Adam: V_t = β V_{t-1} + (1 - β) b_t, divided by 1 - βᵗ if corrected."""
    averages, average = [], 0.0
    for t, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        averages.append(average / (1 - beta**t) if bias_correction else average)
    return averages


def adam_first_moments(gradients, beta1: float = 0.9) -> list[float]:
    """Adam's exp_avg after each step, for a parameter whose gradients are ``gradients`` (loss = b_t · w)."""
    weight = gb.zeros(1, dtype=gb.float64, requires_grad=True)
    optimizer = optim.Adam([weight], lr=0.01, betas=(beta1, 0.999))
    moments = []
    for gradient in gradients:
        optimizer.zero_grad()
        (weight * gradient).sum().backward()  # dL/dw = b_t
        optimizer.step()
        moments.append(optimizer.state[weight]["exp_avg"].item())
    return moments


def noisy_series(length: int, seed: int = 0) -> list[float]:
    """A slow sine wave plus standard normal noise: what mini-batch gradients look like."""
    gb.manual_seed(seed)
    t = gb.arange(length, dtype=gb.float64)
    return (2.0 + (t / 15.0).sin() + 0.7 * gb.randn(length, dtype=gb.float64)).tolist()


def plot(series, averages: dict, uncorrected: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4.5))
    steps = range(1, len(series) + 1)
    axis.plot(steps, series, ".", color="grey", label="noisy values b_t")
    for beta, values in averages.items():
        line, = axis.plot(steps, values, label=f"β = {beta}, bias-corrected")
        if beta in uncorrected:
            axis.plot(steps, uncorrected[beta], "--", color=line.get_color(), label=f"β = {beta}, uncorrected")
    axis.set(xlabel="t", ylabel="value", title="exponential moving average V_t = β V_{t-1} + (1 - β) b_t")
    axis.legend(fontsize="small", ncol=2)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", length: int = 150, betas=(0.5, 0.9, 0.98)):
    b1, b2, b3 = 1.0, 2.0, 3.0
    v3 = notes_moving_average([b1, b2, b3], gamma=0.5)[-1]
    print(f"the notes' example, γ = 0.5, b = ({b1}, {b2}, {b3}):  V₃ = {v3}  = 0.25·b₁ + 0.5·b₂ + b₃ "
          f"= {0.25 * b1 + 0.5 * b2 + b3}")
    series = noisy_series(length)
    averages = {beta: exponential_moving_average(series, beta) for beta in betas}
    uncorrected = {beta: exponential_moving_average(series, beta, bias_correction=False) for beta in betas[1:]}
    adam = adam_first_moments(series, beta1=0.9)
    adam_gap = max(abs(a - b) for a, b in zip(adam, uncorrected[0.9], strict=True))
    print(f"Adam's exp_avg (β₁ = 0.9) equals the uncorrected moving average of its gradients: "
          f"largest difference {adam_gap:.1e}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "moving_average.png"
    plot(series, averages, uncorrected, path)
    for beta in betas:
        jitter = sum(abs(a - b) for a, b in zip(averages[beta][1:], averages[beta][:-1], strict=True)) / (length - 1)
        first = f", uncorrected starts at {uncorrected[beta][0]:.2f}" if beta in uncorrected else ""
        print(f"β = {beta:<5} mean step-to-step change {jitter:.3f}; corrected starts at {averages[beta][0]:.2f}"
              f"{first} (b₁ = {series[0]:.2f})")
    print("A larger β averages over more values (≈ 1 / (1 - β)): smoother but slower to follow; without the "
          "bias correction the average starts near 0.")
    print(f"saved {path}")
    return {"notes_v3": v3, "series": series, "averages": averages, "uncorrected": uncorrected,
            "adam_first_moments": adam, "path": path}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
