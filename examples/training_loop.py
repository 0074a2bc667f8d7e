"""The training loop written out, PyTorch style, next to the same training done by ``Trainer.fit``.

The notes' "Training ANN" steps, for every mini-batch of every epoch:

    1. weights start as small random numbers (each layer's initialiser)
    2-3. forward propagation: outputs = model(inputs)
    4. compare with the actual result: loss = cross_entropy(outputs, targets)
    5. back-propagation: optimizer.zero_grad(); loss.backward() gives dL/dw for every weight;
       optimizer.step() updates each weight by the learning rate
    6. repeat for the next batch ("update the weights only after a batch of observations")
    7. "when the whole training set passed through the ANN, that makes an epoch. Redo more epochs."

``Trainer.fit`` runs exactly this loop (plus history, metrics and callbacks), so with the same seed (the
same initial weights and the same shuffled batches) both end with the same weights and accuracy, which
this script checks. The figure shows both loss curves, which lie on top of each other.

    python examples/training_loop.py --out runs/examples
"""

import argparse
from pathlib import Path

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import DataLoader, StandardScaler, TensorDataset, datasets
from glassbox.nn import functional as F
from glassbox.train import Trainer


def digits():
    """Standardised digits: (train, test) TensorDatasets of (N, 64) features and class labels."""
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    scaler = StandardScaler().fit(train.data)  # statistics of the training set only
    return (TensorDataset(scaler.transform(train.data), train.targets),
            TensorDataset(scaler.transform(test.data), test.targets))


def make_model():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def explicit_loop(train, test, epochs: int, batch_size: int = 32, learning_rate: float = 1e-3, seed: int = 0):
    """Train with the loop written out; returns (model, mean loss per epoch, test accuracy)."""
    gb.manual_seed(seed)
    model = make_model()
    optimizer = optim.Adam(model.parameters(), lr=learning_rate)
    loader = DataLoader(train, batch_size=batch_size, shuffle=True)
    epoch_losses = []
    for _ in range(epochs):
        model.train()  # dropout and batch norm (if any) in training mode
        total, seen = 0.0, 0
        for inputs, targets in loader:  # inputs (B, 64), targets (B,)
            outputs = model(inputs)  # forward: (B, 10) class scores
            loss = F.cross_entropy(outputs, targets)  # compare with the actual result
            optimizer.zero_grad()  # gradients accumulate, so clear last batch's
            loss.backward()  # back-propagation: dL/dw in every parameter's .grad
            optimizer.step()  # w ← w - η · (Adam's step)
            total, seen = total + loss.item() * len(targets), seen + len(targets)
        epoch_losses.append(total / seen)
    model.eval()
    with gb.no_grad():  # evaluation: no graph, no update
        inputs, targets = test.tensors
        correct = (model(inputs).argmax(1) == targets).sum().item()  # predicted class = highest score
    accuracy = correct / len(targets)
    return model, epoch_losses, accuracy


def with_trainer(train, test, epochs: int, batch_size: int = 32, learning_rate: float = 1e-3, seed: int = 0):
    """The same training through ``Trainer.fit``; returns (model, mean loss per epoch, test accuracy)."""
    gb.manual_seed(seed)
    model = make_model()
    trainer = Trainer(model, "cross_entropy", optim.Adam(model.parameters(), lr=learning_rate), metrics=["accuracy"])
    history = trainer.fit(train, epochs=epochs, batch_size=batch_size, verbose=0)
    return model, history["loss"], trainer.evaluate(test)["accuracy"]


def plot(curves: dict, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for (name, losses), style in zip(curves.items(), ("o-", "x--"), strict=True):
        axis.plot(range(1, len(losses) + 1), losses, style, label=name)
    axis.set(yscale="log", xlabel="epoch", ylabel="mean training loss", title="the same loop, twice")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(out="runs/examples", epochs: int = 15):
    train, test = digits()
    explicit_model, explicit_losses, explicit_accuracy = explicit_loop(train, test, epochs)
    trainer_model, trainer_losses, trainer_accuracy = with_trainer(train, test, epochs)
    same_weights = all((a.detach() == b.detach()).all().item() for a, b in
                       zip(explicit_model.parameters(), trainer_model.parameters(), strict=True))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "training_loop.png"
    plot({"explicit loop": explicit_losses, "Trainer.fit": trainer_losses}, path)
    print(f"explicit loop: test accuracy {explicit_accuracy:.4f}   (final training loss {explicit_losses[-1]:.4f})")
    print(f"Trainer.fit:   test accuracy {trainer_accuracy:.4f}   (final training loss {trainer_losses[-1]:.4f})")
    print(f"identical final weights: {same_weights}: fit is the explicit loop, with callbacks around it.")
    print(f"saved {path}")
    return {"explicit_accuracy": explicit_accuracy, "trainer_accuracy": trainer_accuracy,
            "explicit_losses": explicit_losses, "trainer_losses": trainer_losses,
            "same_weights": same_weights, "path": path}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples", help="folder for the figure")
    main(parser.parse_args().out)
