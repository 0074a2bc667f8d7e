"""Dropout: an over-parameterised network on a few digits, with and without dropout.

The notes: "dropout refers to randomly ignoring certain nodes in a layer during training"; it
"prevents overfitting by ensuring that no units are codependent": a unit "can't rely on one input as
it might be dropped out at random", so "neurons will not learn redundant details of inputs". In
training each unit is kept with probability 1 - p and scaled up to keep its expected value,

    mask ~ Bernoulli(1 - p),    y = x · mask / (1 - p),        and y = x in evaluation (model.eval()).

A 64 → 512 → 512 → 10 ReLU network (about 300 000 weights) learns 150 training digits: far more weights
than samples, so it can memorise them. The same network with dropout (p = 0.2 on the inputs, 0.5 after
each hidden layer) starts from the same weights. Both are trained with Adam; after every epoch the loss
on the training set and on 360 held-out validation digits is measured in evaluation mode. Without
dropout the training loss drops to almost 0 while the validation loss stays high: a wide gap, the mark
of overfitting. Dropout keeps the training loss from collapsing as fast and the gap narrower.

    python examples/dropout.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import StandardScaler, datasets
from glassbox.train import Callback, Trainer


def network(width: int, dropout: bool):
    """64 → width → width → 10 with ReLU, and Dropout layers when ``dropout``."""
    def drop(p):
        return [nn.Dropout(p)] if dropout else []

    return nn.Sequential(*drop(0.2), nn.Linear(64, width), nn.ReLU(), *drop(0.5),
                         nn.Linear(width, width), nn.ReLU(), *drop(0.5), nn.Linear(width, 10))


class TrainingSetLoss(Callback):
    """The loss on the whole training set after each epoch, in evaluation mode (no units dropped)."""

    def __init__(self, train):
        self.train, self.losses = train, []

    def on_epoch_end(self, epoch, logs=None):
        self.losses.append(self.trainer.evaluate(self.train)["loss"])


def train(dropout: bool, train, validation, epochs: int, width: int, seed: int = 0):
    gb.manual_seed(seed)  # the same initial weights with and without dropout (Dropout has none)
    model = network(width, dropout)
    training_loss = TrainingSetLoss(train)
    trainer = Trainer(model, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3), metrics=["accuracy"],
                      callbacks=[training_loss])
    history = trainer.fit(train, epochs=epochs, batch_size=32, validation_data=validation, verbose=0)
    return {"train_loss": training_loss.losses, "validation_loss": history["val_loss"],
            "validation_accuracy": history["val_accuracy"][-1]}


def plot(results: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5))
    for (name, result), color in zip(results.items(), ("tab:red", "tab:blue"), strict=True):
        epochs = range(1, len(result["train_loss"]) + 1)
        axis.plot(epochs, result["train_loss"], "--", color=color, label=f"{name}: training")
        axis.plot(epochs, result["validation_loss"], "-", color=color, label=f"{name}: validation")
        axis.fill_between(epochs, result["train_loss"], result["validation_loss"], color=color, alpha=0.1)
    axis.set(xlabel="epoch", ylabel="cross-entropy loss (evaluation mode)",
             title="training vs validation loss: the shaded gap is overfitting")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", samples: int = 150, epochs: int = 20, width: int = 512):
    digits, held_out = datasets.Digits(train=True), datasets.Digits(train=False)
    scaler = StandardScaler().fit(digits.data[:samples])
    train_set = (scaler.transform(digits.data[:samples]), digits.targets[:samples])  # a small slice
    validation = (scaler.transform(held_out.data), held_out.targets)
    results = {name: train(dropout, train_set, validation, epochs, width)
               for name, dropout in (("no dropout", False), ("dropout", True))}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "dropout.png"
    plot(results, path)
    for name, result in results.items():
        train_loss, validation_loss = result["train_loss"][-1], result["validation_loss"][-1]
        print(f"{name:10s}  after {epochs} epochs: training loss {train_loss:.4f}, validation loss "
              f"{validation_loss:.4f}, gap {validation_loss - train_loss:.4f}, "
              f"validation accuracy {result['validation_accuracy']:.3f}")
    print("Dropout keeps the network from memorising its few training samples as quickly: the gap between "
          "training and validation loss is narrower.")
    print(f"saved {path}")
    return results, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
