import math
import sqlite3

import pytest

from glassbox.monitor.store import Store, allowed_transition


def batch(run_id="run1", sequence=0, points=(), status=None, name="first", config=None):
    header = {"name": name, "created": 1.0, "host": "here", "pid": 1, "heartbeat": 1.0}
    if config is not None:
        header["config"] = config
    result = {"run_id": run_id, "batch_id": f"{run_id}:{sequence}", "run": header,
              "points": [list(point) for point in points]}
    if status is not None:
        result["status"] = {"status": status, "message": f"{status} message"}
    return result


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path / "runs.db"))
    yield store
    store.close()


def test_schema_is_wal_with_a_busy_timeout(store):
    assert store.writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.writer.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    tables = {row[0] for row in store.writer.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "params", "points", "batches", "status_changes", "metric_names"} <= tables


def test_a_batch_sent_twice_is_stored_once(store):
    first = batch(points=[("loss", step, 1.0 / (step + 1), 10.0 + step) for step in range(50)], config={"lr": 0.1})
    assert store.ingest(first, now=100.0) == {"duplicate": False, "points": 50, "status": "running"}
    assert store.ingest(first, now=101.0)["duplicate"] is True
    assert store.count_points("run1") == 50
    second = batch(sequence=1, points=[("loss", 50, 0.5, 60.0), ("accuracy", 50, 0.9, 60.0)])
    store.ingest(second, now=102.0)
    store.ingest(second, now=103.0)
    assert store.count_points("run1") == 52
    run = store.run("run1")
    assert run["params"] == {"lr": 0.1}
    assert run["metrics"] == ["accuracy", "loss"]
    assert run["last_step"] == 50 and run["last_heartbeat"] == 103.0


def test_logging_a_step_again_replaces_its_value(store):
    store.ingest(batch(points=[("loss", 3, 1.0, 1.0)]))
    store.ingest(batch(sequence=1, points=[("loss", 3, 0.25, 2.0)]))
    assert store.points("run1", "loss")["points"] == [[3, 0.25]]


def test_nan_and_infinity_come_back_as_gaps(store):
    store.ingest(batch(points=[("loss", 0, math.nan, 1.0), ("loss", 1, math.inf, 1.0), ("loss", 2, 1.5, 1.0)]))
    assert store.points("run1", "loss")["points"] == [[0, None], [1, None], [2, 1.5]]


@pytest.mark.parametrize("current, new, allowed", [
    ("running", "finished", True), ("running", "stalled", True), ("stalled", "running", True),
    ("lost", "running", True), ("lost", "stalled", False), ("finished", "lost", False),
    ("finished", "failed", False), ("nan", "failed", True), ("nan", "finished", False), ("killed", "running", False),
])
def test_status_transitions(current, new, allowed):
    assert allowed_transition(current, new) is allowed


def test_status_history_and_terminal_statuses(store):
    store.ingest(batch(status="nan"), now=1.0)
    store.ingest(batch(sequence=1, status="finished"), now=2.0)  # a run that went NaN stays nan
    store.ingest(batch(sequence=2, status="failed"), now=3.0)
    run = store.run("run1")
    assert run["status"] == "failed"
    assert [change["status"] for change in run["history"]] == ["running", "nan", "failed"]
    assert store.watchdog(heartbeat_timeout=1.0, stall_timeout=1.0, now=100.0) == []


def test_watchdog_marks_lost_then_a_heartbeat_revives(store):
    store.ingest(batch(points=[("loss", 0, 1.0, 0.0)]), now=10.0)
    assert store.watchdog(heartbeat_timeout=5.0, stall_timeout=None, now=14.0) == []
    assert store.watchdog(heartbeat_timeout=5.0, stall_timeout=None, now=16.0) == [("run1", "lost")]
    assert "no heartbeat for 6.0 s" in store.run("run1")["message"]
    store.ingest({"run_id": "run1", "batch_id": None}, now=17.0)
    assert store.run("run1")["status"] == "running"


def test_watchdog_respects_a_slow_heartbeat_and_a_restarted_server(store):
    store.ingest(batch(), now=10.0)  # heartbeat interval 1 s: the server's timeout decides
    slow = batch(run_id="slow", name="slow")
    slow["run"]["heartbeat"] = 30.0  # three missed heartbeats of its own before it counts as lost
    store.ingest(slow, now=10.0)
    assert store.watchdog(heartbeat_timeout=5.0, stall_timeout=None, now=60.0, started=58.0) == []
    assert dict(store.watchdog(heartbeat_timeout=5.0, stall_timeout=None, now=64.0, started=58.0)) == {"run1": "lost"}
    assert dict(store.watchdog(heartbeat_timeout=5.0, stall_timeout=None, now=101.0)) == {"slow": "lost"}


def test_watchdog_marks_stalled_and_a_new_step_resumes(store):
    store.ingest(batch(points=[("loss", 0, 1.0, 0.0)]), now=0.0)
    store.ingest({"run_id": "run1", "batch_id": None}, now=9.0)  # alive, but no progress
    assert store.watchdog(heartbeat_timeout=5.0, stall_timeout=8.0, now=10.0) == [("run1", "stalled")]
    store.ingest(batch(sequence=1, points=[("loss", 0, 0.5, 0.0)]), now=11.0)  # the same step again: still stalled
    assert store.run("run1")["status"] == "stalled"
    store.ingest(batch(sequence=2, points=[("loss", 1, 0.5, 0.0)]), now=12.0)
    assert store.run("run1")["status"] == "running"


def test_downsampling_keeps_every_bucket_extreme_and_zoom_gives_full_resolution(store):
    values = [math.sin(step / 500) for step in range(20_000)]
    values[12_345] = 50.0  # a spike an average would hide
    values[777] = -50.0
    store.ingest(batch(points=[("loss", step, value, 0.0) for step, value in enumerate(values)]))
    overview = store.points("run1", "loss", max_points=200)
    assert overview["downsampled"] and overview["total"] == 20_000
    assert len(overview["points"]) <= 200
    steps = [step for step, _ in overview["points"]]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] >= 19_900
    assert [12_345, 50.0] in overview["points"] and [777, -50.0] in overview["points"]
    zoomed = store.points("run1", "loss", max_points=200, start=12_300, end=12_399)
    assert not zoomed["downsampled"]
    assert zoomed["points"] == [[step, values[step]] for step in range(12_300, 12_400)]


def test_changes_feed_reports_new_points_and_statuses_in_order(store):
    start = store.latest_ids()
    store.ingest(batch(points=[("loss", 0, 1.0, 0.0), ("loss", 1, 0.5, 0.0)]))
    feed = store.changes_since(*start)
    assert feed["points"] == [("run1", "loss", 0, 1.0), ("run1", "loss", 1, 0.5)]
    assert [change["status"] for change in feed["changes"]] == ["running"]
    store.ingest(batch(sequence=1, status="finished"))
    later = store.changes_since(feed["point_id"], feed["change_id"])
    assert later["points"] == [] and later["changes"][0]["status"] == "finished"
    assert later["changes"][0]["name"] == "first"


def test_a_failed_batch_leaves_nothing_behind(store):
    broken = batch(points=[("loss", 0, 1.0, 0.0), ("loss", "not a step", 1.0, 0.0)])
    with pytest.raises(ValueError):
        store.ingest(broken)
    assert store.count_points() == 0
    assert store.writer.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0
    store.ingest(batch(points=[("loss", 0, 1.0, 0.0)]))  # the same batch id, fixed, is still accepted
    assert store.count_points() == 1


def test_unknown_status_is_refused(store):
    with pytest.raises(ValueError, match="unknown status 'exploded'"):
        store.ingest(batch(status="exploded"))
    assert isinstance(store.reader(), sqlite3.Connection)
