"""One ONNX translation per glassbox layer, and per primitive operation written between layers.

A module converter receives the graph being built, the traced call (module, its dotted
path, input and output tensors) and the name of the input value; it adds nodes and returns
the name of the output value. The layer's formula is the same on both sides, e.g.

    Linear     y = x Wᵀ + b                     Gemm(x, W, b, transB=1)
    Conv2d     floor((n + 2p − d(f − 1) − 1) / s) + 1 outputs per side    Conv(pads, strides, dilations, group)
    BatchNorm  y = (x − μ) / √(σ² + ε) · γ + β  BatchNormalization (running μ, σ²: inference mode)
    LRN        b_c = a_c (k + α/n Σ a²)^(−β)    LRN(size=n, alpha=α, beta=β, bias=k)

Weights become initializers named by their state_dict path ("features.0.weight").
"""

from __future__ import annotations

import math

import numpy

from glassbox import nn


class ExportError(RuntimeError):
    """A model (or a setting of one of its layers) that has no ONNX translation."""


def _ints(value, dims: int) -> list:
    if isinstance(value, int | numpy.integer):
        return [int(value)] * dims
    value = [int(v) for v in value]
    return value * dims if len(value) == 1 else value


def _batched(call, dims: int) -> None:
    if call.input.ndim != dims + 2:
        raise ExportError(f"cannot export '{call.path}' ({type(call.module).__name__}): ONNX needs a batched "
                          f"{dims + 2}-D input (N, C, …), the example gave shape {tuple(call.input.shape)}")


# ---- linear, convolution, pooling ---------------------------------------------------------------------------
def linear(graph, call, x):
    module = call.module
    weight = graph.parameter(module.weight)
    bias = [graph.parameter(module.bias)] if module.bias is not None else []
    if call.input.ndim == 2:
        return graph.node("Gemm", [x, weight, *bias], call.path, transB=1)
    # (N, …, in) @ Wᵀ: MatMul broadcasts over the leading dimensions, Gemm does not
    product = graph.node("MatMul", [x, graph.node("Transpose", [weight], call.path + ".weight_t", perm=[1, 0])],
                         call.path + ".matmul")
    return graph.node("Add", [product, *bias], call.path) if bias else product


def convolution(graph, call, x):
    module = call.module
    dims = len(module.kernel_size)
    _batched(call, dims)
    if module.padding == "same":
        totals = [d * (k - 1) for k, d in zip(module.kernel_size, module.dilation, strict=True)]
        pads = [t // 2 for t in totals] + [t - t // 2 for t in totals]  # the odd one after, as PyTorch
    elif module.padding == "valid":
        pads = [0] * (2 * dims)
    else:
        pads = _ints(module.padding, dims) * 2
    if module.padding_mode != "zeros" and any(pads):
        raise ExportError(f"cannot export '{call.path}' ({type(module).__name__}): padding_mode="
                          f"{module.padding_mode!r} has no ONNX Conv attribute; use padding_mode='zeros'")
    bias = [graph.parameter(module.bias)] if module.bias is not None else []
    return graph.node("Conv", [x, graph.parameter(module.weight), *bias], call.path,
                      kernel_shape=list(module.kernel_size), strides=list(module.stride), pads=pads,
                      dilations=list(module.dilation), group=module.groups)


def transposed_convolution(graph, call, x):
    module = call.module
    _batched(call, 2)
    padding, stride, dilation = list(module.padding), list(module.stride), list(module.dilation)
    # output_padding as the traced output shows it, so a call with output_size= is reproduced too
    output_padding = [out - ((n - 1) * s - 2 * p + d * (k - 1) + 1) for out, n, k, p, s, d in
                      zip(call.output.shape[2:], call.input.shape[2:], module.kernel_size, padding, stride, dilation,
                          strict=True)]
    bias = [graph.parameter(module.bias)] if module.bias is not None else []
    return graph.node("ConvTranspose", [x, graph.parameter(module.weight), *bias], call.path,
                      kernel_shape=list(module.kernel_size), strides=stride, pads=padding * 2, dilations=dilation,
                      group=module.groups, output_padding=output_padding)


def max_pool(graph, call, x):
    module, dims = call.module, call.input.ndim - 2
    _batched(call, 1 if isinstance(module, nn.MaxPool1d) else 2)
    if module.return_indices:
        raise ExportError(f"cannot export '{call.path}' (MaxPool with return_indices=True): export the model "
                          f"without the indices")
    return graph.node("MaxPool", [x], call.path, kernel_shape=_ints(module.kernel_size, dims),
                      strides=_ints(module.stride, dims), pads=_ints(module.padding, dims) * 2,
                      dilations=_ints(module.dilation, dims), ceil_mode=int(module.ceil_mode))


def average_pool(graph, call, x):
    module, dims = call.module, call.input.ndim - 2
    _batched(call, 1 if isinstance(module, nn.AvgPool1d) else 2)
    if getattr(module, "divisor_override", None) is not None:
        raise ExportError(f"cannot export '{call.path}' (AvgPool2d with divisor_override): ONNX AveragePool "
                          f"always divides by the window size")
    return graph.node("AveragePool", [x], call.path, kernel_shape=_ints(module.kernel_size, dims),
                      strides=_ints(module.stride, dims), pads=_ints(module.padding, dims) * 2,
                      ceil_mode=int(module.ceil_mode), count_include_pad=int(module.count_include_pad))


def _adaptive_sizes(call) -> tuple:
    _batched(call, 2)
    (h, w), (oh, ow) = call.input.shape[2:], call.output.shape[2:]
    return h, w, oh, ow


def _pooling_matrix(n: int, m: int, dtype) -> numpy.ndarray:
    """(m, n): row i averages the window [floor(i·n/m), ceil((i+1)·n/m)) of adaptive pooling."""
    matrix = numpy.zeros((m, n), dtype=dtype)
    for i in range(m):
        start, end = i * n // m, -(-(i + 1) * n // m)
        matrix[i, start:end] = 1 / (end - start)
    return matrix


def adaptive_average_pool(graph, call, x):
    h, w, oh, ow = _adaptive_sizes(call)
    if (oh, ow) == (1, 1):
        return graph.node("GlobalAveragePool", [x], call.path)
    if h % oh == 0 and w % ow == 0:
        kernel = [h // oh, w // ow]
        return graph.node("AveragePool", [x], call.path, kernel_shape=kernel, strides=kernel)
    # overlapping windows: the pooling is linear and separable, y = P_H · x · P_Wᵀ
    dtype = call.input.dtype
    rows = graph.node("MatMul", [graph.constant(_pooling_matrix(h, oh, dtype), call.path + ".rows"), x],
                      call.path + ".rows_pooled")  # (oh, h) @ (N, C, h, w) → (N, C, oh, w)
    return graph.node("MatMul", [rows, graph.constant(_pooling_matrix(w, ow, dtype).T.copy(), call.path + ".columns")],
                      call.path)  # (N, C, oh, w) @ (w, ow) → (N, C, oh, ow)


def adaptive_max_pool(graph, call, x):
    h, w, oh, ow = _adaptive_sizes(call)
    if call.module.return_indices:
        raise ExportError(f"cannot export '{call.path}' (AdaptiveMaxPool2d with return_indices=True)")
    if (oh, ow) == (1, 1):
        return graph.node("GlobalMaxPool", [x], call.path)
    if h % oh or w % ow:
        raise ExportError(f"cannot export '{call.path}' (AdaptiveMaxPool2d to {(oh, ow)} from {(h, w)}): the windows "
                          f"overlap and ONNX has no adaptive max pooling; export at an input size it divides")
    kernel = [h // oh, w // ow]
    return graph.node("MaxPool", [x], call.path, kernel_shape=kernel, strides=kernel)


# ---- normalisation --------------------------------------------------------------------------------------------
def batch_norm(graph, call, x):
    module = call.module
    if module.running_mean is None:
        raise ExportError(f"cannot export '{call.path}' ({type(module).__name__} with track_running_stats=False): "
                          f"it normalises with each batch's own statistics, ONNX BatchNormalization with running ones")
    channels, dtype = module.num_features, module.running_mean.dtype
    scale = graph.parameter(module.weight) if module.weight is not None else \
        graph.constant(numpy.ones(channels, dtype), call.path + ".weight")
    shift = graph.parameter(module.bias) if module.bias is not None else \
        graph.constant(numpy.zeros(channels, dtype), call.path + ".bias")
    return graph.node("BatchNormalization", [x, scale, shift, graph.parameter(module.running_mean),
                                             graph.parameter(module.running_var)], call.path, epsilon=module.eps)


def layer_norm(graph, call, x):
    module = call.module
    graph.require_opset(17, call, "LayerNormalization")
    scale = graph.parameter(module.weight) if module.weight is not None else \
        graph.constant(numpy.ones(module.normalized_shape, call.input.dtype), call.path + ".weight")
    bias = [graph.parameter(module.bias)] if module.bias is not None else []
    return graph.node("LayerNormalization", [x, scale, *bias], call.path, axis=-len(module.normalized_shape),
                      epsilon=module.eps)


def local_response_norm(graph, call, x):
    module = call.module
    if module.size % 2 == 0:
        # PyTorch's window is c − n/2 … c + n/2 − 1, ONNX's c − n/2 + 1 … c + n/2: equal for odd n only
        raise ExportError(f"cannot export '{call.path}' (LocalResponseNorm size={module.size}): PyTorch and ONNX "
                          f"centre an even window differently; use an odd size")
    return graph.node("LRN", [x], call.path, size=module.size, alpha=float(module.alpha), beta=float(module.beta),
                      bias=float(module.k))


# ---- reshaping and pass-through ---------------------------------------------------------------------------------
def identity(graph, call, x):
    return x  # Identity, and Dropout at inference: the value passes unchanged


def flatten(graph, call, x):
    module, ndim = call.module, call.input.ndim
    start, end = module.start_dim % ndim, module.end_dim % ndim
    if start >= 1 and end == ndim - 1:
        if start == 1:
            return graph.node("Flatten", [x], call.path, axis=1)  # (N, C, H, W) → (N, C·H·W)
    return graph.reshape(x, call.input, call.output, call.path)


def unflatten(graph, call, x):
    return graph.reshape(x, call.input, call.output, call.path)


# ---- activations -----------------------------------------------------------------------------------------------
def _simple(op: str, **fixed):
    def convert(graph, call, x):
        return graph.node(op, [x], call.path, **fixed)

    return convert


def leaky_relu(graph, call, x):
    return graph.node("LeakyRelu", [x], call.path, alpha=float(call.module.negative_slope))


def prelu(graph, call, x):
    slope = call.module.weight.data
    if slope.shape[0] > 1:  # one slope per channel (dimension 1): (C, 1, …, 1) broadcasts against (N, C, …)
        slope = slope.reshape(slope.shape[0], *[1] * (call.input.ndim - 2))
    return graph.node("PRelu", [x, graph.constant(numpy.asarray(slope), call.path + ".weight")], call.path)


def elu(graph, call, x):
    return graph.node("Elu", [x], call.path, alpha=float(call.module.alpha))


def celu(graph, call, x):
    return graph.node("Celu", [x], call.path, alpha=float(call.module.alpha))


def _axis_of(call) -> int:
    if call.module.dim is None:
        raise ExportError(f"cannot export '{call.path}' ({type(call.module).__name__}(dim=None)): give the dimension")
    return call.module.dim


def softmax(graph, call, x):
    return graph.node("Softmax", [x], call.path, axis=_axis_of(call))


def log_softmax(graph, call, x):
    return graph.node("LogSoftmax", [x], call.path, axis=_axis_of(call))


def gelu(graph, call, x):
    approximate = call.module.approximate
    if graph.opset >= 20:
        return graph.node("Gelu", [x], call.path, approximate=approximate)
    half, one = graph.scalar(0.5), graph.scalar(1.0)
    if approximate == "tanh":  # 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        cube = graph.node("Mul", [graph.node("Mul", [x, x], call.path + ".square"), x], call.path + ".cube")
        inner = graph.node("Add", [x, graph.node("Mul", [cube, graph.scalar(0.044715)], call.path + ".scaled")],
                           call.path + ".inner")
        squashed = graph.node("Tanh", [graph.node("Mul", [inner, graph.scalar(math.sqrt(2 / math.pi))],
                                                  call.path + ".argument")], call.path + ".tanh")
    else:  # 0.5·x·(1 + erf(x / √2))
        squashed = graph.node("Erf", [graph.node("Div", [x, graph.scalar(math.sqrt(2))], call.path + ".scaled")],
                              call.path + ".erf")
    gate = graph.node("Mul", [graph.node("Add", [squashed, one], call.path + ".plus_one"), half], call.path + ".gate")
    return graph.node("Mul", [x, gate], call.path)


def silu(graph, call, x):  # x·σ(x)
    return graph.node("Mul", [x, graph.node("Sigmoid", [x], call.path + ".sigmoid")], call.path)


def mish(graph, call, x):  # x·tanh(softplus(x))
    softplus_x = graph.node("Softplus", [x], call.path + ".softplus")
    return graph.node("Mul", [x, graph.node("Tanh", [softplus_x], call.path + ".tanh")], call.path)


def softplus(graph, call, x):  # log(1 + e^{βx}) / β
    beta = float(call.module.beta)
    if beta == 1.0:
        return graph.node("Softplus", [x], call.path)
    scaled = graph.node("Mul", [x, graph.scalar(beta)], call.path + ".scaled")
    return graph.node("Div", [graph.node("Softplus", [scaled], call.path + ".softplus"), graph.scalar(beta)],
                      call.path)


def hardtanh(graph, call, x):
    module = call.module
    return graph.node("Clip", [x, graph.scalar(module.min_val), graph.scalar(module.max_val)], call.path)


def hardswish(graph, call, x):
    graph.require_opset(14, call, "HardSwish")
    return graph.node("HardSwish", [x], call.path)


MODULES = {
    nn.Linear: linear, nn.Conv1d: convolution, nn.Conv2d: convolution, nn.ConvTranspose2d: transposed_convolution,
    nn.MaxPool1d: max_pool, nn.MaxPool2d: max_pool, nn.AvgPool1d: average_pool, nn.AvgPool2d: average_pool,
    nn.AdaptiveAvgPool2d: adaptive_average_pool, nn.AdaptiveMaxPool2d: adaptive_max_pool,
    nn.BatchNorm1d: batch_norm, nn.BatchNorm2d: batch_norm, nn.BatchNorm3d: batch_norm, nn.LayerNorm: layer_norm,
    nn.LocalResponseNorm: local_response_norm,
    nn.Identity: identity, nn.Dropout: identity, nn.Dropout1d: identity, nn.Dropout2d: identity,
    nn.Dropout3d: identity, nn.Flatten: flatten, nn.Unflatten: unflatten,
    nn.ReLU: _simple("Relu"), nn.Sigmoid: _simple("Sigmoid"), nn.Tanh: _simple("Tanh"),
    nn.Softsign: _simple("Softsign"), nn.Hardsigmoid: _simple("HardSigmoid", alpha=1 / 6, beta=0.5),
    nn.SELU: _simple("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805),
    nn.LeakyReLU: leaky_relu, nn.PReLU: prelu, nn.ELU: elu, nn.CELU: celu, nn.Softmax: softmax,
    nn.LogSoftmax: log_softmax, nn.GELU: gelu, nn.SiLU: silu, nn.Mish: mish, nn.Softplus: softplus,
    nn.Hardtanh: hardtanh, nn.ReLU6: hardtanh, nn.Hardswish: hardswish,
}

# primitive operations written directly in a forward (x.flatten(1), a + b, x.relu() …)
UNARY_OPERATIONS = {"Relu": "Relu", "Tanh": "Tanh", "Sigmoid": "Sigmoid", "Exp": "Exp", "Log": "Log", "Neg": "Neg",
                    "Sqrt": "Sqrt", "Abs": "Abs"}
BINARY_OPERATIONS = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Matmul": "MatMul"}


def operation(graph, tensor, inputs: list) -> str:
    """The ONNX node(s) for the primitive Function that computed ``tensor`` from the values ``inputs``."""
    function = tensor._ctx
    kind = type(function).__name__
    if kind in UNARY_OPERATIONS:
        return graph.node(UNARY_OPERATIONS[kind], inputs, kind.lower())
    if kind in BINARY_OPERATIONS:
        return graph.node(BINARY_OPERATIONS[kind], inputs, kind.lower())
    if kind == "Reshape":
        return graph.reshape(inputs[0], function.parents[0], tensor, "reshape")
    if kind == "Permute":
        order = sorted(range(len(function.inverse)), key=function.inverse.__getitem__)
        return graph.node("Transpose", inputs, "transpose", perm=order)
    if kind in ("Softmax", "LogSoftmax"):
        return graph.node(kind, inputs, kind.lower(), axis=int(function.axis))
    supported = sorted([*UNARY_OPERATIONS, *BINARY_OPERATIONS, "Reshape", "Permute", "Softmax", "LogSoftmax"])
    raise ExportError(f"cannot export the operation {kind} (output shape {tuple(tensor.shape)}) written in a forward "
                      f"between layers: operations that can be exported there are {supported}; or put it in a layer "
                      f"that can be exported")
