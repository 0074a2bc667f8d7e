"""Convolution and pooling in glassbox and in PyTorch, same threads, alternating rounds.

Workloads:
- the benchmark CNN's layers at batch 64: Conv(1→32, 3, pad 1) on 28×28, Conv(32→64, 3, pad 1)
  on 14×14, MaxPool2d(2) on 32×28×28; forward, and forward + backward;
- that CNN's whole training step (conv-relu-pool ×2, linear, cross-entropy, SGD);
- VGG16's convolution shapes at batch 4, inference (no graph recorded).

Prints median times, the ratio glassbox / PyTorch (below 1: glassbox is faster) and each
convolution's GEMM rate. A layer's input and output gradient reach each library laid out in
memory as that library's own layers leave them in a network (glassbox's convolutions keep the
batch innermost), so the layers are timed as they run inside the training step.

    python bench/conv.py [--threads 2] [--rounds 5] [--only cnn|vgg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    classifier_training_steps,
    compare,
    limit_threads,
    machine_description,
    print_table,
)

VGG16_CONVS = [(3, 64, 224), (64, 64, 224), (128, 128, 112), (256, 256, 56), (512, 512, 28), (512, 512, 14)]


def _twin_layers(make, seed: int = 0):
    """The same layer in both libraries, with PyTorch's initial weights copied into glassbox's."""
    import torch

    from glassbox import nn

    torch.manual_seed(seed)
    theirs = make(torch.nn)
    ours = make(nn)
    ours.load_state_dict({name: value.detach().numpy().copy() for name, value in theirs.state_dict().items()})
    return ours, theirs


def _batch_innermost(x):
    """The same values laid out (C, H, W, N) in memory, as glassbox's convolutions leave their outputs."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def _forward(ours, theirs, x, ours_array=None):
    import torch

    import glassbox as gb

    ours_x, theirs_x = gb.from_numpy(x if ours_array is None else ours_array), torch.tensor(x)

    def ours_call():
        with gb.no_grad():
            ours(ours_x)

    def theirs_call():
        with torch.no_grad():
            theirs(theirs_x)

    return ours_call, theirs_call


def _forward_backward(ours, theirs, x, input_grad: bool, ours_array=None):
    """Forward, then backward from a fixed output gradient (weights, bias and, if asked, the input).

    Each library gets the gradient laid out in memory like its own output, as it arrives from the
    next layer's backward in a network.
    """
    import torch

    import glassbox as gb

    ours_x = gb.from_numpy(x if ours_array is None else ours_array).requires_grad_(input_grad)
    theirs_x = torch.tensor(x, requires_grad=input_grad)
    with torch.no_grad():
        grad = np.random.default_rng(1).normal(size=tuple(theirs(theirs_x).shape)).astype(x.dtype)
    with gb.no_grad():
        ours_layout = np.empty_like(ours(ours_x).data)  # empty_like keeps the memory order
    ours_layout[...] = grad
    ours_grad, theirs_grad = gb.from_numpy(ours_layout), torch.tensor(grad)  # gb.tensor would copy to C order

    def ours_call():
        ours_x.grad = None
        for p in ours.parameters():
            p.grad = None
        ours(ours_x).backward(ours_grad)

    def theirs_call():
        theirs_x.grad = None
        for p in theirs.parameters():
            p.grad = None
        theirs(theirs_x).backward(theirs_grad)

    return ours_call, theirs_call


def _cnn_step():
    """One SGD step of the benchmark CNN on a batch of 64 MNIST-sized images."""

    def make(nn):
        return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(64 * 7 * 7, 10))

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    return classifier_training_steps(make, x, y, "SGD", seed=0, lr=0.01, momentum=0.9)


def _gflops(batch, c_in, c_out, size, kernel=3) -> float:
    return 2 * batch * c_out * c_in * kernel * kernel * size * size / 1e9


def cnn_rows(rounds: int) -> list:
    rng = np.random.default_rng(0)
    rows = []
    for c_in, c_out, size in [(1, 32, 28), (32, 64, 14)]:
        x = rng.normal(size=(64, c_in, size, size)).astype(np.float32)
        ours, theirs = _twin_layers(lambda nn, c_in=c_in, c_out=c_out: nn.Conv2d(c_in, c_out, 3, padding=1))
        name = f"Conv2d({c_in}→{c_out}, 3, pad 1) 64×{c_in}×{size}×{size}"
        ours_time, theirs_time = compare(*_forward(ours, theirs, x), rounds=rounds)
        work = _gflops(64, c_in, c_out, size)
        rows.append((f"{name} forward", ours_time, theirs_time, f"{work / ours_time:.0f} vs {work / theirs_time:.0f}"))
        ours_time, theirs_time = compare(*_forward_backward(ours, theirs, x, input_grad=c_in > 1), rounds=rounds)
        rows.append((f"{name} fwd+bwd", ours_time, theirs_time, ""))
    # pooling reads a convolution's output: each library gets it laid out as its own convolutions leave it
    x = rng.normal(size=(64, 32, 28, 28)).astype(np.float32)
    ours, theirs = _twin_layers(lambda nn: nn.MaxPool2d(2))
    layout = _batch_innermost(x)
    rows.append(("MaxPool2d(2) 64×32×28×28 forward", *compare(*_forward(ours, theirs, x, layout), rounds=rounds), ""))
    rows.append(("MaxPool2d(2) 64×32×28×28 fwd+bwd",
                 *compare(*_forward_backward(ours, theirs, x, True, layout), rounds=rounds), ""))
    rows.append(("CNN training step, batch 64", *compare(*_cnn_step(), rounds=rounds, min_seconds=0.2), "<= 0.6"))
    return rows


def vgg_rows(rounds: int) -> list:
    rng = np.random.default_rng(0)
    rows = []
    total_ours = total_theirs = 0.0
    for c_in, c_out, size in VGG16_CONVS:
        x = rng.normal(size=(4, c_in, size, size)).astype(np.float32)
        ours, theirs = _twin_layers(lambda nn, c_in=c_in, c_out=c_out: nn.Conv2d(c_in, c_out, 3, padding=1))
        ours_time, theirs_time = compare(*_forward(ours, theirs, x), rounds=rounds, min_seconds=0.0)
        total_ours, total_theirs = total_ours + ours_time, total_theirs + theirs_time
        work = _gflops(4, c_in, c_out, size)
        rows.append((f"VGG16 Conv2d({c_in}→{c_out}) 4×{c_in}×{size}×{size}", ours_time, theirs_time,
                     f"{work / ours_time:.0f} vs {work / theirs_time:.0f}"))
    rows.append(("VGG16 conv shapes, sum", total_ours, total_theirs, "<= 1.0"))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["cnn", "vgg"])
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    print(machine_description(args.threads))
    print("last column: GFLOP/s glassbox vs PyTorch for convolutions, or the target ratio")
    rows = []
    if args.only != "vgg":
        rows += cnn_rows(args.rounds)
    if args.only != "cnn":
        rows += vgg_rows(max(1, args.rounds - 2))
    print_table(rows, "PyTorch", markdown=args.markdown)


if __name__ == "__main__":
    main()
