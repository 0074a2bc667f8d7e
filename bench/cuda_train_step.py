"""One training step on the GPU: glassbox on CuPy against PyTorch on CUDA, same model, same weights.

Workloads (the models of train_step.py):
- mlp: Linear 784-512-256-10 with ReLU, batch 128, Adam, cross-entropy.
- cnn: Conv 1→32 → pool → Conv 32→64 → pool → Linear 3136-128-10, batch 64, Adam, cross-entropy.

Each step ends with a device synchronisation, so a step's time is all of its GPU work; rounds
alternate between the libraries. Prints the median milliseconds per step and the ratio
glassbox / PyTorch. Needs CuPy, a GPU and PyTorch built with CUDA.

    python bench/cuda_train_step.py [--workload cnn] [--rounds 7]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import classifier_training_steps, compare, format_time  # noqa: E402


def _layers(module, workload: str):
    if workload == "mlp":
        return module.Sequential(module.Linear(784, 512), module.ReLU(), module.Linear(512, 256), module.ReLU(),
                                 module.Linear(256, 10))
    return module.Sequential(
        module.Conv2d(1, 32, 3, padding=1), module.ReLU(), module.MaxPool2d(2),
        module.Conv2d(32, 64, 3, padding=1), module.ReLU(), module.MaxPool2d(2),
        module.Flatten(), module.Linear(64 * 7 * 7, 128), module.ReLU(), module.Linear(128, 10),
    )


def training_steps(workload: str, seed: int = 0):
    """The two step functions, each ending with its library's device synchronisation."""
    batch, shape = (128, (784,)) if workload == "mlp" else (64, (1, 28, 28))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)
    return classifier_training_steps(lambda module: _layers(module, workload), x, y, "Adam", device="cuda", lr=1e-3)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=["mlp", "cnn"], default="cnn")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    import cupy

    ours, theirs = training_steps(args.workload)
    for _ in range(5):  # kernel compilation and memory pools out of the way
        ours()
        theirs()
    t_ours, t_theirs = compare(ours, theirs, rounds=args.rounds, min_seconds=0.3)
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    print(f"workload {args.workload} on the GPU — {name}, CuPy {cupy.__version__}")
    print(f"glassbox (CuPy)  {format_time(t_ours)} per step")
    print(f"PyTorch (CUDA)   {format_time(t_theirs)} per step")
    print(f"ratio glassbox / PyTorch: {t_ours / t_theirs:.2f}")


if __name__ == "__main__":
    main()
