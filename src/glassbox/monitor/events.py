"""The change feed: new points and status changes, from the store to the dashboards and the notifier.

Every change lands in the store first, whoever made it (a batch posted to this server, or a training
process writing the same SQLite file directly), so the feed reads the store: it polls for rows
newer than the last ones it saw, every ``poll_interval`` seconds or at once when an ingest wakes it,
and hands them to

- each server-sent-events subscriber (a dashboard tab), as ``points`` and ``status`` events;
  a subscriber too slow to keep up is dropped, and its browser reconnects and reloads;
- the notifier, for status changes and metric thresholds.
"""

from __future__ import annotations

import asyncio
import json

from starlette.concurrency import run_in_threadpool

SUBSCRIBER_QUEUE = 2000


class Subscriber:
    def __init__(self):
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
        self.dropped = False

    def put(self, event: str | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True


def server_sent_event(kind: str, data) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class EventHub:
    def __init__(self, store, notifier=None, poll_interval: float = 0.25):
        self.store, self.notifier, self.poll_interval = store, notifier, poll_interval
        self.subscribers: set[Subscriber] = set()
        self.wake = asyncio.Event()
        self.point_id, self.change_id = store.latest_ids()
        self.run_names: dict[str, str] = {}
        self.closed = False

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber()
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def close(self) -> None:
        self.closed = True
        for subscriber in list(self.subscribers):
            subscriber.put(None)

    async def run(self) -> None:
        while not self.closed:
            try:
                await asyncio.wait_for(self.wake.wait(), self.poll_interval)
            except TimeoutError:
                pass
            self.wake.clear()
            changes = await run_in_threadpool(self.store.changes_since, self.point_id, self.change_id)
            self.point_id, self.change_id = changes["point_id"], changes["change_id"]
            if changes["points"] or changes["changes"]:
                await self.publish(changes)
                self.wake.set()  # there may be more than one read's worth

    async def publish(self, changes: dict) -> None:
        by_run: dict[str, list] = {}
        for run_id, name, step, value in changes["points"]:
            by_run.setdefault(run_id, []).append([name, step, value])
        for change in changes["changes"]:
            self.run_names[change["run_id"]] = change["name"]
        events = ordered_events(changes["changes"], by_run)
        for subscriber in list(self.subscribers):
            for event in events:
                subscriber.put(event)
        if self.notifier is None:
            return
        for change in changes["changes"]:
            run = {"id": change["run_id"], "name": change["name"], "status": change["status"]}
            self.notifier.notify(change["status"], run, change["message"])
        if self.notifier.thresholds:
            unknown = {run_id for run_id in by_run if run_id not in self.run_names}
            if unknown:
                runs = await run_in_threadpool(self.store.runs)
                self.run_names.update({run["id"]: run["name"] for run in runs})
            for run_id, points in by_run.items():
                run = {"id": run_id, "name": self.run_names.get(run_id, run_id), "status": "running"}
                for name, step, value in points:
                    self.notifier.check_point(run, name, step, value)


def ordered_events(changes: list[dict], by_run: dict[str, list]) -> list[str]:
    """The ``status`` and ``points`` events of one read of the store, in the order a dashboard needs them.

    Points and status changes are kept in two tables with no common clock, and one read may hold a run's
    start, its last points and its end. A run's points go right after its last change to "running" in the
    read (a dashboard learns of a run before its points), or, without one, before its first change (its
    last points before "finished" or "failed"); points of runs without changes come last.
    """
    last_start = {change["run_id"]: index for index, change in enumerate(changes) if change["status"] == "running"}
    waiting = dict(by_run)  # runs whose points are not placed yet
    events = []

    def points_of(run_id):
        points = waiting.pop(run_id, None)
        if points:
            events.append(server_sent_event("points", {"run_id": run_id, "points": points}))

    for index, change in enumerate(changes):
        run_id = change["run_id"]
        if run_id not in last_start:
            points_of(run_id)
        events.append(server_sent_event("status", change))
        if last_start.get(run_id) == index:
            points_of(run_id)
    for run_id in list(waiting):
        points_of(run_id)
    return events


async def watchdog(store, hub: EventHub, heartbeat_timeout: float, stall_timeout: float | None,
                   started: float) -> None:
    """Every fraction of the timeout: runs without heartbeats become lost, runs without steps stalled."""
    interval = max(0.05, min(1.0, heartbeat_timeout / 5, (stall_timeout or heartbeat_timeout) / 5))
    while not hub.closed:
        await asyncio.sleep(interval)
        changes = await run_in_threadpool(store.watchdog, heartbeat_timeout, stall_timeout, None, started)
        if changes:
            hub.wake.set()
