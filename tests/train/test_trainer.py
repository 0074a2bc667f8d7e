import csv
import math
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn, optim
from glassbox.data import DataLoader, StandardScaler, TensorDataset, datasets
from glassbox.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
    Trainer,
    load_checkpoint,
)


class TwoLayer(nn.Module):
    def __init__(self, inputs=64, hidden=64, outputs=10):
        super().__init__()
        self.hidden = nn.Linear(inputs, hidden)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.out(self.hidden(x).relu())


def digits():
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    scaler = StandardScaler().fit(train.data)
    return (TensorDataset(scaler.transform(train.data), train.targets),
            TensorDataset(scaler.transform(test.data), test.targets))


def blobs(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return gb.tensor(x), gb.tensor(y)


def test_mlp_reaches_97_5_percent_on_digits():
    gb.manual_seed(0)
    train, test = digits()
    model = TwoLayer(64, 128, 10)
    trainer = Trainer(model, "cross_entropy", optim.Adam(model.parameters(), lr=2e-3), metrics=["accuracy"])
    history = trainer.fit(train, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    assert trainer.evaluate(test)["accuracy"] >= 0.975


def test_fit_logs_validation_and_learning_rate():
    gb.manual_seed(0)
    x, y = blobs()
    model = TwoLayer(4, 8, 2)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), metrics=["accuracy", "f1"])
    history = trainer.fit((x, y), epochs=3, batch_size=32, validation_data=(x, y), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "lr"}
    assert len(history["loss"]) == 3 and history.epoch == [0, 1, 2]
    assert trainer.predict(x).shape == (256, 2)
    assert trainer.evaluate((x, y))["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-5)


def test_explicit_loop_and_trainer_give_the_same_weights():
    x, y = blobs(64)

    def fresh():
        gb.manual_seed(3)
        model = TwoLayer(4, 8, 2)
        return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    model, optimizer = fresh()
    Trainer(model, "cross_entropy", optimizer).fit((x, y), epochs=2, batch_size=16, shuffle=False, verbose=0)
    explicit, explicit_optimizer = fresh()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    for _ in range(2):
        for inputs, targets in loader:
            loss = nn.functional.cross_entropy(explicit(inputs), targets)
            explicit_optimizer.zero_grad()
            loss.backward()
            explicit_optimizer.step()
    for (name, ours), (_, theirs) in zip(model.state_dict().items(), explicit.state_dict().items(), strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)


def test_early_stopping_stops_and_restores_best_weights():
    gb.manual_seed(0)
    x, y = blobs(128)
    model = TwoLayer(4, 16, 2)
    seen = {}

    class Record(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = {k: v.detach().numpy().copy() for k, v in self.trainer.model.state_dict().items()}

    # a learning rate this large makes validation loss rise after the first epochs
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=5.0), callbacks=[stopper, Record()])
    history = trainer.fit((x, y), epochs=50, batch_size=16, validation_data=blobs(128, seed=1), verbose=0)
    assert len(history["loss"]) < 50 and stopper.stopped_epoch is not None
    best = int(np.argmin(history["val_loss"]))
    assert stopper.best_epoch == best
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), seen[best][name])


def test_terminate_on_nan_names_the_step(capsys):
    x, y = blobs(64)
    model = TwoLayer(4, 8, 2)
    calls = {"n": 0}

    def loss(outputs, targets):
        calls["n"] += 1
        value = nn.functional.cross_entropy(outputs, targets)
        return value * float("nan") if calls["n"] == 3 else value

    stopper = TerminateOnNaN()
    with pytest.warns(RuntimeWarning, match="global step 3"):
        history = Trainer(model, loss, optim.SGD(model.parameters(), lr=0.1), callbacks=[stopper]).fit(
            (x, y), epochs=5, batch_size=16, verbose=0)
    assert "epoch 1, batch 3" in stopper.message and "global step 3" in stopper.message
    assert history.history == {}  # stopped inside the first epoch


def test_learning_rate_scheduler_function_and_scheduler(tmp_path):
    x, y = blobs(32)
    model = TwoLayer(4, 8, 2)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    history = Trainer(model, "cross_entropy", optimizer,
                      callbacks=[LearningRateScheduler(lambda epoch, lr: 0.5**epoch)]).fit(
        (x, y), epochs=3, verbose=0)
    assert history["lr"] == [1.0, 0.5, 0.25]
    step = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    optimizer.param_groups[0]["lr"] = 1.0
    step.base_lrs = [1.0]
    history = Trainer(model, "cross_entropy", optimizer, scheduler=step).fit((x, y), epochs=3, verbose=0)
    assert history["lr"] == pytest.approx([1.0, 0.1, 0.01])


def test_csv_logger_and_model_checkpoint(tmp_path):
    x, y = blobs(64)
    model = TwoLayer(4, 8, 2)
    log = tmp_path / "log.csv"
    best = ModelCheckpoint(tmp_path / "best-{epoch}.safetensors", monitor="loss", save_best_only=True)
    weights = ModelCheckpoint(tmp_path / "weights.safetensors", monitor="loss", save_weights_only=True)
    Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), metrics=["accuracy"],
            callbacks=[CSVLogger(log), best, weights]).fit((x, y), epochs=3, verbose=0)
    rows = list(csv.DictReader(open(log)))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "lr"}
    assert best.saved and all(os.path.exists(p) for p in best.saved)
    state = load_checkpoint(best.saved[-1])
    assert state["epoch"] == int(best.saved[-1].split("-")[-1].split(".")[0]) - 1
    reloaded = TwoLayer(4, 8, 2)
    reloaded.load_state_dict(gb.load(tmp_path / "weights.safetensors"))
    np.testing.assert_array_equal(reloaded.out.weight.detach().numpy(), model.out.weight.detach().numpy())


def test_checkpoint_round_trip_restores_optimizer_and_rng(tmp_path):
    x, y = blobs(64)
    gb.manual_seed(5)
    model = TwoLayer(4, 8, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    trainer = Trainer(model, "cross_entropy", optimizer)
    trainer.fit((x, y), epochs=1, verbose=0)
    trainer.save_checkpoint(tmp_path / "c.safetensors", epoch=0)
    after_save = gb.randn(3).tolist()
    fresh = TwoLayer(4, 8, 2)
    fresh_optimizer = optim.Adam(fresh.parameters(), lr=0.5)
    state = load_checkpoint(tmp_path / "c.safetensors", fresh, fresh_optimizer)
    assert state["epoch"] == 0 and fresh_optimizer.param_groups[0]["lr"] == 0.01
    assert gb.randn(3).tolist() == after_save
    assert fresh_optimizer.state_dict()["state"].keys() == optimizer.state_dict()["state"].keys()


def test_failed_checkpoint_write_keeps_the_last_good_one(tmp_path, monkeypatch):
    x, y = blobs(32)
    model = TwoLayer(4, 8, 2)
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))
    path = tmp_path / "ckpt.safetensors"
    trainer.save_checkpoint(path, epoch=0)
    good = path.read_bytes()
    trainer.fit((x, y), epochs=1, verbose=0)

    def broken_replace(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        trainer.save_checkpoint(path, epoch=1)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.safetensors"]


RUN_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import glassbox as gb
    from glassbox import nn, optim
    from glassbox.train import Callback, Trainer

    checkpoint, kill_at, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    gb.manual_seed(0)
    rng = np.random.default_rng(0)
    x = gb.tensor(rng.normal(size=(200, 6)).astype(np.float32))
    y = gb.tensor((rng.normal(size=200) > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.3), nn.Linear(16, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)

    class Killer(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.trainer.global_step == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    trainer = Trainer(model, "cross_entropy", optimizer, callbacks=[Killer()])
    trainer.fit((x, y), epochs=6, batch_size=32, checkpoint=checkpoint, resume=checkpoint, verbose=0)
    gb.save(model.state_dict(), out)
""")


def test_killed_run_resumes_to_the_same_weights(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RUN_SCRIPT)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def run(checkpoint, kill_at, out):
        return subprocess.run([sys.executable, str(script), str(checkpoint), str(kill_at), str(out)],
                              env=environment, capture_output=True, text=True)

    uninterrupted = run(tmp_path / "a.safetensors", -1, tmp_path / "a-final.safetensors")
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    killed = run(tmp_path / "b.safetensors", 7 * 3 + 4, tmp_path / "b-final.safetensors")  # mid-epoch 4
    assert killed.returncode == -signal.SIGKILL
    assert load_checkpoint(tmp_path / "b.safetensors", restore_rng=False)["epoch"] == 2
    resumed = run(tmp_path / "b.safetensors", -1, tmp_path / "b-final.safetensors")
    assert resumed.returncode == 0, resumed.stderr
    first, second = gb.load(tmp_path / "a-final.safetensors"), gb.load(tmp_path / "b-final.safetensors")
    for name in first:
        np.testing.assert_allclose(first[name].numpy(), second[name].numpy(), rtol=1e-6, atol=1e-7, err_msg=name)


def test_keyboard_interrupt_reports_and_propagates(capsys):
    x, y = blobs(32)
    model = TwoLayer(4, 8, 2)

    class Interrupt(Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), callbacks=[Interrupt()]).fit(
            (x, y), epochs=2, verbose=0, checkpoint="unused.safetensors")
    assert "interrupted in epoch 1" in capsys.readouterr().out


def test_unknown_loss_name():
    with pytest.raises(ValueError, match="unknown loss"):
        Trainer(TwoLayer(), "crossentropy", optim.SGD(TwoLayer().parameters(), lr=0.1))


def test_progress_bar_prints_one_line_per_epoch_when_not_a_terminal(capsys):
    x, y = blobs(32)
    model = TwoLayer(4, 8, 2)
    Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), metrics=["accuracy"]).fit(
        (x, y), epochs=2, verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch")]
    assert len(lines) == 2 and "items/s" in lines[0] and "accuracy" in lines[0]
    assert not math.isnan(float(lines[1].split("loss ")[1].split()[0]))
