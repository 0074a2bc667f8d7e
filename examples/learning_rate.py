"""The learning rate: too small, good, too large.

Gradient descent updates every weight by  w_new = w_old - η · dL/dw_old,  η the learning rate. The notes:
"if we take a small learning rate value, then it will take more time to reach global minima point. If we
take a high learning rate value … it will start jumping between -ve slope and +ve slope, and it may never
reach the global minima point."

Two pictures of it:

- on the parabola L(w) = w², where dL/dw = 2w and so w_new = (1 - 2η) · w_old: a small η creeps toward 0,
  a good one gets there in a few steps, and η > 1 makes |1 - 2η| > 1: w flips sign every step (from
  the -ve slope to the +ve slope and back) and moves away;
- a 64 → 32 (tanh) → 10 network on the digits, trained with SGD (mini-batches of 64) at each rate:
  the training loss per epoch.

    python examples/learning_rate.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import StandardScaler, datasets
from glassbox.train import Trainer

PARABOLA_RATES = {"too small": 0.05, "good": 0.4, "too large": 1.05}
NETWORK_RATES = {"too small": 0.001, "good": 0.5, "too large": 30.0}


def descend_parabola(learning_rate: float, start: float = 2.0, steps: int = 8) -> list[float]:
    """The points w visits descending L(w) = w² from ``start``, the gradient from autograd."""
    w = gb.tensor(start, requires_grad=True)
    path = [start]
    for _ in range(steps):
        w.grad = None
        (w**2).backward()
        with gb.no_grad():
            w -= learning_rate * w.grad  # w_new = w_old - η · dL/dw
        path.append(w.item())
    return path


def train_digits(learning_rate: float, epochs: int, seed: int = 0) -> list[float]:
    """Training loss per epoch of the digits network trained with SGD at ``learning_rate``."""
    digits = datasets.Digits(train=True)
    inputs = StandardScaler().fit_transform(digits.data)
    gb.manual_seed(seed)  # the same initial weights and batches for every rate
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=learning_rate))
    return trainer.fit((inputs, digits.targets), epochs=epochs, batch_size=64, verbose=0)["loss"]


def plot(paths: dict, losses: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (parabola, curves) = plt.subplots(1, 2, figsize=(12, 4.5))
    w = [x / 20 for x in range(-90, 91)]
    parabola.plot(w, [v * v for v in w], color="grey", linewidth=1)
    for name, points in paths.items():
        parabola.plot(points, [p * p for p in points], "o-", label=f"{name}: η = {PARABOLA_RATES[name]}")
    parabola.set(xlim=(-4.5, 4.5), ylim=(-0.5, 20.5), xlabel="w", ylabel="L(w) = w²", title="gradient descent on w²")
    parabola.legend(fontsize="small", loc="lower left")
    for name, values in losses.items():
        curves.plot(range(1, len(values) + 1), values, "o-", label=f"{name}: η = {NETWORK_RATES[name]}")
    curves.set(yscale="log", xlabel="epoch", ylabel="training loss", title="digits network, SGD")
    curves.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", epochs: int = 10):
    paths = {name: descend_parabola(rate) for name, rate in PARABOLA_RATES.items()}
    losses = {name: train_digits(rate, epochs) for name, rate in NETWORK_RATES.items()}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "learning_rate.png"
    plot(paths, losses, path)
    for name in PARABOLA_RATES:
        print(f"{name:9s}  parabola: w after {len(paths[name]) - 1} steps = {paths[name][-1]:+.3f}   "
              f"digits: loss {losses[name][0]:.3f} → {losses[name][-1]:.3f} after {epochs} epochs")
    print("Too small a rate creeps, too large a rate jumps across the minimum; the good one gets there.")
    print(f"saved {path}")
    return paths, losses, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
