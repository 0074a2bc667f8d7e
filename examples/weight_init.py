"""Weight initialisation: how the scale of the first weights decides whether a deep network's signal survives.

The notes: weights "should be small, should not be the same, should have good variance". A layer
y = Σᵢ wᵢxᵢ over fan_in inputs multiplies the variance of its input by fan_in · Var(w) (times what the
activation keeps), layer after layer, so the right Var(w) keeps activations at a constant scale:

    uniform        w ~ U[-1/√fan_in, 1/√fan_in]              Var(w) = 1 / (3 fan_in)      shrinks by 3 per layer
    Xavier/Glorot  w ~ U[±√6 / √(fan_in + fan_out)]          Var(w) = 2 / (fan_in + fan_out)
                   (or N(0, σ), σ = √(2 / (fan_in + fan_out))): keeps the variance for tanh and sigmoid
    He             w ~ U[±√6 / √fan_in]  or  N(0, √(2 / fan_in))   Var(w) = 2 / fan_in
                   ReLU zeroes half of its inputs, halving the variance; the 2 puts it back

Xavier's derivation assumes an activation with slope 1 around 0; tanh has that slope but squashes
larger values, so a gain a little above 1 (``calculate_gain("tanh")`` = 5/3) makes up for it.

A batch of standard normal inputs goes through 10 Linear layers of width 256 with tanh or ReLU after
each (biases 0); the figure shows the standard deviation of every layer's activations. The uniform
scheme fades toward zero with both activations (a factor √3 per layer for tanh, √6 for ReLU); with ReLU
Xavier still loses a factor √2 per layer and only He keeps the scale; with tanh, Xavier fades slowly
and Xavier with tanh's gain (or He) holds it.

    python examples/weight_init.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import nn

INITIALISERS = {
    "uniform ±1/√fan_in": nn.init.fan_in_uniform_,
    "Xavier uniform": nn.init.xavier_uniform_,
    "Xavier, tanh gain 5/3": lambda weight: nn.init.xavier_uniform_(weight, gain=nn.init.calculate_gain("tanh")),
    "He uniform": lambda weight: nn.init.kaiming_uniform_(weight, nonlinearity="relu"),
}
ACTIVATIONS = {"tanh": gb.Tensor.tanh, "ReLU": gb.Tensor.relu}


def activation_stds(initialise, activation, depth: int = 10, width: int = 256, samples: int = 512,
                    seed: int = 0) -> list[float]:
    """The standard deviation of the activations after each of ``depth`` layers, input layer first."""
    gb.manual_seed(seed)
    h = gb.randn(samples, width)  # (samples, width), standard deviation 1
    stds = []
    with gb.no_grad():
        for _ in range(depth):
            layer = nn.Linear(width, width)
            initialise(layer.weight)
            nn.init.zeros_(layer.bias)
            h = activation(layer(h))  # (samples, width)
            stds.append(h.std().item())
    return stds


def plot(results: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results), figsize=(12, 4.5))
    for axis, (activation, by_initialiser) in zip(axes, results.items(), strict=True):
        for name, stds in by_initialiser.items():
            axis.plot(range(1, len(stds) + 1), stds, "o-", label=name)
        axis.set(yscale="log", xlabel="layer", ylabel="std of the activations", title=f"{activation} network")
        axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", depth: int = 10, width: int = 256):
    results = {activation_name: {name: activation_stds(initialise, activation, depth, width)
                                 for name, initialise in INITIALISERS.items()}
               for activation_name, activation in ACTIVATIONS.items()}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "weight_init.png"
    plot(results, path)
    for activation, by_initialiser in results.items():
        for name, stds in by_initialiser.items():
            print(f"{activation:5s} {name:22s} std after layer 1: {stds[0]:.3f}   after layer {depth}: {stds[-1]:.2e}")
    print("The uniform scheme makes the signal vanish; ReLU keeps its scale only with He's 2/fan_in, tanh with "
          "Xavier scaled by tanh's gain: the initialiser must match the activation.")
    print(f"saved {path}")
    return results, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
