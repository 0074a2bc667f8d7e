import os

import pytest

from glassbox.monitor.outbox import FileOutbox, adopt_orphans


def batch(sequence):
    return {"run_id": "r", "batch_id": f"r:{sequence}", "points": [["loss", sequence, 1.0, 0.0]]}


def test_batches_wait_in_order_and_survive_a_reopen(tmp_path):
    path = str(tmp_path / "r.outbox.db")
    outbox = FileOutbox(path, "http://server")
    for sequence in range(5):
        outbox.append(batch(sequence))
    outbox.append(batch(2))  # the same batch again is kept once
    assert len(outbox) == 5
    key, first = outbox.peek(1)[0]
    assert first == batch(0)
    outbox.remove(key)
    assert outbox.connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync'd before returning
    outbox.close()
    assert os.path.exists(path)
    again = FileOutbox(path, "http://server")
    assert [item["batch_id"] for _, item in again.peek()] == ["r:1", "r:2", "r:3", "r:4"]
    for key, _ in again.peek():
        again.remove(key)
    again.close()
    assert not os.path.exists(path), "an emptied outbox removes its file"


def test_only_outboxes_of_exited_writers_for_the_same_server_are_adopted(tmp_path):
    live = FileOutbox(str(tmp_path / "live.outbox.db"), "http://server")
    live.append(batch(0))
    with pytest.raises(OSError):
        FileOutbox(str(tmp_path / "live.outbox.db"), "http://server")  # locked by its writer
    exited = FileOutbox(str(tmp_path / "exited.outbox.db"), "http://server")
    exited.append(batch(1))
    exited.close()
    elsewhere = FileOutbox(str(tmp_path / "elsewhere.outbox.db"), "http://other-server")
    elsewhere.append(batch(2))
    elsewhere.close()
    adopted = adopt_orphans(str(tmp_path), "http://server")
    assert [os.path.basename(outbox.path) for outbox in adopted] == ["exited.outbox.db"]
    assert os.path.exists(tmp_path / "elsewhere.outbox.db")
    for outbox in adopted:
        outbox.close()
    live.close()
