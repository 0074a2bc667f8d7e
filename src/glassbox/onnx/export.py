"""Export a glassbox model to ONNX by running it once and translating what ran.

Tracing: the model runs on the example input (in evaluation mode) with a forward hook on
every layer that has an ONNX translation (``converters.MODULES``). Containers and custom
modules are walked into; a built-in glassbox layer without a translation (Embedding, LSTM …)
stops the export with an error that names it. What a custom ``forward`` computes between layers (``x.flatten(1)``,
``a + b``) is read from the autograd graph of that one run: each tensor remembers the
primitive Function that made it and that Function's inputs.

Translating: starting from the output, each value is either the input, the output of a
traced layer (translated by its converter, after its own input), the result of a primitive
operation (translated after its inputs), or a constant (a parameter or buffer becomes an
initializer named by its state_dict path). Only what the output depends on is exported.

``dynamic_batch`` names the first dimension of inputs and outputs "batch" so the file runs on
any batch size; every other size is the example's. The result is validated with
``onnx.checker`` (with shape inference). ``onnx`` is imported here only (``pip install glassbox[onnx]``).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import numpy

from glassbox import nn
from glassbox.autograd import enable_grad
from glassbox.tensor import Tensor

from . import converters
from .converters import ExportError

MINIMUM_OPSET = 13  # Softmax over one axis, Clip with min/max inputs


@dataclass
class Call:
    """One traced call of a layer: what went in and what came out."""

    module: object
    path: str
    input: Tensor
    output: Tensor


class Graph:
    """The ONNX graph being built: nodes, initializers and unique value names."""

    def __init__(self, onnx, opset: int, dtype, parameter_names: dict, dynamic_batch: bool):
        self.onnx, self.opset, self.dtype = onnx, opset, dtype
        self.parameter_names, self.dynamic_batch = parameter_names, dynamic_batch
        self.nodes, self.initializers, self.used_names = [], {}, set()
        self.counter = itertools.count()

    def unique(self, hint: str) -> str:
        name = hint
        while name in self.used_names:
            name = f"{hint}_{next(self.counter)}"
        self.used_names.add(name)
        return name

    def node(self, op: str, inputs: list, hint: str, **attributes) -> str:
        output = self.unique(hint)
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def constant(self, array, hint: str) -> str:
        array = numpy.asarray(array)
        if array.dtype.kind == "f":  # a Python number in the forward arrives as float64: match the model
            array = array.astype(self.dtype)
        name = self.unique(hint)
        self.initializers[name] = self.onnx.numpy_helper.from_array(array, name)
        return name

    def scalar(self, value: float) -> str:
        """A 0-d constant in the model's dtype, broadcast by the node that uses it."""
        return self.constant(numpy.asarray(value), "constant")

    def parameter(self, tensor: Tensor) -> str:
        """An initializer holding a parameter or buffer, once, named by its state_dict path."""
        name = self.parameter_names.get(id(tensor))
        if name is not None and name in self.initializers:
            return name
        if name is None or name in self.used_names:
            return self.constant(_host(tensor.data), "constant")
        self.used_names.add(name)
        self.initializers[name] = self.onnx.numpy_helper.from_array(_host(tensor.data), name)
        return name

    def reshape(self, x: str, source: Tensor, result: Tensor, hint: str) -> str:
        """Reshape ``x`` (shaped like ``source``) to ``result``'s shape; 0 keeps the batch dimension as it is."""
        shape = list(result.shape)
        if self.dynamic_batch:
            if source.ndim == 0 or result.ndim == 0 or source.shape[0] != result.shape[0]:
                raise ExportError(f"cannot export a reshape from {tuple(source.shape)} to {tuple(result.shape)} with "
                                  f"dynamic_batch=True: it moves the batch dimension; export with dynamic_batch=False")
            shape[0] = 0
        return self.node("Reshape", [x, self.constant(numpy.asarray(shape, dtype=numpy.int64), hint + ".shape")],
                         hint)

    def require_opset(self, version: int, call: Call, op: str) -> None:
        if self.opset < version:
            raise ExportError(f"cannot export '{call.path}' ({type(call.module).__name__}) at opset {self.opset}: "
                              f"ONNX {op} needs opset {version} or later")


def _host(array) -> numpy.ndarray:
    return array.get() if hasattr(array, "get") else numpy.asarray(array)


def _trace(model, inputs: list) -> tuple[list, dict]:
    """Run ``model`` once with a graph recorded; returns (outputs, {id(layer output): Call})."""
    calls: dict = {}

    def record(path):
        def hook(module, args, output):
            if len(args) != 1 or not isinstance(args[0], Tensor) or not isinstance(output, Tensor):
                raise ExportError(f"cannot export '{path}' ({type(module).__name__}): it was called with "
                                  f"{len(args)} arguments or returned a {type(output).__name__}; one tensor in "
                                  f"and one out is what its converter handles")
            if output is not args[0]:  # a layer that passes its input on (Identity, Dropout) adds nothing
                if not output.requires_grad and output.dtype.kind == "f":
                    output.requires_grad = True  # so that operations applied to it afterwards are recorded
                calls[id(output)] = Call(module, path, args[0], output)

        return hook

    def refuse(path):
        def hook(module, args):
            exportable = sorted(cls.__name__ for cls in converters.MODULES)
            raise ExportError(f"cannot export '{path or 'the model'}' ({type(module).__name__}): glassbox.onnx has no "
                              f"ONNX translation for it; layers that export: {', '.join(exportable)} (and "
                              f"containers or custom modules built from them)")

        return hook

    handles = []

    def attach(module, path):
        kind = type(module)
        if kind in converters.MODULES:
            handles.append(module.register_forward_hook(record(path or kind.__name__)))
        elif kind.__module__.startswith("glassbox.nn.") and kind not in (nn.Sequential, nn.ModuleList, nn.ModuleDict):
            handles.append(module.register_forward_pre_hook(refuse(path)))  # a built-in layer with no translation
        else:  # a container, or a custom module (the zoo's models, the user's): its layers and its own operations
            for name, child in module.named_children():
                attach(child, f"{path}.{name}" if path else name)

    attach(model, "")
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with enable_grad():
            outputs = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training
    outputs = list(outputs) if isinstance(outputs, tuple | list) else [outputs]
    if not all(isinstance(output, Tensor) for output in outputs):
        raise ExportError(f"cannot export: the model returned {[type(o).__name__ for o in outputs]}, not tensors")
    return outputs, calls


def _translate(graph: Graph, outputs: list, calls: dict, input_values: dict) -> list:
    """Value names of ``outputs``, adding the nodes that compute them (inputs first, iteratively)."""
    names = dict(input_values)  # id(tensor) -> value name; every tensor stays alive (outputs and calls hold them)
    for output in outputs:
        stack = [output]
        while stack:
            tensor = stack[-1]
            if id(tensor) in names:
                stack.pop()
                continue
            call = calls.get(id(tensor))
            sources = [call.input] if call is not None else list(tensor._ctx.parents) if tensor._ctx else []
            missing = [source for source in sources if id(source) not in names]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            if call is not None:
                names[id(tensor)] = converters.MODULES[type(call.module)](graph, call, names[id(call.input)])
            elif tensor._ctx is not None:
                names[id(tensor)] = converters.operation(graph, tensor, [names[id(s)] for s in sources])
            else:
                names[id(tensor)] = graph.parameter(tensor)
    return [names[id(output)] for output in outputs]


def export(model, example_input, path=None, input_names=("input",), output_names=("output",),
           dynamic_batch: bool = True, opset: int = 17, check: bool = True):
    """Write ``model`` as an ONNX file at ``path`` (when given) and return the ``onnx.ModelProto``.

    Args:
        example_input: a batch the model accepts (a Tensor or array), or a tuple of them for several inputs.
        input_names, output_names: names of the graph's inputs and outputs, one per tensor.
        dynamic_batch: the first dimension of inputs and outputs is symbolic ("batch").
        opset: the ONNX operator set (13 or later; LayerNorm needs 17).
        check: validate the model with ``onnx.checker.check_model(full_check=True)``.
    """
    try:
        import onnx
    except ImportError as error:
        raise ImportError("glassbox.onnx.export needs the onnx package: pip install 'glassbox[onnx]'") from error
    if not MINIMUM_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"glassbox.onnx.export: opset must be between {MINIMUM_OPSET} and "
                         f"{onnx.defs.onnx_opset_version()} (this onnx), got {opset}")
    examples = list(example_input) if isinstance(example_input, tuple | list) else [example_input]
    input_names, output_names = list(input_names), list(output_names)
    if len(input_names) != len(examples):
        raise ValueError(f"glassbox.onnx.export: {len(examples)} example inputs but input_names {input_names}")
    arrays = [_host(x.data if isinstance(x, Tensor) else numpy.asarray(x)).copy() for x in examples]
    inputs = [Tensor(array, requires_grad=array.dtype.kind == "f") for array in arrays]
    if any(x.ndim == 0 for x in inputs) and dynamic_batch:
        raise ValueError("glassbox.onnx.export: dynamic_batch=True needs inputs with a batch dimension")

    outputs, calls = _trace(model, inputs)
    if len(output_names) != len(outputs):
        raise ValueError(f"glassbox.onnx.export: the model returns {len(outputs)} outputs but output_names is "
                         f"{output_names}")
    parameter_names = {id(tensor): name for name, tensor in
                       [*model.named_parameters(), *model.named_buffers()]}
    graph = Graph(onnx, opset, inputs[0].dtype, parameter_names, dynamic_batch)
    graph.used_names.update(input_names + output_names)
    values = _translate(graph, outputs, calls, {id(x): name for x, name in zip(inputs, input_names, strict=True)})
    for value, name in zip(values, output_names, strict=True):
        graph.nodes.append(onnx.helper.make_node("Identity", [value], [name], name=name))

    def value_info(name, tensor):
        shape = ["batch" if dynamic_batch and axis == 0 else n for axis, n in enumerate(tensor.shape)]
        element = onnx.helper.np_dtype_to_tensor_dtype(numpy.dtype(tensor.dtype))
        return onnx.helper.make_tensor_value_info(name, element, shape)

    if dynamic_batch:
        batches = {x.shape[0] for x in inputs}
        for output, name in zip(outputs, output_names, strict=True):
            if output.ndim == 0 or output.shape[0] not in batches:
                raise ExportError(f"cannot export with dynamic_batch=True: output '{name}' of shape "
                                  f"{tuple(output.shape)} has no batch dimension first")
    onnx_graph = onnx.helper.make_graph(
        graph.nodes, type(model).__name__,
        [value_info(name, x) for x, name in zip(inputs, input_names, strict=True)],
        [value_info(name, output) for output, name in zip(outputs, output_names, strict=True)],
        initializer=list(graph.initializers.values()))
    onnx_model = onnx.helper.make_model(onnx_graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                        producer_name="glassbox")
    if check:
        onnx.checker.check_model(onnx_model, full_check=True)
    if path is not None:
        onnx.save(onnx_model, os.fspath(path))
    return onnx_model
