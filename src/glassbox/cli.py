"""The ``glassbox`` command.

    glassbox train --dataset digits --model mlp --optimizer adam --epochs 20 --lr 0.001
    glassbox info
    glassbox monitor serve --db runs/glassbox-runs.db --port 6006
"""

from __future__ import annotations

import argparse
import os
import sys
import time

DATASETS = ("digits", "iris", "wine", "breast_cancer")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw")


def build_optimizer(name: str, parameters, lr: float | None):
    from glassbox import optim

    defaults = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05, "rmsprop": 1e-3,
                "adadelta": 1.0, "adam": 1e-3, "adamw": 1e-3}
    lr = defaults[name] if lr is None else lr
    if name == "sgd":
        return optim.SGD(parameters, lr=lr)
    if name in ("momentum", "nesterov"):
        return optim.SGD(parameters, lr=lr, momentum=0.9, nesterov=name == "nesterov")
    return {"adagrad": optim.Adagrad, "rmsprop": optim.RMSprop, "adadelta": optim.Adadelta,
            "adam": optim.Adam, "adamw": optim.AdamW}[name](parameters, lr=lr)


def load_dataset(name: str):
    """Standardised train and test splits of a bundled dataset, and its number of classes."""
    from glassbox.data import StandardScaler, TensorDataset, datasets

    classes = {"digits": datasets.Digits, "iris": datasets.Iris, "wine": datasets.Wine,
               "breast_cancer": datasets.BreastCancer}
    train, test = classes[name](train=True), classes[name](train=False)
    scaler = StandardScaler().fit(train.data)
    train_set = TensorDataset(scaler.transform(train.data), train.targets)
    test_set = TensorDataset(scaler.transform(test.data), test.targets)
    return train_set, test_set, len(train.classes)


def build_model(name: str, in_features: int, classes: int, dataset: str):
    from glassbox.models import MLP

    if name == "mlp":
        return MLP(in_features, (256, 128), classes, activation="relu", dropout=0.1)
    if name == "cnn":
        try:
            from glassbox.models import DigitsCNN
        except ImportError:
            raise SystemExit("glassbox train: --model cnn needs the convolution layers, not in this version") from None
        return DigitsCNN(classes)
    raise SystemExit(f"glassbox train: unknown model {name!r}")


def plot_learning_curves(history: dict, path: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = range(1, len(history["loss"]) + 1)
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, history["loss"], label="train")
    if "val_loss" in history:
        loss_axis.plot(epochs, history["val_loss"], label="validation")
    loss_axis.set(title="loss", xlabel="epoch")
    loss_axis.legend()
    accuracy_axis.plot(epochs, history["accuracy"], label="train")
    if "val_accuracy" in history:
        accuracy_axis.plot(epochs, history["val_accuracy"], label="validation")
    accuracy_axis.set(title="accuracy", xlabel="epoch")
    accuracy_axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def command_train(args) -> int:
    import glassbox as gb
    from glassbox.data import random_split
    from glassbox.train import Trainer

    gb.manual_seed(args.seed)
    train_set, test_set, classes = load_dataset(args.dataset)
    train_part, validation_part = random_split(train_set, [0.9, 0.1])
    model = build_model(args.model, train_set.tensors[0].shape[1], classes, args.dataset)
    optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr)
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint.safetensors")
    trainer = Trainer(model, "cross_entropy", optimizer, metrics=["accuracy"])
    print(f"training {args.model} on {args.dataset}: {len(train_part)} train / {len(validation_part)} validation / "
          f"{len(test_set)} test samples, {sum(p.numel() for p in model.parameters()):,} parameters, "
          f"{args.optimizer} lr={optimizer.param_groups[0]['lr']}")
    start = time.perf_counter()
    history = trainer.fit(train_part, epochs=args.epochs, batch_size=args.batch_size, validation_data=validation_part,
                          checkpoint=checkpoint, resume=checkpoint if args.resume else None, verbose=args.verbose)
    results = trainer.evaluate(test_set)
    print(f"test accuracy {results['accuracy']:.4f}   test loss {results['loss']:.4f}   "
          f"({time.perf_counter() - start:.1f} s)")
    print(f"checkpoint: {checkpoint}")
    plot = plot_learning_curves(history.history, os.path.join(args.out, "learning_curves.png"))
    print(f"learning curves: {plot}" if plot else "learning curves: not drawn (install matplotlib)")
    return 0


def command_info(args) -> int:
    import numpy

    import glassbox as gb
    from glassbox import backend

    print(f"glassbox {gb.__version__}")
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}")
    print("backend: cpu (numpy)" + (", cuda (cupy)" if backend.cuda_is_available() else ""))
    devices = ["cpu"] + (["cuda"] if backend.cuda_is_available() else [])
    print(f"devices: {', '.join(devices)}")
    return 0


def command_monitor(args) -> int:
    from glassbox.monitor.serve import serve_command

    return serve_command(args)


def command_compile(args) -> int:
    import joblib

    import glassbox.compile as gbc

    model = joblib.load(args.model)  # runs code from the file: the help says to use only models you trust
    compiled = gbc.convert(model, args.strategy, dtype=args.dtype, batch_size=args.batch_size)
    compiled.save(args.out)
    strategy = f", tree strategy {compiled.strategy}" if compiled.strategy else ""
    print(f"compiled {type(model).__name__} ({', '.join(compiled.operator.methods)}{strategy}) -> {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glassbox", description="glassbox: deep learning from first principles")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a model on a bundled dataset")
    train.add_argument("--dataset", choices=DATASETS, default="digits")
    train.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--lr", type=float, default=None, help="learning rate (default: a good one per optimizer)")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/train", help="folder for the checkpoint and the plot")
    train.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    train.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    train.set_defaults(run=command_train)
    info = commands.add_parser("info", help="version, backend and devices")
    info.set_defaults(run=command_info)
    from glassbox.monitor.serve import add_serve_arguments

    monitor = commands.add_parser("monitor", help="live training dashboard: glassbox monitor serve")
    add_serve_arguments(monitor.add_subparsers(dest="monitor_command", required=True).add_parser(
        "serve", help="serve the dashboard and receive runs (binds 127.0.0.1 by default)"))
    monitor.set_defaults(run=command_monitor)
    compile_ = commands.add_parser(
        "compile", help="compile a fitted scikit-learn model (joblib file) to a glassbox tensor program",
        description="Compile a fitted scikit-learn model saved with joblib into a glassbox compiled model "
        "(safetensors + JSON; load it with glassbox.compile.load). WARNING: loading a joblib file runs code "
        "from it, like pickle: only compile model files you trust. The compiled file itself runs no code.")
    compile_.add_argument("model", help="the fitted model, saved with joblib.dump (trusted files only)")
    compile_.add_argument("out", help="where to write the compiled model (.safetensors)")
    compile_.add_argument("--strategy", default="auto",
                          choices=("auto", "gemm", "tree_traversal", "perfect_tree_traversal"))
    compile_.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    compile_.add_argument("--batch-size", type=int, default=None, help="most rows per chunk (default: by memory)")
    compile_.set_defaults(run=command_compile)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
