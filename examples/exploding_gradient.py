"""The exploding gradient of a recurrent network, and gradient clipping that tames it.

Backpropagation through time multiplies one Jacobian per step (the notes' RNN, o_t = f(x_t w + o_{t-1} w')):

    dL/dh_1 = dL/dh_T · ∏_{t=2..T} ∂h_t/∂h_{t-1},        ∂h_t/∂h_{t-1} = diag(1 - h_t²) W_hh

With small recurrent weights the product shrinks geometrically (the vanishing gradient); with large
ones it grows geometrically: over 100 steps a factor of 2 per step is 2^100 ≈ 10^30. One such gradient
throws the weights so far that the next loss is enormous, and a few steps later it is inf or NaN.

Clipping by norm (``glassbox.nn.utils.clip_grad_norm_``) rescales the whole gradient g when it is too long,

    g ← g · min(1, max_norm / ‖g‖)

keeping its direction and bounding the step: training on the same data, from the same weights, with the
same learning rate, then proceeds.

The task is Hochreiter's adding problem: a sequence of 100 numbers in [0, 1], two of them marked; the
target is the sum of the marked two. An Elman RNN (tanh, 32 units) reads the sequence, a Linear layer
reads its last state; W_hh is drawn N(0, gain²/H) with gain 2.5 ("large recurrent weights").

    python examples/exploding_gradient.py --out runs/examples
"""

import argparse
import math
from pathlib import Path

import numpy

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn, optim
from glassbox.nn.utils import clip_grad_norm_, get_total_norm


def adding_problem(rng, steps: int, batch: int):
    """(steps, batch, 2) inputs: a value channel and a marker channel with two 1s; (batch, 1) targets."""
    inputs = numpy.zeros((steps, batch, 2), dtype=numpy.float32)
    inputs[:, :, 0] = rng.random((steps, batch))
    first, second = rng.integers(0, steps // 2, batch), rng.integers(steps // 2, steps, batch)
    columns = numpy.arange(batch)
    inputs[first, columns, 1] = inputs[second, columns, 1] = 1.0
    targets = inputs[first, columns, 0] + inputs[second, columns, 0]
    return gb.tensor(inputs), gb.tensor(targets[:, None])


class AddingRNN(nn.Module):
    def __init__(self, hidden: int = 32, gain: float = 2.5):
        super().__init__()
        self.rnn = nn.RNN(2, hidden)  # tanh
        self.head = nn.Linear(hidden, 1)
        nn.init.normal_(self.rnn.weight_hh_l0, std=gain / math.sqrt(hidden))  # large recurrent weights

    def forward(self, inputs):
        outputs, _ = self.rnn(inputs)  # (T, N, H)
        return self.head(outputs[-1])  # the last state → the sum


def train(max_norm, steps: int = 300, sequence: int = 100, batch: int = 32, lr: float = 0.1, seed: int = 0):
    """SGD on the adding problem; ``max_norm=None``: no clipping. Returns the loss and the gradient norm
    (before clipping) of every step, stopping at the first loss that is not finite."""
    gb.manual_seed(seed)  # the same weights and batches with and without clipping
    model = AddingRNN()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    rng = numpy.random.default_rng(seed)
    losses, norms = [], []
    with numpy.errstate(over="ignore", invalid="ignore"):  # the overflow is what this run shows
        for _ in range(steps):
            inputs, targets = adding_problem(rng, sequence, batch)
            loss = F.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            gradients = [parameter.grad for parameter in model.parameters()]
            norm = float(get_total_norm([g.double() for g in gradients]).item())  # in float64: no overflow
            if max_norm is not None:
                clip_grad_norm_(model.parameters(), max_norm)
            optimizer.step()
            losses.append(loss.item())
            norms.append(norm)
            if not math.isfinite(losses[-1]):
                break
    return {"loss": losses, "gradient_norm": norms}


def plot(runs: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axis, norm_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, run in runs.items():
        finite_loss = [value if math.isfinite(value) else numpy.nan for value in run["loss"]]
        loss_axis.plot(finite_loss, label=name)
        norm_axis.plot(run["gradient_norm"], label=name)
        if len(run["loss"]) and not math.isfinite(run["loss"][-1]):
            loss_axis.axvline(len(run["loss"]) - 1, color="red", linestyle=":", label=f"{name}: loss inf/NaN")
    loss_axis.set(yscale="log", xlabel="step", ylabel="MSE loss", title="loss")
    norm_axis.set(yscale="log", xlabel="step", ylabel="‖g‖ before clipping", title="gradient norm")
    for axis in (loss_axis, norm_axis):
        axis.legend()
    figure.suptitle("tanh RNN, 100 steps, large recurrent weights: without and with clip_grad_norm_")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", steps: int = 300, max_norm: float = 1.0):
    runs = {"no clipping": train(None, steps), f"clip_grad_norm_(max_norm={max_norm})": train(max_norm, steps)}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "exploding_gradient.png"
    plot(runs, path)
    for name, run in runs.items():
        losses = run["loss"]
        ending = (f"loss not finite at step {len(losses) - 1}" if not math.isfinite(losses[-1])
                  else f"final loss (mean of the last 20 steps) {numpy.mean(losses[-20:]):.3f}")
        print(f"{name:32s} largest gradient norm {max(run['gradient_norm']):.3g}, first loss {losses[0]:.3f}, "
              f"{ending}")
    print(f"plot: {path}")
    return runs, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--max-norm", type=float, default=1.0)
    arguments = parser.parse_args()
    main(arguments.out, arguments.steps, arguments.max_norm)
