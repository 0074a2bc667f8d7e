"""The training side of the monitor: ``Monitor`` (a ``Trainer`` callback) and ``Run`` (the explicit-loop API).

    monitor = Monitor()                                   # runs go to ./glassbox-runs.db, nothing to start
    monitor = Monitor(url="http://127.0.0.1:6006", token=...)   # or to a `glassbox monitor serve` server
    trainer = Trainer(model, "cross_entropy", optimizer, callbacks=[monitor])

    run = monitor.start("sweep-3", config={"lr": 0.01})   # any loop
    for step in range(steps):
        run.log(step, loss=loss, accuracy=accuracy)
    run.finish()

``log`` only puts the points on a queue: a background thread groups them into batches (every
``flush_interval`` seconds or ``batch_points`` points), sends them, sends a heartbeat every
``heartbeat`` seconds and samples system metrics, so logging never waits for the disk or the
network and a server that is down never stops training. A batch the server cannot take yet waits in
an on-disk outbox (``outbox.py``) and is sent later, in order, exactly once (batch ids).

A batch, the one message between a run and a store::

    {"run_id": "3f2c…", "batch_id": "3f2c…:17",                 # no batch_id: a heartbeat only
     "run": {"name": …, "created": …, "host": …, "pid": …, "heartbeat": 10.0, "config": {…} (first batch)},
     "points": [[name, step, value, time], …],
     "status": {"status": "finished", "message": …}}              # optional

The run's status follows the process (see ``hooks.py``): finished, failed (with the traceback),
killed (SIGTERM/SIGINT), nan (a loss became NaN or infinite); the server adds lost and stalled.
"""

from __future__ import annotations

import math
import os
import queue
import socket
import threading
import time
import uuid
import warnings

from glassbox.monitor import hooks
from glassbox.monitor.outbox import default_outbox_directory
from glassbox.monitor.security import (
    sanitize_metric_name,
    validate_metric_name,
    validate_param_key,
    validate_run_name,
)
from glassbox.monitor.sender import RunSender
from glassbox.monitor.store import TERMINAL_STATUSES, allowed_transition
from glassbox.monitor.transport import HttpTransport, LocalTransport
from glassbox.train.callbacks import Callback

DEFAULT_DATABASE = "glassbox-runs.db"


def flatten_config(config, prefix: str = "") -> dict:
    """``{"optimizer": {"lr": 0.1}}`` → ``{"optimizer.lr": 0.1}``; values kept as JSON (others as text)."""
    flat = {}
    for key, value in (config or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_config(value, f"{name}."))
        elif value is None or isinstance(value, bool | int | str):
            flat[name] = value
        elif isinstance(value, float):
            flat[name] = value if math.isfinite(value) else str(value)
        elif isinstance(value, list | tuple) and all(isinstance(item, bool | int | float | str) for item in value):
            flat[name] = [item if not isinstance(item, float) or math.isfinite(item) else str(item) for item in value]
        else:
            flat[name] = str(value)
    return flat


def as_number(value) -> float | None:
    """A float from a Python number, a NumPy scalar or a one-element tensor (``.item()``)."""
    if hasattr(value, "item"):
        value = value.item()
    if value is None:
        return None
    return float(value)


class Run:
    """One training run: ``log`` points, then ``finish``. Made by ``Monitor.start``; also a context manager
    (an exception inside the ``with`` marks it failed with the traceback, Ctrl-C killed)."""

    def __init__(self, monitor: Monitor, name: str, config: dict | None = None, owned_by_callback: bool = False):
        self.monitor, self.owned_by_callback = monitor, owned_by_callback
        self.id = uuid.uuid4().hex
        self.name = validate_run_name(name)
        self.config = flatten_config(config)
        for key in self.config:
            validate_param_key(key)
        self.status, self.message = "running", None
        self.step = -1
        self._known_names: set[str] = set()
        self.ended = False
        self.error: str | None = None  # the last reason a batch could not be delivered
        self.delivered_batches = self.dropped_batches = 0
        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # put() is safe from a signal handler
        self._closed = threading.Event()
        self._header = {"name": self.name, "created": time.time(), "host": socket.gethostname(),
                        "pid": os.getpid(), "heartbeat": monitor.heartbeat}
        self._sender = RunSender(self)
        self._queue.put(("flush", None))  # the run appears on the dashboard at once, before its first point
        self._sender.start()
        hooks.register(self, signals=monitor.handle_signals)

    def __repr__(self):
        return f"Run(name={self.name!r}, id={self.id!r}, status={self.status!r}, step={self.step})"

    @property
    def delivery_latencies(self) -> list[float]:
        """Seconds each batch took from request to the server's acknowledgement (HTTP only)."""
        return list(getattr(self._sender.transport, "latencies", []))

    @property
    def used_outbox(self) -> bool:
        """Whether some batch had to wait in the outbox (the server was out of reach for a while)."""
        return self._sender.outbox is not None

    # ---- the API -------------------------------------------------------------------------------------------------
    def log(self, step: int | None = None, **metrics) -> None:
        """Record ``metrics`` (name=value) at ``step`` (the step after the last one when omitted).

        A loss (a name ending in "loss") that is NaN or infinite sets the run's status to ``nan``.
        """
        if self.ended:
            warnings.warn(f"monitor: run {self.name!r} has ended ({self.status}); log() ignored", RuntimeWarning,
                          stacklevel=2)
            return
        if self._closed.is_set():  # the sender could not open its store or url and said why: training goes on
            return
        step = self.step + 1 if step is None else int(step)
        if step < 0:
            raise ValueError(f"monitor: a step must be >= 0, got {step}")
        now = time.time()
        points = []
        for name, value in metrics.items():
            if name not in self._known_names:
                self._known_names.add(validate_metric_name(name))
            number = as_number(value)
            points.append((name, step, number, now))
            if number is not None and not math.isfinite(number) and name.endswith("loss") and self.status != "nan":
                self.set_status("nan", f"{name} became {number} at step {step}")
        self.step = max(self.step, step)
        self._queue.put(("points", points))

    def set_status(self, status: str, message: str | None = None) -> None:
        if allowed_transition(self.status, status):
            self.status, self.message = status, message
            self._queue.put(("status", {"status": status, "message": message}))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything logged so far is delivered; False if ``timeout`` passed first."""
        if self.ended:
            return self._closed.is_set()
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def finish(self, status: str = "finished", message: str | None = None, timeout: float = 30.0) -> bool:
        """End the run with ``status``; waits up to ``timeout`` s for delivery (what is left stays in the outbox)."""
        return self._end(status, message, timeout)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, trace):
        if kind is None:
            self.finish()
        elif issubclass(kind, KeyboardInterrupt):
            self.finish("killed", "KeyboardInterrupt")
        else:
            import traceback

            self.finish("failed", "".join(traceback.format_exception(kind, value, trace)))
        return False

    # ---- ending --------------------------------------------------------------------------------------------------
    def _end(self, status: str, message: str | None, timeout: float) -> bool:
        if self.ended:
            return self._closed.wait(timeout)
        self.ended = True
        self.set_status(status, message)
        self._queue.put(("close", time.monotonic() + timeout))
        delivered = self._closed.wait(timeout + 1.0)
        hooks.unregister(self)
        return delivered and not self._sender.left_in_outbox

    def _end_at_exit(self) -> None:
        if self.owned_by_callback:
            self._end("failed", "the process exited before training ended (fit raised and the error was caught, "
                                "or sys.exit was called during training)", hooks.SIGNAL_FLUSH_SECONDS)
        else:
            self._end("finished", None, hooks.SIGNAL_FLUSH_SECONDS)


class Monitor(Callback):
    """Record training runs, locally or on a monitor server; as a ``Trainer`` callback or by hand.

    Args:
        path: the SQLite run store when no server is given (default ``./glassbox-runs.db`` or $GLASSBOX_MONITOR_DB).
        url: a ``glassbox monitor serve`` server (default $GLASSBOX_MONITOR_URL unless ``path`` is given).
        token: the server's token (default $GLASSBOX_MONITOR_TOKEN, or the contents of ``token_file``).
        name, config: the run's name and hyper-parameters (the callback adds model, optimizer and epochs).
        heartbeat: seconds between heartbeats; the server declares a run lost after its heartbeat timeout.
        system_metrics: also record CPU, memory and (with CuPy) GPU memory every ``system_interval`` s.
        flush_interval, batch_points: a batch leaves after this many seconds or points, whichever comes first.
        notify: a ``Notifier`` (or its config as a dict / file path) told of finished, failed, killed and nan
            runs from this process; the server notifies too, and also of lost and stalled runs.
        handle_signals: mark runs killed on SIGTERM / SIGINT (then the previous handler runs).
    """

    def __init__(self, path=None, *, url=None, token=None, token_file=None, name=None, config=None,
                 heartbeat: float = 10.0, system_metrics: bool = True, system_interval: float | None = None,
                 flush_interval: float = 0.5, batch_points: int = 1000, timeout: float = 5.0, cafile=None,
                 outbox_dir=None, notify=None, handle_signals: bool = True, log_every_n_steps: int = 1):
        # an explicit path or url wins; the environment only fills in when neither is given
        self.url = url or (None if path is not None else os.environ.get("GLASSBOX_MONITOR_URL") or None)
        token_file = token_file or os.environ.get("GLASSBOX_MONITOR_TOKEN_FILE")
        if token is None and token_file:
            with open(token_file, encoding="utf-8") as file:
                token = file.read().strip()
        self.token = token or os.environ.get("GLASSBOX_MONITOR_TOKEN")
        self.path = os.path.abspath(os.fspath(path or os.environ.get("GLASSBOX_MONITOR_DB") or DEFAULT_DATABASE))
        if heartbeat <= 0 or flush_interval <= 0 or batch_points < 1:
            raise ValueError(f"Monitor: heartbeat and flush_interval must be > 0 and batch_points >= 1, got "
                             f"{heartbeat}, {flush_interval}, {batch_points}")
        self.name, self.config = name, dict(config or {})
        self.heartbeat, self.flush_interval, self.batch_points = float(heartbeat), float(flush_interval), batch_points
        self.system_metrics = system_metrics
        self.system_interval = float(system_interval if system_interval is not None else max(heartbeat, 1.0))
        self.timeout, self.cafile = timeout, cafile
        self.outbox_dir = os.fspath(outbox_dir or default_outbox_directory())
        self.handle_signals, self.log_every_n_steps = handle_signals, max(1, int(log_every_n_steps))
        self.notifier = None
        if notify is not None:
            from glassbox.monitor.notify import Notifier

            self.notifier = notify if isinstance(notify, Notifier) else Notifier.from_config(notify)
        if self.url is not None:
            HttpTransport(self.url, self.token)  # a malformed url fails here, not in the background
        self.run: Run | None = None

    def __repr__(self):
        return f"Monitor({'url=' + repr(self.url) if self.url else 'path=' + repr(self.path)})"

    def _transport(self):
        if self.url is not None:
            return HttpTransport(self.url, self.token, timeout=self.timeout, cafile=self.cafile)
        return LocalTransport(self.path)

    def _notify_status(self, run: Run, status: dict) -> None:
        if self.notifier is not None and status["status"] in TERMINAL_STATUSES:
            self.notifier.notify(status["status"], {"id": run.id, "name": run.name, "status": status["status"]},
                                 status.get("message"), wait=True)

    def start(self, name: str | None = None, config: dict | None = None) -> Run:
        """Begin a run; ``log`` to it, then ``finish`` it."""
        name = name or self.name or f"run-{time.strftime('%Y%m%d-%H%M%S')}"
        return Run(self, name, {**self.config, **(config or {})})

    # ---- Trainer callback ----------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        trainer = self.trainer
        optimizer = trainer.optimizer
        group = {key: value for key, value in optimizer.param_groups[0].items() if key != "params"}
        config = {"model": type(trainer.model).__name__,
                  "parameters": sum(parameter.numel() for parameter in trainer.model.parameters()),
                  "optimizer": {"name": type(optimizer).__name__, **group},
                  "loss": getattr(trainer.loss_function, "__name__", type(trainer.loss_function).__name__),
                  "epochs": trainer.epochs, "steps_per_epoch": trainer.steps_per_epoch}
        name = self.name or f"{type(trainer.model).__name__}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.run = Run(self, name, {**config, **self.config}, owned_by_callback=True)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        step = self.trainer.global_step
        if loss is not None and (step % self.log_every_n_steps == 0 or not math.isfinite(loss)):
            self.run.log(step, loss=loss)

    def on_epoch_end(self, epoch, logs=None):
        values = {sanitize_metric_name(f"epoch/{key}"): value for key, value in (logs or {}).items()
                  if isinstance(value, int | float) or hasattr(value, "item")}
        self.run.log(self.trainer.global_step, epoch=epoch + 1, **values)

    def on_train_end(self, logs=None):
        if self.run is None:
            return
        if (logs or {}).get("interrupted"):
            self.run.finish("killed", "KeyboardInterrupt during training", timeout=hooks.SIGNAL_FLUSH_SECONDS)
        else:
            self.run.finish()
