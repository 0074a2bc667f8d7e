"""Per-op time of glassbox against PyTorch on the same threads, in one run.

Three kinds of rows:
- small tensors (8×8): almost all of the time is Python overhead per op;
- large tensors (1M elements): the arithmetic itself;
- a 512×512 matrix product.
Each op is timed forward only and forward + backward.

    python bench/ops.py [--threads 1] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compare, limit_threads, machine_description, print_table  # noqa: E402

UNARY = {
    "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "sum(dim)": lambda x: x.sum(1),
    "mean": lambda x: x.mean(),
    "amax(dim)": lambda x: x.amax(1),
    "softmax": lambda x: x.softmax(1),
    "log_softmax": lambda x: x.log_softmax(1),
    "reshape": lambda x: x.reshape(-1),
    "transpose": lambda x: x.transpose(0, 1),
    "slice": lambda x: x[1:, ::2],
    "mul scalar": lambda x: x * 2.0,
}
BINARY = {
    "add": lambda x, y: x + y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "maximum": lambda x, y: x.maximum(y),
}

TARGETS = {"small": "<= 3", "large": "<= 1.2", "matmul": "<= 1.1"}


def _pair(shape, requires_grad, seed=0):
    import torch

    import glassbox as gb

    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0.5, 2.0, size=shape).astype(np.float32) for _ in range(2)]
    ours = [gb.tensor(a, requires_grad=requires_grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return ours, theirs


def _forward(fn, tensors):
    return lambda: fn(*tensors)


def _forward_backward(fn, tensors):
    def run():
        out = fn(*tensors)
        out.sum().backward()
        for t in tensors:
            t.grad = None

    return run


def run(threads: int, rounds: int, min_seconds: float):
    limit_threads(threads)
    rows = []
    for size_name, shape in (("small", (8, 8)), ("large", (1000, 1000))):
        for ops, arity in ((UNARY, 1), (BINARY, 2)):
            for name, fn in ops.items():
                ours, theirs = _pair(shape, requires_grad=False)
                forward_ours, forward_theirs = _forward(fn, ours[:arity]), _forward(fn, theirs[:arity])
                t_ours, t_theirs = compare(forward_ours, forward_theirs, rounds, min_seconds)
                rows.append((f"{name} {size_name} fwd", t_ours, t_theirs, TARGETS[size_name]))
                ours, theirs = _pair(shape, requires_grad=True)
                t_ours, t_theirs = compare(
                    _forward_backward(fn, ours[:arity]), _forward_backward(fn, theirs[:arity]), rounds, min_seconds
                )
                rows.append((f"{name} {size_name} fwd+bwd", t_ours, t_theirs, TARGETS[size_name]))
    ours, theirs = _pair((512, 512), requires_grad=False)
    t_ours, t_theirs = compare(lambda: ours[0] @ ours[1], lambda: theirs[0] @ theirs[1], rounds, min_seconds)
    rows.append(("matmul 512×512 fwd", t_ours, t_theirs, TARGETS["matmul"]))
    ours, theirs = _pair((512, 512), requires_grad=True)
    matmul = lambda a, b: a @ b
    t_ours, t_theirs = compare(_forward_backward(matmul, ours), _forward_backward(matmul, theirs), rounds, min_seconds)
    rows.append(("matmul 512×512 fwd+bwd", t_ours, t_theirs, TARGETS["matmul"]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.05)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    rows = run(args.threads, args.rounds, args.min_seconds)
    print(f"glassbox vs PyTorch, per op — {machine_description(args.threads)}")
    print_table(rows, "PyTorch", markdown=args.markdown)
    ratios = {kind: [r[1] / r[2] for r in rows if kind in r[0]] for kind in ("small", "large", "matmul")}
    for kind, values in ratios.items():
        print(f"{kind}: median ratio {np.median(values):.2f}, worst {max(values):.2f} (target {TARGETS[kind]})")


if __name__ == "__main__":
    main()
