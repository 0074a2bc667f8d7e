"""Live training monitor: record runs (``Monitor``), serve a dashboard, notify on finish and crash.

    from glassbox.monitor import Monitor
    trainer = Trainer(model, loss, optimizer, callbacks=[Monitor()])      # → ./glassbox-runs.db
    glassbox monitor serve --db glassbox-runs.db                          # → http://127.0.0.1:6006/

The server side (``server``, ``serve``, ``events``) needs the ``monitor`` extra (Starlette, Uvicorn);
recording runs needs nothing beyond the standard library.
"""

from glassbox.monitor.client import Monitor, Run
from glassbox.monitor.notify import Notifier
from glassbox.monitor.store import STATUSES, TERMINAL_STATUSES, Store
