"""The outbox: batches that could not reach the server yet, kept in order until it takes them.

While the server is unreachable every new batch joins the queue behind the ones already waiting, so
the server receives them in the order they were made; a batch leaves the queue only after the server
has acknowledged it. A batch sent twice (the reply was lost) is recognised by its id and stored once.

``FileOutbox`` writes each batch to an SQLite file with ``synchronous = FULL`` (fsync before the
append returns), so a batch survives the training process: a later ``Monitor`` pointing at the same
server adopts outboxes whose writer has exited (their lock is free) and sends what they hold.
"""

from __future__ import annotations

import collections
import fcntl
import glob
import json
import os
import sqlite3

from glassbox.monitor.store import connect


class MemoryOutbox:
    """The queue for a run written straight to a local store: waiting only out a busy database."""

    def __init__(self):
        self.batches: collections.deque = collections.deque()

    def append(self, batch: dict) -> None:
        self.batches.append(batch)

    def peek(self, limit: int = 16) -> list[tuple[int, dict]]:
        return list(enumerate(list(self.batches)[:limit]))

    def remove(self, key: int) -> None:
        self.batches.popleft()

    def __len__(self) -> int:
        return len(self.batches)

    def close(self) -> None: ...


class FileOutbox:
    """Batches on disk at ``path`` for the server at ``url``; the owner holds an exclusive lock on the file."""

    def __init__(self, path: str, url: str):
        self.path, self.url = path, url
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.lock_file = open(f"{path}.lock", "a+")  # noqa: SIM115 - held for the outbox's lifetime
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.lock_file.close()
            raise
        self.connection = connect(path, synchronous="FULL")
        self.connection.executescript(
            "CREATE TABLE IF NOT EXISTS outbox (sequence INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT UNIQUE, "
            "body TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
        self.connection.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('url', ?)", (url,))
        self.count = self.connection.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def append(self, batch: dict) -> None:
        added = self.connection.execute("INSERT OR IGNORE INTO outbox (batch_id, body) VALUES (?, ?)",
                                        (batch.get("batch_id"), json.dumps(batch)))
        self.count += added.rowcount

    def peek(self, limit: int = 16) -> list[tuple[int, dict]]:
        rows = self.connection.execute("SELECT sequence, body FROM outbox ORDER BY sequence LIMIT ?", (limit,))
        return [(sequence, json.loads(body)) for sequence, body in rows]

    def remove(self, key: int) -> None:
        self.connection.execute("DELETE FROM outbox WHERE sequence = ?", (key,))
        self.count -= 1

    def __len__(self) -> int:
        return self.count

    def close(self, delete_if_empty: bool = True) -> None:
        """Close; an empty outbox deletes its files, a full one stays for a later ``Monitor`` to send."""
        empty = self.count == 0 and delete_if_empty
        self.connection.close()
        if empty:
            for suffix in ("", "-wal", "-shm", ".lock"):
                try:
                    os.remove(self.path + suffix)
                except FileNotFoundError:
                    pass
        fcntl.flock(self.lock_file, fcntl.LOCK_UN)
        self.lock_file.close()


def default_outbox_directory() -> str:
    configured = os.environ.get("GLASSBOX_MONITOR_OUTBOX")
    if configured:
        return configured
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "glassbox", "monitor-outbox")


def adopt_orphans(directory: str, url: str, exclude: str | None = None) -> list[FileOutbox]:
    """Open the outboxes in ``directory`` for ``url`` whose writer has exited (so their lock is free)."""
    adopted = []
    for path in sorted(glob.glob(os.path.join(directory, "*.outbox.db"))):
        if path == exclude:
            continue
        try:
            outbox = FileOutbox(path, url)
        except (OSError, sqlite3.Error):
            continue  # still owned by a live process, or unreadable
        row = outbox.connection.execute("SELECT value FROM meta WHERE key = 'url'").fetchone()
        if row is None or row[0] != url or len(outbox) == 0:
            outbox.close(delete_if_empty=row is not None and row[0] == url)  # another server's queue stays
            continue
        adopted.append(outbox)
    return adopted
