"""VGG16 inference in glassbox and in PyTorch: the whole network, same weights, same threads.

Workload: torchvision's VGG16 (13 convolutions 3×3 same-padded, 5 max-pools, 3 fully connected
layers; 138 357 544 parameters) on a batch of 4 images of 224×224×3, forward only: glassbox
under ``no_grad`` in eval mode, PyTorch in eval mode under ``torch.no_grad``. The PyTorch model
is built with the same module names (a few lines from torchvision's definition) and its
weights are copied into glassbox's ``VGG16``; the logits are compared before timing.

A training-step harness (bench/train_step.py) does not fit: one forward takes seconds, and its
NumPy-GEMM reference and per-library memory runs would take minutes. Prints the median time per
batch of each, the ratio glassbox / PyTorch (below 1: glassbox is faster) and the GEMM rate
(≈ 15.5 GMAC per image: 2 FLOP each). The rate counts a direct convolution's multiply-adds:
glassbox's Winograd layers (every 3×3 layer after the first) do 2.25× fewer, so theirs is an
effective rate.

    python bench/vgg16.py [--threads 2] [--rounds 3] [--batch 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compare, format_time, limit_threads, machine_description  # noqa: E402


def torch_vgg16():
    """torchvision.models.vgg16's architecture and module names."""
    import torch

    from glassbox.models.vgg import CONFIGURATIONS

    layers, channels = [], 3
    for entry in CONFIGURATIONS["D"]:
        if entry == "M":
            layers.append(torch.nn.MaxPool2d(2, 2))
        else:
            layers += [torch.nn.Conv2d(channels, entry, 3, padding=1), torch.nn.ReLU(inplace=True)]
            channels = entry
    model = torch.nn.Module()
    model.features = torch.nn.Sequential(*layers)
    model.avgpool = torch.nn.AdaptiveAvgPool2d((7, 7))
    model.classifier = torch.nn.Sequential(
        torch.nn.Linear(512 * 7 * 7, 4096), torch.nn.ReLU(True), torch.nn.Dropout(),
        torch.nn.Linear(4096, 4096), torch.nn.ReLU(True), torch.nn.Dropout(), torch.nn.Linear(4096, 1000))
    model.forward = lambda x: model.classifier(torch.flatten(model.avgpool(model.features(x)), 1))
    return model


def forward_flops(batch: int, side: int = 224) -> int:
    """2 · (multiply-adds) of the convolutions (as im2col GEMMs) and the fully connected layers."""
    from glassbox.models.vgg import CONFIGURATIONS

    flops, channels = 0, 3
    for entry in CONFIGURATIONS["D"]:
        if entry == "M":
            side //= 2
        else:
            flops += 2 * batch * side * side * channels * 9 * entry
            channels = entry
    return flops + 2 * batch * (512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    import torch

    import glassbox as gb
    from glassbox.models import VGG16

    torch.manual_seed(0)
    theirs = torch_vgg16().eval()
    ours = VGG16(init_weights=False).eval()
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    x = np.random.default_rng(0).uniform(0, 1, size=(args.batch, 3, 224, 224)).astype(np.float32)
    ours_x, theirs_x = gb.tensor(x), torch.tensor(x)

    def ours_forward():
        with gb.no_grad():
            return ours(ours_x)

    def theirs_forward():
        with torch.no_grad():
            return theirs(theirs_x)

    difference = np.abs(ours_forward().numpy() - theirs_forward().numpy()).max()
    t_ours, t_theirs = compare(ours_forward, theirs_forward, rounds=args.rounds, min_seconds=0.0)
    flops = forward_flops(args.batch)
    print(f"VGG16 inference, batch {args.batch} at 224×224 — {machine_description(args.threads)}")
    print(f"largest logit difference glassbox - PyTorch: {difference:.2e}")
    print(f"glassbox  {format_time(t_ours)} per batch   {flops / t_ours / 1e9:.1f} GFLOP/s")
    print(f"PyTorch   {format_time(t_theirs)} per batch   {flops / t_theirs / 1e9:.1f} GFLOP/s")
    print(f"ratio glassbox / PyTorch: {t_ours / t_theirs:.2f}")


if __name__ == "__main__":
    main()
