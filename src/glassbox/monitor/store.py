"""The run store: one SQLite file holding runs, hyper-parameters, metric points, batches seen and status changes.

Safe with several runs and processes writing at once (Aim's store corrupts under concurrent runs;
MLflow's SQLite store serialises everything through one process):

- WAL mode: readers never block the writer and the writer never blocks readers;
- each writer holds its own connection (one per run in a training process; one for the server),
  takes the write lock up front (``BEGIN IMMEDIATE``) and waits for it up to ``busy_timeout``;
- every write is one transaction: a batch is all in or all out.

Exactly once: a batch carries an id; the id is recorded in ``batches`` in the same transaction as
its points, so a batch sent twice (a reply lost on the way back, a replay after an outage) is
recognised and skipped. A metric point is unique by (run, name, step); logging a step again
replaces its value.

Status transitions (every one is recorded in ``status_changes``)::

    running ⇄ stalled        no new step for the stall timeout / a new step
    running, stalled → lost  no heartbeat for the heartbeat timeout; a heartbeat brings it back to running
    → finished | failed | killed | nan    terminal: nothing but failed/killed follows nan

Long runs are drawn from a downsampled query (the minimum and maximum of each of max_points/2 step
buckets, so a spike is never averaged away); zooming in asks for the full resolution of a step range.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time

TERMINAL_STATUSES = ("finished", "failed", "killed", "nan")
STATUSES = ("running", "stalled", "lost", *TERMINAL_STATUSES)
MESSAGE_MAX = 20_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    host TEXT,
    pid INTEGER,
    heartbeat_interval REAL,
    last_heartbeat REAL,
    last_step INTEGER,
    last_step_time REAL
);
CREATE TABLE IF NOT EXISTS params (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metric_names (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    value REAL,
    time REAL NOT NULL,
    UNIQUE (run_id, name, step)
);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    received REAL NOT NULL,
    points INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS status_changes (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS status_changes_by_run ON status_changes (run_id, id);
"""


def connect(path: str, busy_timeout: float = 30.0, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """A connection in WAL mode that waits up to ``busy_timeout`` seconds for another writer's lock."""
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    deadline = time.monotonic() + busy_timeout
    while True:
        # Switching a new file to WAL needs an exclusive lock and SQLite reports a busy file at once
        # instead of waiting, so several processes opening a new store at the same moment retry here.
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    return connection


def finite_or_none(value):
    """JSON has no NaN or infinity: a non-finite value is sent and drawn as a gap (null)."""
    return value if value is None or math.isfinite(value) else None


def allowed_transition(current: str, new: str) -> bool:
    if current == new:
        return False
    if current == "nan":
        return new in ("failed", "killed")
    if current in TERMINAL_STATUSES:
        return False
    if new == "stalled":
        return current == "running"
    if new == "lost":
        return current in ("running", "stalled")
    return True


class Store:
    """A run store at ``path`` (created with its schema on first open).

    One ``Store`` is one writer connection (guarded by a lock, so the server's threads may share it);
    reads use a connection per thread so that they never wait for a write.
    """

    def __init__(self, path: str, busy_timeout: float = 30.0):
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        self.busy_timeout = busy_timeout
        self.writer = connect(self.path, busy_timeout)
        self.write_lock = threading.Lock()
        self.readers = threading.local()
        with self.write_lock:
            self.writer.executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")

    # ---- connections ---------------------------------------------------------------------------------------------
    def reader(self) -> sqlite3.Connection:
        connection = getattr(self.readers, "connection", None)
        if connection is None:
            connection = connect(self.path, self.busy_timeout)
            self.readers.connection = connection
        return connection

    def write(self, work, *args):
        """Run ``work(connection, *args)`` as one immediate transaction; returns its result."""
        with self.write_lock:
            connection = self.writer
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection, *args)
                connection.execute("COMMIT")
                return result
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.writer.close()
        connection = getattr(self.readers, "connection", None)
        if connection is not None:
            connection.close()
            self.readers.connection = None

    # ---- writes -------------------------------------------------------------------------------------------------
    def ingest(self, batch: dict, now: float | None = None) -> dict:
        """Store one batch (see ``client.Run`` for its layout) exactly once; also counts as a heartbeat.

        Returns ``{"duplicate": bool, "points": n, "status": run status or None}``.
        """
        return self.write(self._ingest, batch, time.time() if now is None else now)

    def _ingest(self, connection, batch, now):
        run_id, batch_id = batch["run_id"], batch.get("batch_id")
        header = batch.get("run")
        if header is not None:
            connection.execute(
                "INSERT INTO runs (id, name, status, created, updated, host, pid, heartbeat_interval, last_heartbeat)"
                " VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (run_id, header["name"], header.get("created", now), now, header.get("host"), header.get("pid"),
                 header.get("heartbeat"), now))
            if connection.execute("SELECT changes()").fetchone()[0]:
                self._record_status(connection, run_id, "running", None, now)
            if header.get("config"):
                connection.executemany("INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)",
                                       [(run_id, key, json.dumps(value)) for key, value in header["config"].items()])
        row = connection.execute("SELECT status, last_step FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:  # a heartbeat or batch for a run this store never saw created
            return {"duplicate": False, "points": 0, "status": None, "unknown_run": True}
        status, last_step = row
        if batch_id is not None:
            seen = connection.execute("INSERT INTO batches (batch_id, run_id, received, points) VALUES (?, ?, ?, ?)"
                                      " ON CONFLICT (batch_id) DO NOTHING",
                                      (batch_id, run_id, now, len(batch.get("points") or ())))
            if seen.rowcount == 0:
                connection.execute("UPDATE runs SET last_heartbeat = ? WHERE id = ?", (now, run_id))
                return {"duplicate": True, "points": 0, "status": status}
        points = batch.get("points") or ()
        if points:
            connection.executemany(
                "INSERT INTO points (run_id, name, step, value, time) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value, time = excluded.time",
                [(run_id, name, int(step), None if value is None else float(value), point_time)
                 for name, step, value, point_time in points])
            connection.executemany("INSERT OR IGNORE INTO metric_names (run_id, name) VALUES (?, ?)",
                                   [(run_id, name) for name in {point[0] for point in points}])
            newest = max(int(point[1]) for point in points)
            if last_step is None or newest > last_step:
                connection.execute("UPDATE runs SET last_step = ?, last_step_time = ? WHERE id = ?",
                                   (newest, now, run_id))
                if status == "stalled":
                    status = self._transition(connection, run_id, status, "running", None, now)
        connection.execute("UPDATE runs SET last_heartbeat = ?, updated = ? WHERE id = ?", (now, now, run_id))
        if status == "lost":  # the process was only out of reach
            status = self._transition(connection, run_id, status, "running", "heartbeat resumed", now)
        new = batch.get("status")
        if new is not None:
            status = self._transition(connection, run_id, status, new["status"], new.get("message"), now)
        return {"duplicate": False, "points": len(points), "status": status}

    def _record_status(self, connection, run_id, status, message, now):
        connection.execute("INSERT INTO status_changes (run_id, status, message, time) VALUES (?, ?, ?, ?)",
                           (run_id, status, message, now))

    def _transition(self, connection, run_id, current, new, message, now) -> str:
        if new not in STATUSES:
            raise ValueError(f"monitor store: unknown status {new!r}; known: {', '.join(STATUSES)}")
        if not allowed_transition(current, new):
            return current
        message = None if message is None else str(message)[-MESSAGE_MAX:]
        connection.execute("UPDATE runs SET status = ?, message = ?, updated = ? WHERE id = ?",
                           (new, message, now, run_id))
        self._record_status(connection, run_id, new, message, now)
        return new

    def watchdog(self, heartbeat_timeout: float, stall_timeout: float | None, now: float | None = None,
                 started: float = 0.0) -> list[tuple[str, str]]:
        """Mark runs ``lost`` (no heartbeat for ``heartbeat_timeout`` s, or three of the run's own heartbeat
        intervals if longer) and ``stalled`` (heartbeats but no new step for ``stall_timeout`` s).

        ``started``: when the watcher started; a heartbeat older than that counts as arriving then, so a
        server that was down does not declare every run lost the moment it comes back.
        """
        return self.write(self._watchdog, heartbeat_timeout, stall_timeout, time.time() if now is None else now,
                          started)

    def _watchdog(self, connection, heartbeat_timeout, stall_timeout, now, started):
        changes = []
        rows = connection.execute("SELECT id, status, heartbeat_interval, last_heartbeat, last_step_time, created "
                                  "FROM runs WHERE status IN ('running', 'stalled')").fetchall()
        for run_id, status, interval, last_heartbeat, last_step_time, created in rows:
            timeout = max(heartbeat_timeout, 3 * (interval or 0))
            heard = max(last_heartbeat or created, started)
            if now - heard > timeout:
                message = f"no heartbeat for {now - heard:.1f} s (timeout {timeout:g} s)"
                changes.append((run_id, self._transition(connection, run_id, status, "lost", message, now)))
            elif stall_timeout and status == "running":
                progressed = max(last_step_time or created, started)
                if now - progressed > stall_timeout:
                    message = f"no new step for {now - progressed:.1f} s (stall timeout {stall_timeout:g} s)"
                    changes.append((run_id, self._transition(connection, run_id, status, "stalled", message, now)))
        return changes

    # ---- reads --------------------------------------------------------------------------------------------------
    RUN_COLUMNS = ("id", "name", "status", "message", "created", "updated", "host", "pid", "last_heartbeat",
                   "last_step")

    def runs(self, run_id: str | None = None) -> list[dict]:
        """Every run (or the one with ``run_id``), newest first, with its status and metric names."""
        connection = self.reader()
        where, arguments = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        names: dict[str, list[str]] = {}
        for key, name in connection.execute(f"SELECT run_id, name FROM metric_names {where} ORDER BY run_id, name",
                                            arguments):
            names.setdefault(key, []).append(name)
        where = where.replace("run_id", "id")
        rows = connection.execute(f"SELECT {', '.join(self.RUN_COLUMNS)} FROM runs {where} ORDER BY created DESC, id",
                                  arguments).fetchall()
        return [dict(zip(self.RUN_COLUMNS, row, strict=True), metrics=names.get(row[0], [])) for row in rows]

    def run(self, run_id: str) -> dict | None:
        """One run with its hyper-parameters, metric names and status history; None if unknown."""
        connection = self.reader()
        found = self.runs(run_id)
        if not found:
            return None
        run = found[0]
        run["params"] = {key: json.loads(value) for key, value in
                         connection.execute("SELECT key, value FROM params WHERE run_id = ? ORDER BY key", (run_id,))}
        run["history"] = [{"status": status, "message": message, "time": when} for status, message, when in
                          connection.execute("SELECT status, message, time FROM status_changes WHERE run_id = ? "
                                             "ORDER BY id", (run_id,))]
        return run

    def points(self, run_id: str, name: str, max_points: int | None = None, start: int | None = None,
               end: int | None = None) -> dict:
        """Points ``[step, value]`` of one metric between steps ``start`` and ``end`` (inclusive).

        With more than ``max_points`` points in the range, each of ``max_points // 2`` equal step buckets
        contributes its minimum and its maximum point.
        """
        connection = self.reader()
        low = -(2**62) if start is None else int(start)
        high = 2**62 if end is None else int(end)
        where = "run_id = ? AND name = ? AND step BETWEEN ? AND ?"
        count, first, last = connection.execute(f"SELECT COUNT(*), MIN(step), MAX(step) FROM points WHERE {where}",
                                                (run_id, name, low, high)).fetchone()
        if not count or max_points is None or count <= max_points:
            rows = connection.execute(f"SELECT step, value FROM points WHERE {where} ORDER BY step",
                                      (run_id, name, low, high)).fetchall()
            return {"points": [[step, finite_or_none(value)] for step, value in rows], "total": count,
                    "downsampled": False}
        buckets = max(1, int(max_points) // 2)
        # SQLite returns the bare column `step` from the row that holds the MIN / MAX of each group.
        query = f"""
            WITH bucketed AS (
                SELECT step, value, (step - ?) * ? / (? - ? + 1) AS bucket FROM points
                WHERE {where} AND value IS NOT NULL)
            SELECT step, MIN(value) FROM bucketed GROUP BY bucket
            UNION
            SELECT step, MAX(value) FROM bucketed GROUP BY bucket
            ORDER BY 1"""
        rows = connection.execute(query, (first, buckets, last, first, run_id, name, low, high)).fetchall()
        return {"points": [[step, finite_or_none(value)] for step, value in rows], "total": count,
                "downsampled": True}

    def count_points(self, run_id: str | None = None, name: str | None = None) -> int:
        query, arguments = "SELECT COUNT(*) FROM points WHERE 1", []
        if run_id is not None:
            query, arguments = query + " AND run_id = ?", [*arguments, run_id]
        if name is not None:
            query, arguments = query + " AND name = ?", [*arguments, name]
        return self.reader().execute(query, arguments).fetchone()[0]

    def latest_ids(self) -> tuple[int, int]:
        """The newest point id and status change id (where a change feed starts)."""
        connection = self.reader()
        point = connection.execute("SELECT COALESCE(MAX(id), 0) FROM points").fetchone()[0]
        change = connection.execute("SELECT COALESCE(MAX(id), 0) FROM status_changes").fetchone()[0]
        return point, change

    def changes_since(self, point_id: int, change_id: int, limit: int = 20_000) -> dict:
        """Points and status changes newer than the given ids, oldest first, with the ids to continue from."""
        connection = self.reader()
        points = connection.execute("SELECT id, run_id, name, step, value FROM points WHERE id > ? ORDER BY id "
                                    "LIMIT ?", (point_id, limit)).fetchall()
        changes = connection.execute(
            "SELECT status_changes.id, run_id, status_changes.status, status_changes.message, time, runs.name "
            "FROM status_changes JOIN runs ON runs.id = run_id WHERE status_changes.id > ? "
            "ORDER BY status_changes.id LIMIT ?", (change_id, limit)).fetchall()
        return {
            "points": [(run_id, name, step, finite_or_none(value)) for _, run_id, name, step, value in points],
            "changes": [{"run_id": run_id, "status": status, "message": message, "time": when, "name": name}
                        for _, run_id, status, message, when, name in changes],
            "point_id": points[-1][0] if points else point_id,
            "change_id": changes[-1][0] if changes else change_id,
        }
