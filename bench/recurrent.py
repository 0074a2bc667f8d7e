"""Recurrent layers in glassbox and in PyTorch, same threads, alternating rounds.

Workloads (input 32, hidden 128, sequence 50, batch 64):
- lstm: the benchmark's training step: LSTM, its last step → Linear(128, 10), cross-entropy,
  backward, Adam; target ratio <= 1.5;
- LSTM, GRU, RNN (tanh): forward + backward of the layer alone, input gradient included;
- LSTM forward without a graph (inference);
- LSTM over a packed batch of lengths 50 … 1 (forward + backward).

Prints median times and the ratio glassbox / PyTorch (below 1: glassbox is faster).

    python bench/recurrent.py [--threads 2] [--rounds 7] [--only lstm]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compare, limit_threads, machine_description, print_table  # noqa: E402

INPUT, HIDDEN, STEPS, BATCH, CLASSES = 32, 128, 50, 64, 10


def _twins(mode: str, seed: int = 0):
    """The same layer in both libraries, PyTorch's initial weights copied into glassbox's."""
    import torch

    from glassbox import nn

    torch.manual_seed(seed)
    theirs = getattr(torch.nn, mode)(INPUT, HIDDEN)
    ours = getattr(nn, mode)(INPUT, HIDDEN)
    ours.load_state_dict({name: value.detach().numpy().copy() for name, value in theirs.state_dict().items()})
    return ours, theirs


def lstm_training_step(seed: int = 0):
    """The "lstm" workload: one full training step in each library."""
    import torch

    import glassbox as gb
    import glassbox.nn.functional as F
    from glassbox import nn, optim

    ours_lstm, theirs_lstm = _twins("LSTM", seed)
    theirs_head = torch.nn.Linear(HIDDEN, CLASSES)
    ours_head = nn.Linear(HIDDEN, CLASSES)
    ours_head.load_state_dict({name: value.detach().numpy().copy() for name, value in theirs_head.state_dict().items()})
    ours_optimizer = optim.Adam(list(ours_lstm.parameters()) + list(ours_head.parameters()), lr=1e-3)
    theirs_optimizer = torch.optim.Adam(list(theirs_lstm.parameters()) + list(theirs_head.parameters()), lr=1e-3)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(STEPS, BATCH, INPUT)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=BATCH)
    ours_x, ours_y, theirs_x, theirs_y = gb.tensor(x), gb.tensor(y), torch.tensor(x), torch.tensor(y)

    def ours():
        output, _ = ours_lstm(ours_x)
        loss = F.cross_entropy(ours_head(output[-1]), ours_y)
        ours_optimizer.zero_grad()
        loss.backward()
        ours_optimizer.step()

    def theirs():
        output, _ = theirs_lstm(theirs_x)
        loss = torch.nn.functional.cross_entropy(theirs_head(output[-1]), theirs_y)
        theirs_optimizer.zero_grad()
        loss.backward()
        theirs_optimizer.step()

    return ours, theirs


def layer_forward_backward(mode: str, seed: int = 0, packed: bool = False):
    """Forward and backward of one layer (input gradient included), loss = Σ output ⊙ weights."""
    import torch

    import glassbox as gb

    ours_layer, theirs_layer = _twins(mode, seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(STEPS, BATCH, INPUT)).astype(np.float32)
    upstream = rng.normal(size=(STEPS, BATCH, HIDDEN)).astype(np.float32)
    lengths = np.linspace(STEPS, 1, BATCH).round().astype(np.int64)  # decreasing, 50 … 1
    ours_x, theirs_x = gb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_upstream, theirs_upstream = gb.tensor(upstream), torch.tensor(upstream)
    pad, pack = torch.nn.utils.rnn.pad_packed_sequence, torch.nn.utils.rnn.pack_padded_sequence

    def ours():
        output = (ours_layer(ours_x, lengths=lengths) if packed else ours_layer(ours_x))[0]
        (output * ours_upstream).sum().backward()

    def theirs():
        if packed:
            output = pad(theirs_layer(pack(theirs_x, torch.tensor(lengths)))[0], total_length=STEPS)[0]
        else:
            output = theirs_layer(theirs_x)[0]
        (output * theirs_upstream).sum().backward()

    return ours, theirs


def lstm_inference(seed: int = 0):
    import torch

    import glassbox as gb

    ours_layer, theirs_layer = _twins("LSTM", seed)
    x = np.random.default_rng(seed).normal(size=(STEPS, BATCH, INPUT)).astype(np.float32)
    ours_x, theirs_x = gb.tensor(x), torch.tensor(x)

    def ours():
        with gb.no_grad():
            ours_layer(ours_x)

    def theirs():
        with torch.no_grad():
            theirs_layer(theirs_x)

    return ours, theirs


def workloads(only: str | None) -> list:
    """(name, builder, target) for every workload asked for."""
    every = [("lstm: training step (LSTM → Linear → Adam)", lstm_training_step, "<= 1.5")]
    if only != "lstm":
        every += [
            ("LSTM forward + backward", lambda: layer_forward_backward("LSTM"), ""),
            ("GRU forward + backward", lambda: layer_forward_backward("GRU"), ""),
            ("RNN (tanh) forward + backward", lambda: layer_forward_backward("RNN"), ""),
            ("LSTM forward, no graph", lstm_inference, ""),
            ("LSTM packed, lengths 50…1, fwd + bwd", lambda: layer_forward_backward("LSTM", packed=True), ""),
        ]
    return every


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", choices=["lstm"], help="only the lstm training-step workload")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    print(machine_description(args.threads))
    print(f"input {INPUT}, hidden {HIDDEN}, sequence {STEPS}, batch {BATCH}")
    rows = []
    for name, build, target in workloads(args.only):
        ours, theirs = build()
        for _ in range(2):  # warm up both (allocator, BLAS buffers)
            ours()
            theirs()
        rows.append((name, *compare(ours, theirs, rounds=args.rounds, min_seconds=0.3), target))
    print_table(rows, "PyTorch", markdown=args.markdown)


if __name__ == "__main__":
    main()
