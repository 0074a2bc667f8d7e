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
from common import compare, format_time  # noqa: E402


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
    import cupy
    import torch

    import glassbox as gb
    import glassbox.nn.functional as F
    from glassbox import nn, optim

    batch, shape = (128, (784,)) if workload == "mlp" else (64, (1, 28, 28))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)

    theirs_model = _layers(torch.nn, workload)
    ours_model = _layers(nn, workload)
    ours_model.load_state_dict({k: v.detach().numpy() for k, v in theirs_model.state_dict().items()})
    theirs_model.to("cuda")
    ours_model.to("cuda")
    ours_optimizer = optim.Adam(ours_model.parameters(), lr=1e-3)
    theirs_optimizer = torch.optim.Adam(theirs_model.parameters(), lr=1e-3)
    ours_x, ours_y = gb.tensor(x, device="cuda"), gb.tensor(y, device="cuda")
    theirs_x, theirs_y = torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda")

    def ours_step():
        loss = F.cross_entropy(ours_model(ours_x), ours_y)
        ours_optimizer.zero_grad()
        loss.backward()
        ours_optimizer.step()
        cupy.cuda.Device().synchronize()

    def theirs_step():
        loss = torch.nn.functional.cross_entropy(theirs_model(theirs_x), theirs_y)
        theirs_optimizer.zero_grad()
        loss.backward()
        theirs_optimizer.step()
        torch.cuda.synchronize()

    return ours_step, theirs_step


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
