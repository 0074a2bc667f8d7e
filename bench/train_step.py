"""One training step (forward + backward + optimizer step) in glassbox and in PyTorch, same threads.

Workloads:
- mlp: Linear 784-512-256-10 with ReLU, batch 128, Adam, cross-entropy.

Prints the median milliseconds per step of each, the ratio glassbox / PyTorch, the
peak memory each adds during the steps (in a child process each), and glassbox's share of NumPy's own
GEMM FLOP rate on the same matrix products.

    python bench/train_step.py [--workload mlp] [--threads 2]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    classifier_training_steps,
    compare,
    format_time,
    limit_threads,
    machine_description,
)


def mlp_workload(seed: int = 0):
    sizes = [784, 512, 256, 10]
    batch = 128
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=batch)

    def layers(module):
        out = []
        for i in range(len(sizes) - 1):
            out.append(module.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                out.append(module.ReLU())
        return module.Sequential(*out)

    ours_step, theirs_step = classifier_training_steps(layers, x, y, "Adam", lr=1e-3)

    # the GEMMs of one step: forward x@Wᵀ, backward dX = dY@W and dW = dYᵀ@X per layer
    flops = sum(3 * 2 * batch * sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))
    gemms = []
    for i in range(len(sizes) - 1):
        a = rng.normal(size=(batch, sizes[i])).astype(np.float32)
        w = rng.normal(size=(sizes[i + 1], sizes[i])).astype(np.float32)
        g = rng.normal(size=(batch, sizes[i + 1])).astype(np.float32)
        gemms.append((a, w, g))

    def numpy_gemms():
        for a, w, g in gemms:
            a @ w.T
            g @ w
            g.T @ a

    return ours_step, theirs_step, flops, numpy_gemms


def cnn_workload(seed: int = 0):
    batch = 64
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)

    def layers(module):
        return module.Sequential(
            module.Conv2d(1, 32, 3, padding=1), module.ReLU(), module.MaxPool2d(2),
            module.Conv2d(32, 64, 3, padding=1), module.ReLU(), module.MaxPool2d(2),
            module.Flatten(), module.Linear(64 * 7 * 7, 128), module.ReLU(), module.Linear(128, 10),
        )

    ours_step, theirs_step = classifier_training_steps(layers, x, y, "Adam", lr=1e-3)

    # each conv as im2col GEMM (rows = output positions, K = in·3·3) and each Linear: (rows, K, out, needs dX);
    # glassbox's second conv runs as Winograd F(2×2, 3×3) with 2.25× fewer multiplications: an effective rate
    gemm_shapes = [(batch * 28 * 28, 1 * 9, 32, False), (batch * 14 * 14, 32 * 9, 64, True),
                   (batch, 64 * 7 * 7, 128, True), (batch, 128, 10, True)]
    # forward y = A Wᵀ and backward dW = dYᵀ A per layer, plus dA = dY W except for the input image
    flops = sum((3 if needs_input_grad else 2) * 2 * rows * k * n for rows, k, n, needs_input_grad in gemm_shapes)
    gemms = [(rng.standard_normal((rows, k), dtype=np.float32), rng.standard_normal((n, k), dtype=np.float32),
              rng.standard_normal((rows, n), dtype=np.float32), needs_input_grad)
             for rows, k, n, needs_input_grad in gemm_shapes]

    def numpy_gemms():
        for a, w, g, needs_input_grad in gemms:
            a @ w.T
            g.T @ a
            if needs_input_grad:
                g @ w

    return ours_step, theirs_step, flops, numpy_gemms


def lstm_workload(seed: int = 0):
    from recurrent import BATCH, HIDDEN, INPUT, STEPS, lstm_training_step

    ours_step, theirs_step = lstm_training_step(seed)
    gates = 4 * HIDDEN
    rng = np.random.default_rng(seed)
    # forward: every step's input product at once, then one hidden product per step; backward: dW_ih and dW_hh
    # over all steps at once, and one dh = dA W_hh per step (the input needs no gradient: no dX)
    x = rng.standard_normal((STEPS * BATCH, INPUT), dtype=np.float32)
    h = rng.standard_normal((STEPS * BATCH, HIDDEN), dtype=np.float32)
    weight_ih = rng.standard_normal((gates, INPUT), dtype=np.float32)
    weight_hh = rng.standard_normal((gates, HIDDEN), dtype=np.float32)
    grad_gates = rng.standard_normal((STEPS * BATCH, gates), dtype=np.float32)
    flops = 2 * STEPS * BATCH * (2 * INPUT + 3 * HIDDEN) * gates

    def numpy_gemms():
        x @ weight_ih.T
        grad_gates.T @ x
        grad_gates.T @ h
        for step in range(STEPS):
            rows = slice(step * BATCH, (step + 1) * BATCH)
            h[rows] @ weight_hh.T
            grad_gates[rows] @ weight_hh

    return ours_step, theirs_step, flops, numpy_gemms


def transformer_workload(seed: int = 0):
    from transformer import transformer_workload as transformer_training_step

    batch, length, d_model, heads, feedforward, layers = 32, 64, 128, 4, 512, 2
    ours_step, theirs_step = transformer_training_step(batch=batch, length=length, d_model=d_model, heads=heads,
                                                       feedforward=feedforward, layers=layers, seed=seed)
    rng = np.random.default_rng(seed)
    rows, head_dim = batch * length, d_model // heads
    # per layer: the Q/K/V, output and feed-forward projections, and the two batched attention products
    # (Q Kᵀ and W V over batch · heads); backward doubles each, less the input's own gradient (not needed)
    products = [((rows, d_model), (d_model, 3 * d_model)), ((rows, d_model), (d_model, d_model)),
                ((rows, d_model), (d_model, feedforward)), ((rows, feedforward), (feedforward, d_model)),
                ((batch * heads, length, head_dim), (batch * heads, head_dim, length)),
                ((batch * heads, length, length), (batch * heads, length, head_dim))]
    flops = layers * sum(3 * 2 * int(np.prod(a)) * b[-1] for a, b in products) - 2 * rows * d_model * 3 * d_model
    gemms = [(rng.standard_normal(a, dtype=np.float32), rng.standard_normal(b, dtype=np.float32)) for a, b in products]

    def numpy_gemms():
        for layer in range(layers):
            for position, (a, b) in enumerate(gemms):
                grad = a @ b
                if layer or position:
                    grad @ b.swapaxes(-1, -2)
                a.swapaxes(-1, -2) @ grad

    return ours_step, theirs_step, flops, numpy_gemms


WORKLOADS = {"mlp": mlp_workload, "cnn": cnn_workload, "lstm": lstm_workload, "transformer": transformer_workload}


def peak_memory_of(library: str, workload: str, threads: int) -> float:
    """MiB a library's training steps add to the process's peak resident memory, measured in a fresh
    child process (so the two libraries never share a high-water mark)."""
    command = [sys.executable, __file__, "--workload", workload, "--threads", str(threads), "--memory-of", library]
    return float(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip())


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _report_memory(library: str, workload: str) -> None:
    """Peak resident memory above the resting state while steps run, sampled every millisecond."""
    import threading

    ours, theirs = WORKLOADS[workload]()[:2]
    step = ours if library == "glassbox" else theirs
    baseline = _resident_bytes()  # models built, no step taken yet
    peak, running = [baseline], [True]

    def sample():
        while running[0]:
            peak[0] = max(peak[0], _resident_bytes())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    for _ in range(5):
        step()
    running[0] = False
    sampler.join()
    print((peak[0] - baseline) / 2**20)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="mlp")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--memory-of", choices=["glassbox", "pytorch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    if args.memory_of:
        return _report_memory(args.memory_of, args.workload)
    ours, theirs, flops, numpy_gemms = WORKLOADS[args.workload]()
    for _ in range(3):
        ours()
        theirs()
    t_ours, t_theirs = compare(ours, theirs, rounds=args.rounds, min_seconds=0.3)
    t_gemm = min(_time(numpy_gemms) for _ in range(args.rounds))
    print(f"workload {args.workload} — {machine_description(args.threads)}")
    memory = {name: peak_memory_of(name, args.workload, args.threads) for name in ("glassbox", "pytorch")}
    print(f"glassbox  {format_time(t_ours)} per step   peak memory of the steps +{memory['glassbox']:.1f} MiB")
    print(f"PyTorch   {format_time(t_theirs)} per step   peak memory of the steps +{memory['pytorch']:.1f} MiB")
    print(f"ratio glassbox / PyTorch: {t_ours / t_theirs:.2f}")
    print(f"GEMM rate: glassbox step {flops / t_ours / 1e9:.1f} GFLOP/s, NumPy's bare GEMMs "
          f"{flops / t_gemm / 1e9:.1f} GFLOP/s ({t_gemm / t_ours:.0%} of NumPy's rate)")


def _time(function, repeats: int = 20) -> float:
    function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats


if __name__ == "__main__":
    main()
