"""The order of one read's events: a run is announced before its points, and ended after them."""

import json

import pytest

pytest.importorskip("starlette")

from glassbox.monitor.events import ordered_events  # noqa: E402


def change(run_id, status):
    return {"run_id": run_id, "status": status, "message": None, "time": 0.0, "name": run_id}


def kinds(events):
    out = []
    for event in events:
        kind_line, data_line = event.strip().split("\n")
        data = json.loads(data_line[len("data: "):])
        out.append((kind_line[len("event: "):], data["run_id"], data.get("status", len(data.get("points", [])))))
    return out


def test_a_run_started_and_finished_in_one_read_has_its_points_in_between():
    events = ordered_events([change("a", "running"), change("a", "finished")], {"a": [["loss", 0, 0.5]]})
    assert kinds(events) == [("status", "a", "running"), ("points", "a", 1), ("status", "a", "finished")]


def test_points_of_a_running_run_come_before_its_end():
    events = ordered_events([change("a", "failed")], {"a": [["loss", 5, 0.1], ["loss", 6, 0.2]]})
    assert kinds(events) == [("points", "a", 2), ("status", "a", "failed")]


def test_a_resumed_run_gets_its_points_after_the_new_start_and_runs_do_not_mix():
    changes = [change("a", "running"), change("b", "running"), change("a", "killed"), change("a", "running")]
    points = {"a": [["loss", 0, 1.0]], "b": [["loss", 0, 2.0]], "c": [["acc", 3, 0.9]]}
    events = ordered_events(changes, points)
    assert kinds(events) == [("status", "a", "running"), ("status", "b", "running"), ("points", "b", 1),
                             ("status", "a", "killed"), ("status", "a", "running"), ("points", "a", 1),
                             ("points", "c", 1)]
    assert list(points) == ["a", "b", "c"]  # the caller's points are left as they were
    assert ordered_events([], {}) == []
