"""``Trainer``: Keras-style ``fit`` / ``evaluate`` / ``predict`` around the explicit training step.

The step is the notes' "Training ANN" loop, for one mini-batch:

    outputs = model(inputs)                 forward propagation
    loss = loss_function(outputs, targets)  compare with the actual result
    optimizer.zero_grad(); loss.backward()  back-propagation: dL/dw for every weight
    optimizer.step()                        update the weights by the learning rate

One pass over the training set is an epoch; with N samples and batch size B an
epoch takes ceil(N / B) iterations. Everything else (history, progress,
early stopping, checkpoints, schedules) is a callback.
"""

from __future__ import annotations

import math
import os
import warnings

from glassbox import ops
from glassbox.autograd import no_grad
from glassbox.tensor import Tensor
from glassbox.train.callbacks import CallbackList, History
from glassbox.train.checkpoint import load_checkpoint, save_checkpoint
from glassbox.train.metrics import get_metric
from glassbox.train.progress import ProgressBar

LOSS_ALIASES = {
    "mse": "mse_loss", "mean_squared_error": "mse_loss", "l1": "l1_loss", "mae": "l1_loss",
    "huber": "huber_loss", "bce": "binary_cross_entropy", "bce_with_logits": "binary_cross_entropy_with_logits",
    "cross_entropy": "cross_entropy", "categorical_crossentropy": "cross_entropy", "nll": "nll_loss",
}


def get_loss(loss):
    """A loss function from a callable (a module or function) or a name ("cross_entropy", "mse" …)."""
    if callable(loss):
        return loss
    if isinstance(loss, str):
        from glassbox.nn import functional

        name = LOSS_ALIASES.get(loss, loss)
        if hasattr(functional, name):
            return getattr(functional, name)
        raise ValueError(f"unknown loss {loss!r}; known names: {', '.join(sorted(LOSS_ALIASES))}")
    raise TypeError(f"loss must be a callable or a name, got {type(loss).__name__}")


def as_loader(data, batch_size: int, shuffle: bool, drop_last: bool = False):
    """A DataLoader from a DataLoader, a Dataset, an (inputs, targets) pair, or inputs alone."""
    from glassbox.data import DataLoader, Dataset, TensorDataset

    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    if isinstance(data, tuple | list):
        tensors = [item if isinstance(item, Tensor) else Tensor(item) for item in data]
        return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    tensor = data if isinstance(data, Tensor) else Tensor(data)
    return DataLoader(TensorDataset(tensor), batch_size=batch_size, shuffle=False)


def split_batch(batch):
    """(inputs, targets) from a batch: the last element is the target; a dict uses 'input'/'target'."""
    if isinstance(batch, dict):
        return (batch["input"],), batch.get("target")
    if isinstance(batch, tuple | list):
        if len(batch) == 1:
            return (batch[0],), None
        return tuple(batch[:-1]), batch[-1]
    return (batch,), None


def _batch_size(inputs) -> int:
    first = inputs[0]
    return int(first.shape[0]) if hasattr(first, "shape") and len(first.shape) else 1


class Trainer:
    """Train ``model`` with ``loss`` and ``optimizer``.

    Args:
        model: a ``glassbox.nn.Module``.
        loss: a loss module/function ``loss(outputs, targets)`` or a name ("cross_entropy", "mse", …).
        optimizer: a ``glassbox.optim`` optimizer over the model's parameters.
        metrics: names ("accuracy", "f1", "mse" …), Metric objects or functions ``f(outputs, targets)``.
        callbacks: extra callbacks; History and a progress bar are always added.
        scheduler: an ``lr_scheduler`` stepped once per epoch (ReduceLROnPlateau with ``val_loss``/``loss``).
        clip_grad_norm: if given, gradients are clipped to this global L2 norm before each step.
    """

    def __init__(self, model, loss, optimizer, metrics=(), callbacks=(), scheduler=None, clip_grad_norm=None):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.loss_function = get_loss(loss)
        self.metric_specs = list(metrics)
        self.callbacks = list(callbacks)
        self.clip_grad_norm = clip_grad_norm
        self.stop_training = self.stop_now = False
        self.current_epoch, self.global_step, self.epochs, self.steps_per_epoch = 0, 0, 0, None
        self.running_loss = float("nan")
        self.first_nonfinite_step = None
        self.history = History()

    # ---- the explicit step ---------------------------------------------------------------------------------------
    def train_step(self, inputs, targets) -> tuple[float, Tensor]:
        outputs = self.model(*inputs)
        loss = self.loss_function(outputs, targets)
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_grad_norm is not None:
            from glassbox.nn.utils import clip_grad_norm_

            clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        return loss.item(), outputs.detach()

    # ---- fit -------------------------------------------------------------------------------------------------------
    def fit(self, train, epochs: int = 1, validation_data=None, batch_size: int = 32, shuffle: bool = True,
            verbose: int = 1, resume=None, checkpoint=None, initial_epoch: int = 0) -> History:
        """Train for ``epochs`` epochs; returns the History (``history.history["loss"]`` …).

        ``checkpoint=path`` saves a full checkpoint after every epoch; ``resume=path`` loads one (if the
        file exists) and continues with the epoch after the one it holds, so a killed run picks up where
        its last checkpoint left it and ends with the same weights as a run that was never stopped.
        """
        loader = as_loader(train, batch_size, shuffle)
        validation = as_loader(validation_data, batch_size, False) if validation_data is not None else None
        if resume is not None and os.path.exists(resume):
            state = load_checkpoint(resume, self.model, self.optimizer, self.scheduler)
            initial_epoch = state["epoch"] + 1
            self.global_step = int(state.get("extra", {}).get("global_step", 0))
            self._restore_history(state.get("extra", {}).get("history", {}))
            if verbose:
                print(f"resumed from {resume}: {initial_epoch} epoch(s) already done")
        self.epochs, self.stop_training, self.stop_now = epochs, False, False
        try:
            self.steps_per_epoch = len(loader)
        except TypeError:
            self.steps_per_epoch = None
        callbacks = CallbackList([self.history, *self.callbacks, ProgressBar(verbose)])
        callbacks.set_trainer(self)
        callbacks.on_train_begin()
        try:
            for epoch in range(initial_epoch, epochs):
                self.current_epoch = epoch
                callbacks.on_epoch_begin(epoch)
                logs = self._train_epoch(loader, callbacks)
                if self.stop_now:
                    break
                if validation is not None:
                    callbacks.on_test_begin()
                    logs.update({f"val_{k}": v for k, v in self.evaluate(validation, batch_size).items()})
                    callbacks.on_test_end()
                logs["lr"] = self.optimizer.param_groups[0]["lr"]
                self._step_scheduler(logs)
                callbacks.on_epoch_end(epoch, logs)
                if checkpoint is not None:
                    self.save_checkpoint(checkpoint, epoch)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            where = f"; the last checkpoint is {checkpoint}" if checkpoint else ""
            print(f"\ninterrupted in epoch {self.current_epoch + 1}{where}")
            callbacks.on_train_end({"interrupted": True})
            raise
        callbacks.on_train_end()
        return self.history

    def _train_epoch(self, loader, callbacks) -> dict:
        self.model.train()
        metrics = [get_metric(m) for m in self.metric_specs]
        total_loss, seen = 0.0, 0
        for batch_index, batch in enumerate(loader):
            inputs, targets = split_batch(batch)
            callbacks.on_train_batch_begin(batch_index)
            loss, outputs = self.train_step(inputs, targets)
            size = _batch_size(inputs)
            self.global_step += 1
            if not math.isfinite(loss) and self.first_nonfinite_step is None:
                self.first_nonfinite_step = self.global_step
                warnings.warn(f"loss became {loss} at epoch {self.current_epoch + 1}, batch {batch_index + 1} "
                              f"(global step {self.global_step})", RuntimeWarning, stacklevel=2)
            total_loss += loss * size
            seen += size
            self.running_loss = total_loss / seen
            for metric in metrics:
                metric.update(outputs, targets)
            callbacks.on_train_batch_end(batch_index, {"loss": loss, "size": size})
            if self.stop_now:
                break
        logs = {"loss": total_loss / seen if seen else float("nan")}
        logs.update({metric.name: metric.compute() for metric in metrics})
        return logs

    def _step_scheduler(self, logs) -> None:
        if self.scheduler is None:
            return
        if type(self.scheduler).__name__ == "ReduceLROnPlateau":
            self.scheduler.step(logs.get("val_loss", logs["loss"]))
        else:
            self.scheduler.step()

    def _restore_history(self, saved: dict) -> None:
        self.history.history = {key: list(values) for key, values in saved.get("history", {}).items()}
        self.history.epoch = list(saved.get("epoch", []))

    # ---- evaluate / predict ------------------------------------------------------------------------------------
    def evaluate(self, data, batch_size: int = 256) -> dict:
        """Mean loss and metrics over ``data`` (model in eval mode, no graph recorded)."""
        loader = as_loader(data, batch_size, False)
        self.model.eval()
        metrics = [get_metric(m) for m in self.metric_specs]
        total_loss, seen = 0.0, 0
        with no_grad():
            for batch in loader:
                inputs, targets = split_batch(batch)
                outputs = self.model(*inputs)
                size = _batch_size(inputs)
                total_loss += self.loss_function(outputs, targets).item() * size
                seen += size
                for metric in metrics:
                    metric.update(outputs, targets)
        results = {"loss": total_loss / seen if seen else float("nan")}
        results.update({metric.name: metric.compute() for metric in metrics})
        return results

    def predict(self, data, batch_size: int = 256) -> Tensor:
        """The model's outputs for every sample of ``data`` (inputs alone, or batches whose targets are ignored)."""
        loader = as_loader(data, batch_size, False)
        self.model.eval()
        outputs = []
        with no_grad():
            for batch in loader:
                inputs, _ = split_batch(batch)
                outputs.append(self.model(*inputs))
        return ops.cat(outputs, 0)

    # ---- checkpoints ---------------------------------------------------------------------------------------------
    def save_checkpoint(self, path, epoch: int) -> None:
        extra = {"global_step": self.global_step,
                 "history": {"history": self.history.history, "epoch": self.history.epoch}}
        save_checkpoint(path, self.model, self.optimizer, self.scheduler, epoch=epoch, extra=extra)
