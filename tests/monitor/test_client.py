"""The recording side: the embedded store, the explicit-loop API, the Trainer callback, outages and the outbox."""

import math
import os
import signal
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn, optim
from glassbox.monitor import Monitor, Store
from glassbox.train import Trainer

QUIET = {"heartbeat": 0.2, "flush_interval": 0.05, "system_metrics": False, "handle_signals": False}


def test_embedded_default_writes_glassbox_runs_db_with_nothing_to_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GLASSBOX_MONITOR_URL", raising=False)
    monkeypatch.delenv("GLASSBOX_MONITOR_DB", raising=False)
    run = Monitor(**QUIET).start("embedded", config={"optimizer": {"name": "adam", "lr": 1e-3}, "layers": [64, 10]})
    for step in range(300):
        run.log(step, loss=1.0 / (step + 1), accuracy=step / 300)
    assert run.finish(timeout=20)
    store = Store(str(tmp_path / "glassbox-runs.db"))
    [saved] = store.runs()
    assert saved["name"] == "embedded" and saved["status"] == "finished" and saved["last_step"] == 299
    assert store.count_points(run.id, "loss") == 300 and store.count_points(run.id, "accuracy") == 300
    assert store.points(run.id, "loss", start=10, end=10)["points"] == [[10, 1.0 / 11]]
    assert store.run(run.id)["params"] == {"optimizer.name": "adam", "optimizer.lr": 1e-3, "layers": [64, 10]}


def test_trainer_callback_records_steps_epochs_config_and_system_metrics(tmp_path):
    gb.manual_seed(0)
    inputs = np.random.default_rng(0).normal(size=(48, 3)).astype(np.float32)
    targets = (inputs[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    monitor = Monitor(str(tmp_path / "runs.db"), name="callback", heartbeat=0.2, flush_interval=0.05,
                      system_interval=0.05, handle_signals=False)
    trainer = Trainer(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.01), metrics=["accuracy"],
                      callbacks=[monitor])
    history = trainer.fit((gb.tensor(inputs), gb.tensor(targets)), epochs=2, batch_size=16, verbose=0,
                          validation_data=(gb.tensor(inputs), gb.tensor(targets)))
    store = Store(str(tmp_path / "runs.db"))
    [run] = store.runs()
    assert run["status"] == "finished" and run["last_step"] == 6
    losses = store.points(run["id"], "loss")["points"]
    assert [step for step, _ in losses] == [1, 2, 3, 4, 5, 6]
    epoch_loss = store.points(run["id"], "epoch/val_loss")["points"]
    assert [value for _, value in epoch_loss] == pytest.approx(history.history["val_loss"])
    assert {"epoch/accuracy", "epoch/lr", "epoch", "system/cpu_percent", "system/memory_rss_mb"} <= set(run["metrics"])
    params = store.run(run["id"])["params"]
    assert params["model"] == "Sequential" and params["optimizer.name"] == "Adam" and params["optimizer.lr"] == 0.01
    assert params["epochs"] == 2 and params["steps_per_epoch"] == 3 and params["parameters"] == 26


def test_nan_loss_sets_status_nan_which_finishing_keeps(tmp_path):
    run = Monitor(str(tmp_path / "runs.db"), **QUIET).start("diverging")
    run.log(0, loss=1.0)
    run.log(1, loss=math.nan, accuracy=0.5)
    assert run.status == "nan" and "loss became nan at step 1" in run.message
    run.log(2, loss=math.inf)
    assert run.finish(timeout=20)
    store = Store(str(tmp_path / "runs.db"))
    saved = store.run(run.id)
    assert saved["status"] == "nan" and [change["status"] for change in saved["history"]] == ["running", "nan"]
    assert store.points(run.id, "loss")["points"] == [[0, 1.0], [1, None], [2, None]]


def test_context_manager_marks_an_exception_failed(tmp_path):
    monitor = Monitor(str(tmp_path / "runs.db"), **QUIET)
    with pytest.raises(ZeroDivisionError), monitor.start("explodes") as run:
        run.log(loss=1.0)
        run.log(loss=0.5)
        1 / 0  # noqa: B018
    saved = Store(str(tmp_path / "runs.db")).run(run.id)
    assert saved["status"] == "failed" and "ZeroDivisionError: division by zero" in saved["message"]
    assert saved["last_step"] == 1  # steps counted from 0 when not given
    with pytest.warns(RuntimeWarning, match="has ended"):
        run.log(loss=0.1)


def test_bad_names_fail_early(tmp_path):
    monitor = Monitor(str(tmp_path / "runs.db"), **QUIET)
    with pytest.raises(ValueError, match="control characters"):
        monitor.start("bad\nname")
    run = monitor.start("fine")
    with pytest.raises(ValueError, match="metric name"):
        run.log(0, **{"val loss;drop": 1.0})
    with pytest.raises(ValueError, match="step must be >= 0"):
        run.log(-1, loss=1.0)
    run.finish(timeout=20)


def test_concurrent_training_processes_share_one_store_and_lose_nothing(tmp_path, training_process,
                                                                         child_environment):
    database = tmp_path / "shared.db"
    script = textwrap.dedent("""
        import sys
        from glassbox.monitor import Monitor
        index = int(sys.argv[1])
        run = Monitor(sys.argv[2], flush_interval=0.01, batch_points=97, system_metrics=False).start(f"writer-{index}")
        for step in range(3000):
            run.log(step, loss=index + step / 3000, accuracy=step % 7)
        assert run.finish(timeout=60)
    """)
    writers = [subprocess.Popen([sys.executable, "-c", script, str(index), str(database)], env=child_environment(),
                                stderr=subprocess.PIPE, text=True) for index in range(3)]
    trainers = [training_process("ok", "trainer", db=database)]
    for process in writers + trainers:
        assert process.wait(120) == 0, process.stderr.read()
    store = Store(str(database))
    runs = {run["name"]: run for run in store.runs()}
    assert len(runs) == 4 and all(run["status"] == "finished" for run in runs.values())
    for index in range(3):
        run_id = runs[f"writer-{index}"]["id"]
        assert store.count_points(run_id, "loss") == 3000 and store.count_points(run_id, "accuracy") == 3000
        loss = store.points(run_id, "loss")["points"]
        assert [step for step, _ in loss] == list(range(3000))
        assert loss[1234][1] == pytest.approx(index + 1234 / 3000)
    assert store.count_points(runs["trainer"]["id"], "loss") == 12


OUTAGE_SCRIPT = """
import sys, time
from glassbox.monitor import Monitor
url, token, outbox = sys.argv[1:4]
run = Monitor(url=url, token=token, heartbeat=0.2, flush_interval=0.02, timeout=1.0, outbox_dir=outbox,
              system_metrics=False).start("through-an-outage", config={"steps": 300})
for step in range(300):
    run.log(step, loss=1.0 / (step + 1), step_squared=step * step)
    time.sleep(0.005)
    if step == 40:
        print("logging", flush=True)
delivered = run.finish(timeout=60)
print("delivered" if delivered else "undelivered", "outbox" if run.used_outbox else "direct", flush=True)
"""


def test_points_logged_while_the_server_is_down_arrive_exactly_once(monitor_server, tmp_path, wait_for,
                                                                    child_environment):
    server = monitor_server()
    client = subprocess.Popen([sys.executable, "-c", OUTAGE_SCRIPT, server.url, server.token, str(tmp_path / "outbox")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_environment())
    assert client.stdout.readline().strip() == "logging"
    wait_for(lambda: (run := server.run_named("through-an-outage")) and run["last_step"], message="first points")
    server.stop(signal.SIGKILL)  # the server dies mid-run
    wait_for(lambda: os.path.isdir(tmp_path / "outbox") and os.listdir(tmp_path / "outbox"),
             message="batches to wait in the on-disk outbox")
    server.start()  # back on the same port and database
    assert client.wait(90) == 0, client.stderr.read()
    assert client.stdout.read().split() == ["delivered", "outbox"]
    run = server.run_named("through-an-outage")
    assert run["status"] == "finished" and run["last_step"] == 299
    store = Store(server.db)
    assert store.count_points(run["id"]) == 600
    assert store.points(run["id"], "loss")["points"] == [[step, 1.0 / (step + 1)] for step in range(300)]
    assert store.points(run["id"], "step_squared")["points"] == [[step, step * step] for step in range(300)]
    assert os.listdir(tmp_path / "outbox") == []  # an emptied outbox removes its files


def test_an_outbox_left_by_an_exited_process_is_sent_by_the_next_monitor(monitor_server, tmp_path):
    outbox = tmp_path / "outbox"
    with socket.socket() as probe:  # a port where no server listens yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    early = Monitor(url=f"http://127.0.0.1:{port}", token="t0ken-for-later", outbox_dir=outbox, timeout=0.5, **QUIET)
    run = early.start("written-offline")
    for step in range(50):
        run.log(step, loss=float(step))
    assert run.finish(timeout=1.0) is False  # nothing reached the server: the batches stay on disk
    assert [name for name in os.listdir(outbox) if name.endswith(".outbox.db")] == [f"{run.id}.outbox.db"]
    server = monitor_server(port=port, token="t0ken-for-later")
    later = Monitor(url=server.url, token=server.token, outbox_dir=outbox, **QUIET).start("next")
    assert later.finish(timeout=20)
    saved = server.run_named("written-offline")
    assert saved["status"] == "finished"
    assert Store(server.db).points(run.id, "loss")["points"] == [[step, float(step)] for step in range(50)]
    assert os.listdir(outbox) == []


def test_a_wrong_token_keeps_the_batches_and_says_why(shared_server, tmp_path, capfd):
    server = shared_server
    run = Monitor(url=server.url, token="wrong", outbox_dir=tmp_path / "outbox", timeout=1.0, **QUIET).start("refused")
    run.log(0, loss=1.0)
    assert run.finish(timeout=1.0) is False
    assert "answered 403" in run.error
    assert "answered 403" in capfd.readouterr().err
    assert server.run_named("refused") is None
    assert len(os.listdir(tmp_path / "outbox")) >= 1


def test_an_explicit_path_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSBOX_MONITOR_URL", "http://127.0.0.1:9")
    assert Monitor(str(tmp_path / "runs.db"), **QUIET).url is None
    assert Monitor(**QUIET).url == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="http://host:port"):
        Monitor(url="ftp://nowhere", **QUIET)


def test_an_embedded_run_notifies_from_its_own_process(tmp_path, webhook):
    monitor = Monitor(str(tmp_path / "runs.db"), notify={"webhook": [f"{webhook.url}/hook"]}, **QUIET)
    run = monitor.start("notifies")
    run.log(0, loss=math.nan)
    assert run.finish(timeout=20)
    assert [(body["event"], body["run"]["name"]) for body in webhook.json_bodies("/hook")] == [("nan", "notifies")]


def test_a_batch_the_server_can_never_take_is_dropped_not_blocking_the_rest(shared_server, tmp_path, capfd):
    server = shared_server  # its body limit is 64 KiB: this config alone is larger
    run = Monitor(url=server.url, token=server.token, outbox_dir=tmp_path / "outbox", **QUIET).start(
        "oversized-config", config={"notes": "x" * 100_000})
    for step in range(20):
        run.log(step, loss=float(step))
    assert run.finish(timeout=20)
    assert run.dropped_batches == 1 and "413" in capfd.readouterr().err
    saved = server.run_named("oversized-config")
    assert saved["status"] == "finished" and saved["last_step"] == 19
    assert Store(server.db).count_points(run.id, "loss") == 20


def test_config_keys_are_checked_when_the_run_starts(tmp_path):
    with pytest.raises(ValueError, match="hyper-parameter name"):
        Monitor(str(tmp_path / "runs.db"), **QUIET).start("bad-config", config={"x" * 300: 1})
