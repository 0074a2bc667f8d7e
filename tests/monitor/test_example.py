"""examples/monitor.py trains for real with the Monitor and leaves a finished run in the store."""

import runpy
from pathlib import Path

from glassbox.monitor import Monitor, Store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monitor.py"


def test_example_records_a_finished_digits_run(tmp_path):
    namespace = runpy.run_path(str(EXAMPLE))
    monitor = Monitor(str(tmp_path / "runs.db"), name="digits-mlp", system_metrics=False, handle_signals=False,
                      flush_interval=0.05)
    history, run = namespace["train_with_monitor"](monitor, epochs=3)
    assert history.history["val_accuracy"][-1] > 0.9
    store = Store(str(tmp_path / "runs.db"))
    saved = store.run(run.id)
    assert saved["status"] == "finished" and saved["params"]["optimizer.name"] == "Adam"
    assert store.points(run.id, "epoch/val_accuracy")["points"][-1][1] == history.history["val_accuracy"][-1]
    assert store.count_points(run.id, "loss") == saved["last_step"]
