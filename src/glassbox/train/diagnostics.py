"""Training diagnostics: how large each layer's gradient is, and how many rectifier units are dead.

Two problems of the notes can be watched while a network trains:

- the vanishing gradient: by the chain rule, dL/dw of an early layer is a product of one factor per
  later layer; with sigmoid each factor carries σ'(x) ≤ 0.25, so the gradient shrinks layer by layer
  toward the input. The L2 norm of each layer's gradient,

      ‖∇W‖₂ = sqrt(Σ (dL/dw)²)   over every parameter w of the layer (weight and bias),

  shows it directly: read from the output layer back to the input layer, the norms fall.
- the dead neuron: "a neuron that cannot be activated … contributes nothing". A ReLU unit whose
  input is negative for every sample outputs 0 for all of them, so its gradient is 0 and it never
  learns again. A unit is counted dead here when its output is never positive over a batch (for
  ReLU: zero for every sample). For convolutional feature maps (N, C, H, W) a unit is a channel.

``gradient_norms(model)`` and ``dead_relu_fraction(model, inputs)`` measure once;
``GradientDiagnostics`` is a ``Trainer.fit`` callback that records both every epoch (or every k steps)
through forward hooks that only read the activations, so the model trains exactly as without it;
``plot_diagnostics(history, path)`` draws what it recorded (needs matplotlib, the ``plot`` extra).
"""

from __future__ import annotations

import math
import warnings

from glassbox import backend
from glassbox.autograd import no_grad
from glassbox.nn import LeakyReLU, PReLU, ReLU, ReLU6
from glassbox.tensor import Tensor
from glassbox.train.callbacks import Callback

#: activation modules whose units can die: their output is ≤ 0 exactly where their input is
RECTIFIERS = (ReLU, ReLU6, LeakyReLU, PReLU)


def gradient_norms(model) -> dict[str, float]:
    """The L2 norm of the gradient of every layer that owns parameters, by layer name, input to output.

    A layer's norm covers all its own parameters together, sqrt(Σ‖grad‖²); layers whose parameters
    have no gradient (frozen, or before the first backward) are left out.
    """
    norms = {}
    for name, module in model.named_modules():
        gradients = [p.grad.data for p in module.parameters(recurse=False) if p.grad is not None]
        if not gradients:
            continue
        xp = backend.module_of(gradients[0])
        squared = sum(float(xp.sum(xp.square(g.astype(xp.float64)))) for g in gradients)
        norms[name or type(module).__name__] = math.sqrt(squared)
    return norms


def dead_units(output) -> object:
    """A boolean array with one entry per unit (dim 1 of ``output``): True where the unit's output
    is ≤ 0 for every sample (and every position of a feature map) of the batch."""
    data = output.data if isinstance(output, Tensor) else output
    if data.ndim < 2:
        raise ValueError(f"dead_units: expected a batch of shape (N, units, …), got shape {tuple(data.shape)}")
    xp = backend.module_of(data)
    fired = xp.any(data > 0, axis=tuple(d for d in range(data.ndim) if d != 1))  # (units,)
    return ~fired


def dead_unit_fraction(output) -> float:
    """The fraction of units of one activation ``output`` (N, units, …) that are dead on this batch."""
    dead = dead_units(output)
    return float(dead.mean()) if dead.size else 0.0


def _activation_modules(model, activation_types) -> list:
    return [(name or type(module).__name__, module) for name, module in model.named_modules()
            if isinstance(module, activation_types)]


def _none_found(model, activation_types) -> str:
    names = ", ".join(t.__name__ for t in activation_types)
    return (f"{type(model).__name__} has no activation module of type {names}; a rectifier applied as a "
            "function (x.relu()) cannot be watched: use a module (nn.ReLU())")


def dead_relu_fraction(model, inputs, activation_types=RECTIFIERS) -> dict[str, float]:
    """The fraction of dead units of every rectifier module of ``model`` on the batch ``inputs``.

    The model runs once in eval mode (dropout off, batch norm on its running statistics, so nothing
    in the model changes) without recording a graph; its previous mode is restored.
    """
    watched = _activation_modules(model, activation_types)
    if not watched:
        raise ValueError(f"dead_relu_fraction: {_none_found(model, activation_types)}")
    recorded, handles = {}, []
    for name, module in watched:
        def record(module, args, output, name=name):
            recorded[name] = dead_unit_fraction(output)
        handles.append(module.register_forward_hook(record))
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            if isinstance(inputs, tuple | list):
                model(*inputs)
            else:
                model(inputs)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return recorded


class GradientDiagnostics(Callback):
    """Record each layer's gradient norm and each rectifier's dead fraction during ``Trainer.fit``.

    Args:
        every: record every ``every`` optimizer steps; None (default) records once per epoch, at the
            epoch's last batch.
        activation_types: the activation modules whose dead units are counted (``RECTIFIERS``);
            an empty tuple records gradient norms only (as does a model without such modules, with a warning).

    Gradient norms are read right after the optimizer step, from the ``.grad`` that produced it; dead
    fractions from the same batch's forward pass. ``history`` holds lists aligned with ``history["step"]``:

        {"step": [...], "epoch": [...],
         "gradient_norm": {layer name: [...]}, "dead_fraction": {activation name: [...]}}
    """

    def __init__(self, every: int | None = None, activation_types=RECTIFIERS):
        if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
            raise ValueError(f"GradientDiagnostics: every must be a positive int or None, got {every!r}")
        self.every = every
        self.activation_types = tuple(activation_types)
        self.history = {"step": [], "epoch": [], "gradient_norm": {}, "dead_fraction": {}}
        self._handles, self._capturing, self._dead = [], False, {}

    def on_train_begin(self, logs=None):
        self._remove_hooks()
        model = self.trainer.model
        watched = _activation_modules(model, self.activation_types) if self.activation_types else []
        if self.activation_types and not watched:
            warnings.warn(f"GradientDiagnostics: {_none_found(model, self.activation_types)}; recording gradient "
                          "norms only (activation_types=() says so explicitly)", UserWarning, stacklevel=2)
        for name, module in watched:
            def record(module, args, output, name=name):
                if self._capturing:  # reading only: the output is returned unchanged
                    self._dead[name] = dead_unit_fraction(output)
            self._handles.append(module.register_forward_hook(record))

    def _records(self, batch) -> bool:
        if self.every is not None:
            return (self.trainer.global_step + 1) % self.every == 0
        steps = self.trainer.steps_per_epoch
        return steps is None or batch == steps - 1  # an unsized loader: keep the latest batch

    def on_train_batch_begin(self, batch, logs=None):
        self._capturing = self._records(batch)

    def on_train_batch_end(self, batch, logs=None):
        if self.every is not None and self._capturing:
            self._record()
        self._capturing = False  # validation batches run next and must not count

    def on_epoch_end(self, epoch, logs=None):
        if self.every is None:
            self._record()

    def _record(self) -> None:
        self.history["step"].append(self.trainer.global_step)
        self.history["epoch"].append(self.trainer.current_epoch)
        count = len(self.history["step"])
        for table, values in (("gradient_norm", gradient_norms(self.trainer.model)), ("dead_fraction", self._dead)):
            for name, value in values.items():
                # a layer first seen late is padded with NaN so every list stays aligned with "step"
                series = self.history[table].setdefault(name, [math.nan] * (count - 1))
                series.append(value)
            for series in self.history[table].values():
                if len(series) < count:
                    series.append(math.nan)
        self._dead = {}

    def on_train_end(self, logs=None):
        self._remove_hooks()

    def _remove_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles, self._capturing = [], False


def plot_diagnostics(history, path, title: str = "training diagnostics"):
    """Draw gradient norms (log scale) and dead fractions against the step and save the figure to ``path``.

    ``history`` is a ``GradientDiagnostics`` or its ``history`` dict. Returns the matplotlib Figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = history.history if isinstance(history, GradientDiagnostics) else history
    steps = history["step"]
    if not steps:
        raise ValueError("plot_diagnostics: the history is empty (did fit run with the callback?)")
    panels = 2 if history["dead_fraction"] else 1
    figure, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    gradient_axis = axes[0][0]
    for name, values in history["gradient_norm"].items():
        gradient_axis.plot(steps, values, label=name)
    gradient_axis.set(yscale="log", xlabel="step", ylabel="gradient L2 norm", title="gradient norm per layer")
    gradient_axis.legend(fontsize="small")
    if panels == 2:
        dead_axis = axes[0][1]
        for name, values in history["dead_fraction"].items():
            dead_axis.plot(steps, values, label=name)
        dead_axis.set(ylim=(-0.05, 1.05), xlabel="step", ylabel="fraction of dead units", title="dead units")
        dead_axis.legend(fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return figure
