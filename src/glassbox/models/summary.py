"""A model's layers in a table: name, type, output shape and parameter count, with totals (as Keras / torchinfo).

The model runs once on a zero input of the given shape, in evaluation mode and without a
graph; a forward hook on every module records what each layer returned. The rows are the
layers that hold no other layers, in the order they ran (a module that owns parameters
beside its children gets a row too). A layer called twice counts its parameters once.

The parameter count of each layer is the number of scalars it learns, e.g.

    Conv2d:  out_channels · (in_channels / groups · kH · kW) + out_channels (bias)
    Linear:  out_features · in_features + out_features

Totals count each parameter once; trainable ones are those with ``requires_grad``
(``transfer.freeze`` turns it off). Buffers (batch norm's running statistics) are state,
not parameters, and are not counted, as in PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glassbox import creation
from glassbox.autograd import no_grad
from glassbox.tensor import Tensor


@dataclass
class LayerSummary:
    """One row of the table."""

    name: str  # the layer's dotted path in the model ("features.0")
    type: str  # its class name ("Conv2d")
    output_shape: tuple  # a shape, or a list of shapes for a layer that returns several tensors
    parameters: int  # scalars it learns (0 on a repeated call)
    trainable: int  # of which require a gradient


@dataclass
class ModelSummary:
    """What ``summary`` printed: the rows and the totals; ``str(summary)`` is the table."""

    model: str
    input_shape: tuple
    rows: list = field(default_factory=list)
    total_parameters: int = 0
    trainable_parameters: int = 0
    parameter_bytes: int = 0

    @property
    def non_trainable_parameters(self) -> int:
        return self.total_parameters - self.trainable_parameters

    def __str__(self) -> str:
        headers = ("Layer (type)", "Output Shape", "Param #")
        cells = [(f"{row.name} ({row.type})", _format_shape(row.output_shape), f"{row.parameters:,}")
                 for row in self.rows]
        widths = [max([len(header)] + [len(cell[i]) for cell in cells]) + 2 for i, header in enumerate(headers)]
        width = sum(widths)

        def line(values):
            return "".join(value.ljust(size) if i < 2 else value.rjust(size - 2)
                           for i, (value, size) in enumerate(zip(values, widths, strict=True))).rstrip()

        lines = [f'Model: "{self.model}"   input {_format_shape(self.input_shape)}', "=" * width, line(headers),
                 "=" * width]
        lines += [line(cell) for cell in cells]
        lines += ["=" * width,
                  f"Total params: {self.total_parameters:,}",
                  f"Trainable params: {self.trainable_parameters:,}",
                  f"Non-trainable params: {self.non_trainable_parameters:,}",
                  f"Params size (MB): {self.parameter_bytes / 1e6:.2f}",
                  "=" * width]
        return "\n".join(lines)


def _format_shape(shape) -> str:
    if isinstance(shape, list):
        return ", ".join(_format_shape(item) for item in shape)
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _shapes(output):
    """The shape of a tensor output; a list of shapes for a tuple/list of them (LSTM's (out, (h, c)))."""
    if isinstance(output, Tensor):
        return tuple(output.shape)
    if isinstance(output, tuple | list):
        shapes = []
        for item in output:
            found = _shapes(item)
            shapes.extend(found if isinstance(found, list) else [found] if found is not None else [])
        return shapes
    return None


def _input_tensors(input_shape, dtype, device) -> list:
    shapes = [input_shape] if all(isinstance(n, int) for n in input_shape) else list(input_shape)
    for shape in shapes:
        if not all(isinstance(n, int) and n > 0 for n in shape):
            raise ValueError(f"summary: input_shape must be a shape of positive ints (batch included, e.g. "
                             f"(1, 1, 32, 32)) or a list of such shapes, got {input_shape!r}")
    return [creation.zeros(*shape, dtype=dtype, device=device) for shape in shapes]


def summary(model, input_shape, dtype=None, print_summary: bool = True) -> ModelSummary:
    """Run ``model`` once on zeros of ``input_shape`` (batch included) and tabulate its layers.

    Args:
        input_shape: e.g. (1, 1, 32, 32); a list of shapes for a model that takes several inputs.
        dtype: of the input; by default the dtype of the model's first parameter.
        print_summary: print the table (it is returned either way, ``str(result)`` gives it).
    """
    parameters = list(model.parameters())
    if dtype is None:
        dtype = parameters[0].dtype if parameters else "float32"
    device = parameters[0].device if parameters else "cpu"
    inputs = _input_tensors(tuple(input_shape), dtype, device)
    names = {id(module): name for name, module in model.named_modules()}
    leaves = [module for module in model.modules()
              if not any(True for _ in module.children()) or any(True for _ in module.parameters(recurse=False))]
    result = ModelSummary(type(model).__name__, tuple(input_shape) if len(inputs) == 1 else
                          tuple(tuple(t.shape) for t in inputs))
    counted = set()

    def record(module, args, output):
        own = [] if id(module) in counted else list(module.parameters(recurse=False))
        counted.add(id(module))
        result.rows.append(LayerSummary(names[id(module)] or type(module).__name__, type(module).__name__,
                                        _shapes(output), sum(p.numel() for p in own),
                                        sum(p.numel() for p in own if p.requires_grad)))

    handles = [module.register_forward_hook(record) for module in leaves]
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training
    unique = {id(p): p for p in parameters}.values()
    result.total_parameters = sum(p.numel() for p in unique)
    result.trainable_parameters = sum(p.numel() for p in unique if p.requires_grad)
    result.parameter_bytes = sum(p.numel() * p.data.itemsize for p in unique)
    if print_summary:
        print(result)
    return result


def count_parameters(model, trainable_only: bool = False) -> int:
    """The number of scalars ``model`` learns (each shared parameter once)."""
    unique = {id(p): p for p in model.parameters()}.values()
    return sum(p.numel() for p in unique if p.requires_grad or not trainable_only)
