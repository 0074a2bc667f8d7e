"""Callbacks: everything ``fit`` does besides the training step.

``Trainer.fit`` calls the hooks in Keras's order:

    on_train_begin
      on_epoch_begin(epoch)
        on_train_batch_begin(batch) … on_train_batch_end(batch, logs)    for every batch
        (validation: on_test_begin … on_test_end)
      on_epoch_end(epoch, logs)          logs: loss, metrics, val_loss, val_metrics, lr
    on_train_end

A callback stops training by setting ``trainer.stop_training = True``.
"""

from __future__ import annotations

import csv
import math
import os


class Callback:
    trainer = None

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...


class CallbackList(Callback):
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks):
        self.callbacks = list(callbacks)

    def set_trainer(self, trainer):
        for callback in self.callbacks:
            callback.set_trainer(trainer)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)


class History(Callback):
    """``history.history["loss"]`` is the list of epoch losses (and so for every logged value)."""

    def __init__(self):
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"


def _improved(mode: str, current: float, best: float, min_delta: float) -> bool:
    if mode == "min":
        return current < best - min_delta
    return current > best + min_delta


def _resolve_mode(mode: str, monitor: str) -> str:
    if mode == "auto":
        return "max" if any(word in monitor for word in ("acc", "f1", "precision", "recall", "r2")) else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights=True`` the model ends with the weights of its best epoch.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", restore_best_weights=False,
                 baseline=None, start_from_epoch=0):
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.mode = _resolve_mode(mode, monitor)
        self.restore_best_weights, self.baseline = restore_best_weights, baseline
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, None, None
        self.best = self.baseline if self.baseline is not None else (math.inf if self.mode == "min" else -math.inf)
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            raise KeyError(f"EarlyStopping: '{self.monitor}' is not logged; logged: {sorted(logs or {})}")
        if epoch < self.start_from_epoch:
            return
        if _improved(self.mode, current, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.detach().numpy().copy() for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save a checkpoint after each epoch (or only when ``monitor`` improves, with ``save_best_only``).

    ``filepath`` may contain ``{epoch}`` and logged names: ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``.
    ``save_weights_only`` writes just the model's state_dict; otherwise model, optimizer, scheduler,
    epoch and random state, so ``fit(resume=filepath)`` can continue.
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False, mode="auto", save_weights_only=False):
        self.filepath, self.monitor, self.save_best_only = str(filepath), monitor, save_best_only
        self.mode = _resolve_mode(mode, monitor)
        self.save_weights_only = save_weights_only
        self.best = math.inf if self.mode == "min" else -math.inf
        self.saved: list[str] = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                raise KeyError(f"ModelCheckpoint: '{self.monitor}' is not logged; logged: {sorted(logs)}")
            if not _improved(self.mode, current, self.best, 0.0):
                return
            self.best = current
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_weights_only:
            from glassbox.serialization import save

            save(self.trainer.model.state_dict(), path)
        else:
            self.trainer.save_checkpoint(path, epoch=epoch)
        self.saved.append(path)


class LearningRateScheduler(Callback):
    """Set the learning rate each epoch: from a ``glassbox.optim.lr_scheduler`` (stepped at epoch end,
    ReduceLROnPlateau given ``monitor``) or from a function ``schedule(epoch, lr) -> lr`` as in Keras."""

    def __init__(self, schedule, monitor="val_loss"):
        self.schedule, self.monitor = schedule, monitor

    def on_epoch_begin(self, epoch, logs=None):
        if callable(self.schedule) and not hasattr(self.schedule, "step"):
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = float(self.schedule(epoch, group["lr"]))

    def on_epoch_end(self, epoch, logs=None):
        if hasattr(self.schedule, "step"):
            if type(self.schedule).__name__ == "ReduceLROnPlateau":
                self.schedule.step((logs or {})[self.monitor])
            else:
                self.schedule.step()


class TerminateOnNaN(Callback):
    """Stop as soon as the loss is NaN or infinite, and say at which epoch and step it first appeared."""

    def __init__(self):
        self.message = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            epoch = self.trainer.current_epoch
            self.message = (f"TerminateOnNaN: loss became {loss} at epoch {epoch + 1}, batch {batch + 1} "
                            f"(global step {self.trainer.global_step}); training stopped")
            print(self.message)
            self.trainer.stop_training = True
            self.trainer.stop_now = True


class CSVLogger(Callback):
    """Append one row per epoch (epoch and every logged value) to a CSV file."""

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = str(filename), separator, append
        self.keys = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self.file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.writer = None
        if exists:
            with open(self.filename) as existing:
                self.keys = next(csv.reader(existing, delimiter=self.separator))[1:]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self.writer is None:
            self.writer = csv.writer(self.file, delimiter=self.separator)
            if self.file.tell() == 0:
                self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(logs.get(key, "") for key in self.keys)])
        self.file.flush()

    def on_train_end(self, logs=None):
        self.file.close()
