"""Dead neurons: ReLU units that never fire again, and leaky ReLU units that come back.

The notes: a dead neuron is "a neuron that cannot be activated, i.e. contributes nothing to feature
extraction or classification"; "when the input is negative, ReLU is completely inactive". A ReLU unit

    h = max(0, w·x + b),     dh/dw = x and dh/db = 1 where w·x + b > 0, else 0,

whose pre-activation is negative for every input outputs 0 for all of them, so its gradient is 0 and
gradient descent never changes its weights again: it is dead for good. Leaky ReLU, f(x) = max(0.01x, x),
"has no problems with dead ReLU": below zero its derivative is 0.01, not 0, so a unit that has slid below
zero still receives a (small) gradient and can climb back.

Here a bad initialisation kills units on purpose: every hidden bias starts at -3, far below the
pre-activations w·x (U[-1/√64, 1/√64] weights on standardised digits), so many units start dead. Both
networks get the same weights and are trained with Adam, whose step size does not shrink with the
gradient, so the leaky units' 0.01-sized gradients are enough to move them. ``GradientDiagnostics``
records the fraction of dead hidden units (output ≤ 0 for every sample of the batch) every few steps.

    python examples/dead_neurons.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import StandardScaler, datasets
from glassbox.train import Trainer
from glassbox.train.diagnostics import GradientDiagnostics, dead_relu_fraction


def train(activation, inputs, targets, epochs: int, bias: float = -3.0, learning_rate: float = 0.01,
          record_every: int = 5, seed: int = 0):
    """Train 64 → 64 (activation) → 10 from hidden biases of ``bias``; returns the dead-fraction record."""
    gb.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), activation(), nn.Linear(64, 10))
    with gb.no_grad():
        model[0].bias.fill_(bias)
    dead_at_start = dead_relu_fraction(model, inputs)["1"]
    diagnostics = GradientDiagnostics(every=record_every)
    trainer = Trainer(model, "cross_entropy", optim.Adam(model.parameters(), lr=learning_rate),
                      metrics=["accuracy"], callbacks=[diagnostics])
    history = trainer.fit((inputs, targets), epochs=epochs, batch_size=128, verbose=0)
    return {"step": diagnostics.history["step"], "dead": diagnostics.history["dead_fraction"]["1"],
            "dead_at_start": dead_at_start, "dead_at_end": dead_relu_fraction(model, inputs)["1"],
            "loss": history["loss"][-1], "accuracy": history["accuracy"][-1]}


def plot(results: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 5.5))
    for name, result in results.items():
        line, = axis.plot(result["step"], result["dead"], label=f"{name}, per batch of 128")
        axis.plot([0, result["step"][-1]], [result["dead_at_start"], result["dead_at_end"]], "o",
                  color=line.get_color(), label=f"{name}, whole training set (accuracy {result['accuracy']:.2f})")
    axis.set(ylim=(-0.05, 1.05), xlabel="step", ylabel="fraction of dead hidden units",
             title="hidden biases initialised at -3, Adam")
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", epochs: int = 5):
    digits = datasets.Digits(train=True)
    inputs, targets = StandardScaler().fit_transform(digits.data), digits.targets
    results = {name: train(activation, inputs, targets, epochs)
               for name, activation in (("ReLU", nn.ReLU), ("leaky ReLU", nn.LeakyReLU))}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "dead_neurons.png"
    plot(results, path)
    for name, result in results.items():
        print(f"{name:10s}  dead units (whole training set): {result['dead_at_start']:.0%} at start, "
              f"{result['dead_at_end']:.0%} after {epochs} epochs;  training accuracy {result['accuracy']:.3f}")
    print("ReLU's dead units get no gradient and stay dead; leaky ReLU's slope of 0.01 below zero brings them back.")
    print(f"saved {path}")
    return results, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
