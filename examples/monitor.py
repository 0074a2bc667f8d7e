"""Watch a training run live: the Monitor callback, the dashboard, and notifications.

TensorDash's idea from the notes — see your model's metrics from anywhere and hear when training
finished or crashed — done with glassbox alone:

    python examples/monitor.py                         # records into ./glassbox-runs.db, nothing to start
    glassbox monitor serve --db glassbox-runs.db       # then open the address it prints

or, with a server already running (its token is printed on its first start):

    python examples/monitor.py --url http://127.0.0.1:6006 --token <token>

Each step's loss, each epoch's loss / accuracy / validation values, the hyper-parameters and the
machine's CPU and memory go to the run; its status ends as finished, failed (with the traceback),
killed (Ctrl-C or SIGTERM), nan (a diverging loss), or — seen by the server when the process simply
vanishes — lost. ``glassbox monitor serve --notify webhook=URL --notify email=ADDRESS …`` sends those.
"""

import argparse

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import StandardScaler, TensorDataset, datasets, random_split
from glassbox.monitor import Monitor
from glassbox.train import Trainer


def train_with_monitor(monitor: Monitor, epochs: int = 5, learning_rate: float = 2e-3, seed: int = 0):
    """An MLP on scikit-learn's 8x8 digits, recorded by ``monitor``; returns the History and the run."""
    gb.manual_seed(seed)
    digits = datasets.Digits(train=True)
    scaler = StandardScaler().fit(digits.data)
    train, validation = random_split(TensorDataset(scaler.transform(digits.data), digits.targets), [0.9, 0.1])
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = optim.Adam(model.parameters(), lr=learning_rate)
    trainer = Trainer(model, "cross_entropy", optimizer, metrics=["accuracy"], callbacks=[monitor])
    history = trainer.fit(train, epochs=epochs, batch_size=64, validation_data=validation, verbose=0)
    return history, monitor.run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="glassbox-runs.db", help="the run store when no --url is given")
    parser.add_argument("--url", help="a `glassbox monitor serve` server")
    parser.add_argument("--token", help="that server's token")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    monitor = Monitor(args.db, url=args.url, token=args.token, name="digits-mlp", config={"batch_size": 64})
    history, run = train_with_monitor(monitor, epochs=args.epochs)
    print(f"run {run.name!r} ({run.id}): {run.status}, final validation accuracy "
          f"{history.history['val_accuracy'][-1]:.3f}")
    print(f"recorded in {monitor.url or monitor.path}; see it with: glassbox monitor serve --db {args.db}")


if __name__ == "__main__":
    main()
