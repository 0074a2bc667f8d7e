"""How a run learns that its process is ending: signals, uncaught exceptions, interpreter exit.

TensorDash never hears of a killed run; MLflow records a run stopped by a signal with the wrong
status. Here, for every run still active in the process:

- SIGTERM / SIGINT: the run is marked ``killed``, its last batches are sent (a few seconds at most),
  then the handler that was there before runs: Python's SIGINT handler raises KeyboardInterrupt, a
  default SIGTERM is re-raised with the default action (the exit status still says "signal 15").
  A signal that was ignored stays ignored and kills nothing.
- an uncaught exception (``sys.excepthook``): ``failed`` with the traceback, then the previous hook;
- a normal interpreter exit: a run made with ``monitor.start`` and never finished is ``finished``
  (as W&B does for a script that simply ends); a ``Monitor`` callback whose training never reached
  ``on_train_end`` is ``failed`` (fit raised and the caller caught it, or ``sys.exit`` mid-training).
- SIGKILL or a lost machine cannot be caught by anyone: the server notices the missing heartbeat.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import traceback

_active: list = []  # runs to finish when the process ends, oldest first
_lock = threading.RLock()  # re-entrant: a signal handler may run while the main thread holds it
_installed = _signals_installed = False
_previous_handlers: dict[int, object] = {}
_previous_excepthook = None
SIGNAL_FLUSH_SECONDS = 5.0


def register(run, signals: bool = True) -> None:
    with _lock:
        _active.append(run)
    install(signals)


def unregister(run) -> None:
    with _lock:
        if run in _active:
            _active.remove(run)


def active_runs() -> list:
    with _lock:
        return list(_active)


def install(signals: bool = True) -> None:
    """Install the handlers once per process (signal handlers only from the main thread, as Python requires)."""
    global _installed, _signals_installed, _previous_excepthook
    if not _installed:
        _installed = True
        _previous_excepthook = sys.excepthook
        sys.excepthook = _on_uncaught_exception
        atexit.register(_on_exit)
    if not signals or _signals_installed or threading.current_thread() is not threading.main_thread():
        return
    _signals_installed = True
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        if previous in (signal.SIG_IGN, None):
            continue  # an ignored signal does not end the process, and a handler installed from C stays
        _previous_handlers[signum] = previous
        signal.signal(signum, _on_signal)


def _on_signal(signum, frame):
    name = signal.Signals(signum).name
    for run in reversed(active_runs()):
        run._end("killed", f"received {name} (pid {os.getpid()})", timeout=SIGNAL_FLUSH_SECONDS)
    previous = _previous_handlers.get(signum)
    if callable(previous):
        return previous(signum, frame)
    # the default action: restore it and deliver the signal again, so the exit status says how the process ended
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _on_uncaught_exception(kind, value, trace):
    try:
        if issubclass(kind, KeyboardInterrupt):
            status, message = "killed", "KeyboardInterrupt"
        else:
            status, message = "failed", "".join(traceback.format_exception(kind, value, trace))
        for run in reversed(active_runs()):
            run._end(status, message, timeout=SIGNAL_FLUSH_SECONDS)
    finally:
        (_previous_excepthook or sys.__excepthook__)(kind, value, trace)


def _on_exit():
    for run in reversed(active_runs()):
        run._end_at_exit()
