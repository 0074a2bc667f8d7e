"""The background thread of one run: batches, delivery, the outbox, heartbeats and system metrics.

Points logged by the training loop wait on the run's queue; this thread groups them into batches
(every ``flush_interval`` seconds, or ``batch_points`` points, or at a status change), and delivers
each batch: straight to the store or server while nothing is waiting, else behind the waiting ones
in the outbox, which it drains oldest first, retrying with a backoff of 0.2 s doubling up to 2 s.
While idle it sends a heartbeat every ``heartbeat`` seconds and samples system metrics.
"""

from __future__ import annotations

import math
import os
import queue
import sys
import threading
import time
from typing import TYPE_CHECKING

from glassbox.monitor.outbox import FileOutbox, MemoryOutbox, adopt_orphans
from glassbox.monitor.transport import DELIVERED, INVALID, REFUSED

if TYPE_CHECKING:
    from glassbox.monitor.client import Run

RETRY_FIRST, RETRY_MAX = 0.2, 2.0


class RunSender(threading.Thread):
    """The background thread of one run: batches, delivery, outbox, heartbeats, system metrics."""

    def __init__(self, run: Run):
        super().__init__(name=f"glassbox-monitor-{run.id[:8]}", daemon=True)
        self.run_ = run
        self.monitor = run.monitor
        self.pending: list = []
        self.sequence = 0
        self.outbox = None
        self.retry_at, self.retry_delay = 0.0, RETRY_FIRST
        self.left_in_outbox = 0
        self.reported: set[str] = set()
        self.waiters: list[threading.Event] = []
        self.transport = None
        self.sampler = None
        self.adopted: list = []

    # ---- batches -----------------------------------------------------------------------------------------------
    def make_batch(self, status: dict | None = None) -> None:
        if not self.pending and status is None and self.sequence > 0:
            return
        points, self.pending = self.pending, []
        header = dict(self.run_._header)
        if self.sequence == 0:
            header["config"] = self.run_.config
        batch = {"run_id": self.run_.id, "batch_id": f"{self.run_.id}:{self.sequence}", "run": header,
                 "points": points}
        if status is not None:
            batch["status"] = status
        self.sequence += 1
        if self.outbox_size() == 0 and self.try_send(batch):
            return
        self.outbox_for_writing().append(batch)

    def try_send(self, batch: dict) -> bool:
        result, reason = self.transport.send(batch)
        if result == DELIVERED:
            self.run_.delivered_batches += 1
            self.retry_delay = RETRY_FIRST
            if batch.get("status"):
                self.monitor._notify_status(self.run_, batch["status"])
            return True
        self.run_.error = reason
        if result == INVALID:
            self.run_.dropped_batches += 1
            print(f"glassbox monitor: run {self.run_.name!r}: batch {batch.get('batch_id')} dropped: {reason}",
                  file=sys.stderr)
            return True  # delivered as far as the queue is concerned: nothing will ever make it acceptable
        if result == REFUSED and reason not in self.reported:
            self.reported.add(reason)
            print(f"glassbox monitor: run {self.run_.name!r}: {reason}; its batches are kept for a later retry",
                  file=sys.stderr)
        self.retry_at = time.monotonic() + self.retry_delay
        self.retry_delay = min(RETRY_MAX, self.retry_delay * 2)
        return False

    def outbox_size(self) -> int:
        return sum(len(outbox) for outbox in self.adopted) + (len(self.outbox) if self.outbox is not None else 0)

    def outbox_for_writing(self):
        if self.outbox is None:
            if self.monitor.url is None:
                self.outbox = MemoryOutbox()
            else:
                path = os.path.join(self.monitor.outbox_dir, f"{self.run_.id}.outbox.db")
                self.outbox = FileOutbox(path, self.monitor.url)
        return self.outbox

    def drain(self) -> None:
        """Send waiting batches oldest first: adopted outboxes of exited processes, then this run's own."""
        for outbox in [*self.adopted, self.outbox]:
            while outbox is not None and len(outbox):
                for key, batch in outbox.peek():
                    if not self.try_send(batch):
                        return
                    outbox.remove(key)
        for outbox in self.adopted:
            outbox.close()
        self.adopted = []

    # ---- the loop ------------------------------------------------------------------------------------------------
    def run(self) -> None:
        monitor = self.monitor
        try:
            self.transport = monitor._transport()
            if monitor.url is not None:
                self.adopted = adopt_orphans(monitor.outbox_dir, monitor.url)
        except Exception as error:  # an unusable store or url: the run keeps training and says why once
            print(f"glassbox monitor: run {self.run_.name!r} cannot record: {error}", file=sys.stderr)
            self.run_._closed.set()
            return
        if monitor.system_metrics:
            from glassbox.monitor.system import SystemSampler

            self.sampler = SystemSampler()
        now = time.monotonic()
        self.next_flush, self.next_heartbeat = now + monitor.flush_interval, now + monitor.heartbeat
        self.next_sample = now + monitor.system_interval
        self.close_deadline = None
        while True:
            try:
                if self.turn():
                    return
            except Exception as error:  # a full disk or a broken file must not end the recording silently
                self.run_.error = f"{type(error).__name__}: {error}"
                if self.run_.error not in self.reported:
                    self.reported.add(self.run_.error)
                    print(f"glassbox monitor: run {self.run_.name!r}: {self.run_.error}; retrying", file=sys.stderr)
                if self.close_deadline is not None and time.monotonic() >= self.close_deadline:
                    self.close()
                    return
                time.sleep(0.5)

    def turn(self) -> bool:
        """One turn of the loop: take what is queued, then do whatever is due. True once the run is closed."""
        monitor = self.monitor
        now = time.monotonic()
        deadlines = [self.next_heartbeat, self.next_sample if self.sampler else math.inf]
        if self.pending:
            deadlines.append(self.next_flush)
        if self.outbox_size():
            deadlines.append(self.retry_at)
        wait = 0.0 if self.close_deadline is not None else max(0.0, min(deadlines) - now)
        try:
            self.handle(*self.run_._queue.get(timeout=min(wait, 1.0)))
            # take whatever else is queued now, but come back to the clock at least every 10,000 items
            for _ in range(10_000):
                self.handle(*self.run_._queue.get_nowait())
        except queue.Empty:
            pass
        now = time.monotonic()
        if self.sampler is not None and now >= self.next_sample:
            self.sample_system()
            self.next_sample = now + monitor.system_interval
        if now >= self.next_flush:
            if self.pending:
                self.make_batch()
            self.next_flush = now + monitor.flush_interval
        if self.outbox_size() and now >= self.retry_at:
            self.drain()
        if now >= self.next_heartbeat:
            if not self.outbox_size():
                self.transport.send({"run_id": self.run_.id, "batch_id": None})
            self.next_heartbeat = now + monitor.heartbeat
        if self.waiters and not self.outbox_size():
            for waiter in self.waiters:
                waiter.set()
            self.waiters = []
        if self.close_deadline is not None:
            if not self.outbox_size() or now >= self.close_deadline:
                self.close()
                return True
            time.sleep(min(0.05, max(0.0, self.retry_at - now)))
        return False

    def handle(self, kind: str, payload) -> None:
        """One item from the run's queue: points, a status, a flush request or the close."""
        if kind == "points":
            self.pending.extend(payload)
            if len(self.pending) >= self.monitor.batch_points:
                self.make_batch()
        elif kind == "status":
            self.make_batch(status=payload)
        elif kind == "flush":
            self.make_batch()
            if payload is not None:
                self.waiters.append(payload)
        elif kind == "close":
            if self.sampler is not None:
                self.sample_system()  # every run ends with at least one sample
            self.make_batch()
            self.close_deadline = payload

    def sample_system(self) -> None:
        """System metrics at the run's latest step (a later sample at the same step replaces the earlier)."""
        step, wall = max(self.run_.step, 0), time.time()
        self.pending.extend((name, step, value, wall) for name, value in self.sampler.sample().items())

    def close(self) -> None:
        self.left_in_outbox = self.outbox_size()
        if self.left_in_outbox:
            files = [outbox.path for outbox in [*self.adopted, self.outbox] if isinstance(outbox, FileOutbox)]
            where = ", ".join(files) or "memory"
            print(f"glassbox monitor: run {self.run_.name!r}: {self.left_in_outbox} batch(es) not delivered "
                  f"({self.run_.error}); kept in {where} for the next Monitor pointing at the same server",
                  file=sys.stderr)
        for outbox in [*self.adopted, self.outbox]:
            if outbox is not None:
                outbox.close()
        self.transport.close()
        self.run_._closed.set()
