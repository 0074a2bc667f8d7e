"""Live training monitor: record runs (``Monitor``), serve a dashboard, notify on finish and crash.

    from glassbox.monitor import Monitor
    trainer = Trainer(model, loss, optimizer, callbacks=[Monitor()])      # → ./glassbox-runs.db
    glassbox monitor serve --db glassbox-runs.db                          # → http://127.0.0.1:6006/

The server side (``server``, ``serve``, ``events``) needs the ``monitor`` extra (Starlette, Uvicorn);
recording runs needs nothing beyond the standard library. Names are loaded on first use, so the
``glassbox`` command can offer ``monitor serve`` without importing the training stack.
"""

import importlib

_EXPORTS = {"Monitor": "client", "Run": "client", "Notifier": "notify", "Store": "store", "STATUSES": "store",
            "TERMINAL_STATUSES": "store"}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"glassbox.monitor.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'glassbox.monitor' has no attribute {name!r}")
