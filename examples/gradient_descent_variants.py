"""Batch gradient descent, stochastic gradient descent and mini-batch gradient descent, side by side.

All three make the same update, w_new = w_old - η · dL/dw; they differ in how many samples the loss
L (and so its gradient) is averaged over before each update:

    batch GD        all N samples     1 update per epoch        "slow", "more deterministic"
    stochastic GD   1 sample          N updates per epoch       "fast", "less deterministic", noisy steps
    mini-batch GD   B samples         ⌈N / B⌉ updates per epoch  in between: the usual choice

The notes: an epoch is one pass over the training set; with N samples and batch size B it takes
⌈N / B⌉ iterations. Stochastic steps are noisy ("if stuck in local minima, some noisy steps can lead
out of them"), batch steps are exact but rare.

The same network (64 → 32 tanh → 10, same initial weights) is trained on the same digits for the same
number of epochs with the same η, written out as a plain loop. Left: the loss on the whole training
set after each epoch. Right: the loss of the batch each update was computed on, per update.

    python examples/gradient_descent_variants.py --out runs/examples
"""

import argparse
import time
from pathlib import Path

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import DataLoader, StandardScaler, TensorDataset, datasets
from glassbox.nn import functional as F


def train(inputs, targets, batch_size: int, epochs: int, learning_rate: float = 0.05, seed: int = 0):
    """Train with mini-batches of ``batch_size``; returns (loss per epoch on all data, loss per update)."""
    gb.manual_seed(seed)  # the same initial weights for every variant
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    optimizer = optim.SGD(model.parameters(), lr=learning_rate)
    loader = DataLoader(TensorDataset(inputs, targets), batch_size=batch_size, shuffle=True)
    epoch_losses, update_losses = [], []
    for _ in range(epochs):
        for batch_inputs, batch_targets in loader:  # ⌈N / batch_size⌉ updates
            loss = F.cross_entropy(model(batch_inputs), batch_targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update_losses.append(loss.item())
        with gb.no_grad():
            epoch_losses.append(F.cross_entropy(model(inputs), targets).item())
    return epoch_losses, update_losses


def plot(results: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (per_epoch, per_update) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, (epoch_losses, update_losses) in results.items():
        per_epoch.plot(range(1, len(epoch_losses) + 1), epoch_losses, "o-", label=name)
        few = len(update_losses) < 100  # drawn thicker so they show over the stochastic curve
        per_update.plot(range(1, len(update_losses) + 1), update_losses, ".-" if few else "-", label=name,
                        linewidth=1.5 if few else 0.6)
    per_epoch.set(yscale="log", xlabel="epoch", ylabel="loss on the whole training set", title="per epoch")
    per_update.set(xscale="log", yscale="log", xlabel="update (log scale)", ylabel="loss of the update's batch",
                   title="per update")
    per_epoch.legend()
    per_update.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", samples: int = 512, epochs: int = 20, mini_batch: int = 32):
    digits = datasets.Digits(train=True)
    inputs = StandardScaler().fit_transform(digits.data)[:samples]  # (samples, 64)
    targets = digits.targets[:samples]
    variants = {"stochastic GD (1 sample)": 1, f"mini-batch GD ({mini_batch} samples)": mini_batch,
                "batch GD (all samples)": samples}
    results, seconds = {}, {}
    for name, batch_size in variants.items():
        start = time.perf_counter()
        results[name] = train(inputs, targets, batch_size, epochs)
        seconds[name] = time.perf_counter() - start
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "gradient_descent_variants.png"
    plot(results, path)
    for name, (epoch_losses, update_losses) in results.items():
        rises = sum(later > earlier for earlier, later in zip(update_losses[:-1], update_losses[1:], strict=True))
        rose = rises / max(len(update_losses) - 1, 1)
        print(f"{name:28s} {len(update_losses):6d} updates in {epochs} epochs ({seconds[name]:.1f} s): training loss "
              f"{epoch_losses[-1]:.4f}; the batch loss rose in {rose:.0%} of the updates")
    print("For the same epochs, more (noisier) updates get further: batch GD is exact but slow to converge, "
          "stochastic GD converges in fewest epochs but each epoch costs N small steps and its path is noisy; "
          "mini-batches are in between.")
    print(f"saved {path}")
    return results, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
