"""A progress bar for ``fit``: loss, metrics, items per second and time left.

On a terminal it redraws one line per epoch; when the output is not a terminal
(a log file, CI) it prints one summary line per epoch instead, so logs stay
readable.
"""

from __future__ import annotations

import sys
import time

from glassbox.train.callbacks import Callback


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_logs(logs: dict) -> str:
    parts = []
    for key, value in logs.items():
        if isinstance(value, float):
            parts.append(f"{key} {value:.4g}")
        else:
            parts.append(f"{key} {value}")
    return "  ".join(parts)


class ProgressBar(Callback):
    """``verbose``: 0 silent, 1 a bar (or one line per epoch when not a terminal), 2 one line per epoch."""

    def __init__(self, verbose: int = 1, stream=None, width: int = 24):
        self.verbose, self.stream, self.width = verbose, stream or sys.stdout, width
        self.interactive = verbose == 1 and hasattr(self.stream, "isatty") and self.stream.isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.start, self.seen, self.last_draw = epoch, time.perf_counter(), 0, 0.0
        self.total = self.trainer.steps_per_epoch

    def on_train_batch_end(self, batch, logs=None):
        self.seen += (logs or {}).get("size", 0)
        if not self.interactive:
            return
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and batch + 1 != self.total:
            return
        self.last_draw = now
        elapsed = now - self.start
        done = batch + 1
        if self.total:
            filled = int(self.width * done / self.total)
            bar = "█" * filled + "·" * (self.width - filled)
            eta = format_duration(elapsed / done * (self.total - done))
            position = f"{done}/{self.total} {bar} ETA {eta}"
        else:
            position = f"{done}"
        rate = self.seen / elapsed if elapsed > 0 else 0.0
        shown = {"loss": self.trainer.running_loss}
        self.stream.write(f"\rEpoch {self.epoch + 1}/{self.trainer.epochs} {position}  "
                          f"{format_logs(shown)}  {rate:,.0f} items/s   ")
        self.stream.flush()

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose == 0:
            return
        elapsed = time.perf_counter() - self.start
        rate = self.seen / elapsed if elapsed > 0 else 0.0
        line = (f"Epoch {epoch + 1}/{self.trainer.epochs}  {format_duration(elapsed)}  {rate:,.0f} items/s  "
                f"{format_logs(logs or {})}")
        self.stream.write(("\r" + line + " " * 8 + "\n") if self.interactive else line + "\n")
        self.stream.flush()
