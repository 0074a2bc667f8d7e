"""What every benchmark shares: thread limits, alternating timing, and the ratio table.

The same workload runs in glassbox and in the anchor within one process, in
alternating rounds (so a slow moment of the machine hits both), and the table
prints median times and the ratio glassbox / anchor: below 1 means glassbox is
faster.
"""

from __future__ import annotations

import os
import platform
import statistics
import time


def limit_threads(threads: int) -> None:
    """Give NumPy's BLAS and PyTorch the same number of threads."""
    import numpy  # noqa: F401  (threadpoolctl limits only the BLAS libraries already loaded)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


def time_call(function, min_seconds: float = 0.05, max_calls: int = 100_000) -> float:
    """Seconds per call of ``function``, from enough calls to fill ``min_seconds``."""
    function()
    calls, start = 0, time.perf_counter()
    while True:
        function()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or calls >= max_calls:
            return elapsed / calls


def compare(ours, anchor, rounds: int = 7, min_seconds: float = 0.05) -> tuple[float, float]:
    """Median seconds per call of ``ours`` and ``anchor``, measured in alternating rounds."""
    ours_times, anchor_times = [], []
    for _ in range(rounds):
        ours_times.append(time_call(ours, min_seconds))
        anchor_times.append(time_call(anchor, min_seconds))
    return statistics.median(ours_times), statistics.median(anchor_times)


def classifier_training_steps(make, x, y, optimizer: str = "Adam", device: str = "cpu", seed=None, **options):
    """One cross-entropy training step of the same classifier in glassbox and in PyTorch: (ours, theirs).

    ``make(nn)`` builds the model from either library's ``nn``; PyTorch's initial weights (seeded when ``seed``
    is given) are copied into glassbox's. ``optimizer`` names a class both ``glassbox.optim`` and
    ``torch.optim`` have, built with ``options``. On "cuda" each step ends with its library's synchronisation.
    """
    import torch

    import glassbox as gb
    import glassbox.nn.functional as F
    from glassbox import nn, optim

    if seed is not None:
        torch.manual_seed(seed)
    theirs_model = make(torch.nn)
    ours_model = make(nn)
    ours_model.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs_model.state_dict().items()})
    theirs_model.to(device)
    ours_model.to(device)
    ours_optimizer = getattr(optim, optimizer)(ours_model.parameters(), **options)
    theirs_optimizer = getattr(torch.optim, optimizer)(theirs_model.parameters(), **options)
    ours_x, ours_y = gb.tensor(x, device=device), gb.tensor(y, device=device)
    theirs_x, theirs_y = torch.tensor(x, device=device), torch.tensor(y, device=device)
    if device == "cuda":
        import cupy

        ours_sync, theirs_sync = cupy.cuda.Device().synchronize, torch.cuda.synchronize
    else:
        ours_sync = theirs_sync = lambda: None  # noqa: E731

    def ours_step():
        loss = F.cross_entropy(ours_model(ours_x), ours_y)
        ours_optimizer.zero_grad()
        loss.backward()
        ours_optimizer.step()
        ours_sync()

    def theirs_step():
        loss = torch.nn.functional.cross_entropy(theirs_model(theirs_x), theirs_y)
        theirs_optimizer.zero_grad()
        loss.backward()
        theirs_optimizer.step()
        theirs_sync()

    return ours_step, theirs_step


def machine_description(threads: int) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {threads} thread(s), Python {platform.python_version()}"


def format_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def print_table(rows, anchor_name: str, markdown: bool = False) -> None:
    """rows: (name, ours_seconds, anchor_seconds[, target])."""
    header = ("workload", "glassbox", anchor_name, "ratio", "target")
    lines = []
    for row in rows:
        name, ours, anchor = row[:3]
        target = row[3] if len(row) > 3 else ""
        lines.append((name, format_time(ours), format_time(anchor), f"{ours / anchor:.2f}", target))
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    for line in (header, *lines):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))
