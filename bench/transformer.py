"""A transformer encoder's training step in glassbox and in PyTorch, same threads, alternating rounds.

Workload "transformer": 2 TransformerEncoderLayers (d_model 128, 4 heads, feed-forward 512,
batch_first), input (batch 32, sequence 64, 128), mean over the sequence → Linear(128, 10),
cross-entropy, Adam: forward, backward and the optimizer step. Both models start from the
same weights. Dropout is PyTorch's default 0.1 (``--dropout 0`` to leave it out).

    python bench/transformer.py [--threads 2] [--rounds 7] [--dropout 0.1]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compare, limit_threads, machine_description, print_table  # noqa: E402

TARGET = "<= 1.2"


def transformer_workload(dropout: float = 0.1, batch: int = 32, length: int = 64, d_model: int = 128,
                         heads: int = 4, feedforward: int = 512, layers: int = 2, classes: int = 10, seed: int = 0):
    import torch

    import glassbox as gb
    import glassbox.nn.functional as F
    from glassbox import nn, optim

    def model(module):
        layer = module.TransformerEncoderLayer(d_model, heads, feedforward, dropout=dropout, batch_first=True)
        with warnings.catch_warnings():  # PyTorch's note that its inference-only nested-tensor path is off
            warnings.simplefilter("ignore")
            encoder = module.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        return module.ModuleDict({"encoder": encoder, "head": module.Linear(d_model, classes)})

    torch.manual_seed(seed)
    theirs_model, ours_model = model(torch.nn), model(nn)
    ours_model.load_state_dict({k: v.detach().numpy() for k, v in theirs_model.state_dict().items()})
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, length, d_model)).astype(np.float32)
    y = rng.integers(0, classes, size=batch)
    ours_x, ours_y, theirs_x, theirs_y = gb.tensor(x), gb.tensor(y), torch.tensor(x), torch.tensor(y)
    ours_optimizer = optim.Adam(ours_model.parameters(), lr=1e-3)
    theirs_optimizer = torch.optim.Adam(theirs_model.parameters(), lr=1e-3)

    def ours_step():
        logits = ours_model["head"](ours_model["encoder"](ours_x).mean(1))
        loss = F.cross_entropy(logits, ours_y)
        ours_optimizer.zero_grad()
        loss.backward()
        ours_optimizer.step()

    def theirs_step():
        logits = theirs_model["head"](theirs_model["encoder"](theirs_x).mean(1))
        loss = torch.nn.functional.cross_entropy(logits, theirs_y)
        theirs_optimizer.zero_grad()
        loss.backward()
        theirs_optimizer.step()

    return ours_step, theirs_step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    ours, theirs = transformer_workload(dropout=args.dropout)
    for _ in range(3):
        ours()
        theirs()
    t_ours, t_theirs = compare(ours, theirs, rounds=args.rounds, min_seconds=0.5)
    print(f"transformer training step, dropout {args.dropout} — {machine_description(args.threads)}")
    print_table([("transformer", t_ours, t_theirs, TARGET)], "PyTorch", markdown=args.markdown)


if __name__ == "__main__":
    main()
