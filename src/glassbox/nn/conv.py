"""Convolution layers: Conv1d, Conv2d, ConvTranspose2d, and their functional forms.

A convolution slides a small filter over the input and takes the weighted sum
of each patch it covers (the notes' CNN chapter). Along each spatial axis an
input of size n gives

    floor((n + 2p − f) / s) + 1                                 outputs (filter f, padding p, stride s)
    floor((n + 2p − d·(f − 1) − 1) / s) + 1                     with dilation d, as PyTorch writes it

(``conv_output_size``). ``padding="same"`` keeps n when s = 1 by padding d·(f − 1)
in total, the extra one after when it is odd (as PyTorch); ``"valid"`` is p = 0.
The arithmetic is one primitive: ``glassbox.ops.conv`` (im2col + one matrix
product) or, for 3×3 stride-1 convolutions over many channels, ``glassbox.ops.winograd``
(F(2×2, 3×3), 2.25× fewer multiplications); this file checks arguments, names the layer in every error, and
holds the weights in PyTorch's layout:

    Conv:           weight (out_channels, in_channels / groups, *kernel_size)
    ConvTranspose:  weight (in_channels, out_channels / groups, *kernel_size)
"""

from __future__ import annotations

import math

import numpy

from glassbox import backend, creation, dtypes
from glassbox.ops.conv import Convolution, TransposedConvolution, conv_output_size, transposed_output_size
from glassbox.ops.winograd import WinogradConvolution, winograd_fits
from glassbox.tensor import Tensor

from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d", "conv1d", "conv2d", "conv_output_size", "conv_transpose1d",
           "conv_transpose2d"]

_AXIS_NAMES = {1: ("length",), 2: ("height", "width")}
_NUMPY_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _tuple(value, dims: int, name: str) -> tuple:
    if isinstance(value, int | numpy.integer):
        return (int(value),) * dims
    value = tuple(int(v) for v in value)
    if len(value) != dims:
        raise ValueError(f"{name} must be an int or a tuple of {dims} ints, got {value}")
    return value


def _same_padding(kernel: tuple, dilation: tuple) -> tuple:
    """(before, after) per axis: d·(f − 1) in total, the odd one after, as PyTorch."""
    return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation, strict=True))


def _formula(n, f, padding, s, d) -> str:
    before, after = padding
    pad = f"2·{before}" if before == after else f"{before} + {after}"
    kernel = f"{f}" if d == 1 else f"{d}·({f} - 1) - 1"
    return f"floor(({n} + {pad} - {kernel}) / {s}) + 1"


def _check_input(input: Tensor, weight: Tensor, dims: int, layer: str, channels: int, what: str) -> bool:
    """Validate rank, channels and dtype; returns whether the input is unbatched."""
    kind = layer.split("(")[0]  # "Conv2d expected input with 3 channels" reads better without the arguments
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{kind} expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, "
                           f"got shape {tuple(input.shape)}")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{layer}: weight must be {dims + 2}-D, got shape {tuple(weight.shape)}")
    got = input.shape[0 if input.ndim == dims + 1 else 1]
    if got != channels:
        plural = "" if channels == 1 else "s"
        raise RuntimeError(f"{kind} expected input with {channels} channel{plural}{what}, "
                           f"got shape {tuple(input.shape)}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"{layer}: input dtype {input.dtype} differs from the weight's {weight.dtype}; "
                           f"convert one of them (module.double() or input.float())")
    return input.ndim == dims + 1


def _check_groups(in_channels: int, out_channels: int, groups: int, layer: str) -> None:
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{layer}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                         f"divisible by groups ({groups})")


def _pad_with_mode(input: Tensor, padding: tuple, mode: str) -> Tensor:
    """Pad the spatial axes by ((before, after), …) with a non-zero mode, as ``F.pad``: gather rows by index."""
    for axis, (before, after) in enumerate(padding, start=input.ndim - len(padding)):
        n = input.shape[axis]
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(f"padding_mode='reflect': padding ({before}, {after}) must be smaller than the "
                               f"input size {n} along dimension {axis}")
        source = numpy.pad(numpy.arange(n), (before, after), mode=_NUMPY_PAD_MODES[mode])
        input = input[(slice(None),) * axis + (source,)]
    return input


def _convolution(input, weight, bias, stride, padding, dilation, groups, dims: int, layer: str,
                 padding_mode: str = "zeros", pool: bool = False, relu: bool = False) -> Tensor | None:
    """The shared body of conv1d / conv2d and the Conv modules: checks, padding, the primitive. With ``pool``,
    the convolution followed by 2×2, stride-2 max pooling (and by a ReLU, with ``relu``) as one primitive
    (``glassbox.nn.fusion``), or None where that does not apply (a 1-D or unbatched input, an output smaller
    than 2×2, a GPU)."""
    kernel = tuple(weight.shape[2:])
    stride, dilation = _tuple(stride, dims, "stride"), _tuple(dilation, dims, "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{layer}: stride {stride} and dilation {dilation} must be positive")
    unbatched = _check_input(input, weight, dims, layer, weight.shape[1] * groups,
                             "" if groups == 1 else f" (groups={groups})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"{layer}: bias of shape {tuple(bias.shape)}, expected ({weight.shape[0]},)")
    if weight.shape[0] % groups:
        raise RuntimeError(f"{layer}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{layer}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        if padding == "same" and stride != (1,) * dims:
            raise ValueError(f"{layer}: padding='same' is not supported for strided convolutions (stride={stride})")
        pads = _same_padding(kernel, dilation) if padding == "same" else ((0, 0),) * dims
    else:
        pads = tuple((p, p) for p in _tuple(padding, dims, "padding"))
        if any(before < 0 for before, _ in pads):
            raise ValueError(f"{layer}: negative padding {padding} is not supported")
    if unbatched:
        input = input.reshape(1, *input.shape)
    if padding_mode != "zeros" and any(sum(p) for p in pads):
        input = _pad_with_mode(input, pads, padding_mode)
        pads = ((0, 0),) * dims
    sizes = input.shape[2:]
    for axis, (n, f, p, s, d) in enumerate(zip(sizes, kernel, pads, stride, dilation, strict=True)):
        out = conv_output_size(n + p[0] + p[1], f, 0, s, d)  # padding may be uneven: pass it in n
        if out < 1:
            name = _AXIS_NAMES[dims][axis]
            raise RuntimeError(f"{layer}: input of {name} {n} is too small: output {name} = "
                               f"{_formula(n, f, p, s, d)} = {out} < 1")
    device = backend.device_of(input.data)
    if pool and (dims != 2 or unbatched or device != "cpu" or min(
            conv_output_size(n + p[0] + p[1], f, 0, s, d)
            for n, f, p, s, d in zip(sizes, kernel, pads, stride, dilation, strict=True)) < 2):
        return None
    if dims == 1:  # a 1-D convolution is a 2-D one over a single row
        input, weight = input.reshape(*input.shape[:2], 1, -1), weight.reshape(*weight.shape[:2], 1, -1)
        stride, dilation, pads = (1, *stride), (1, *dilation), ((0, 0), *pads)
    arguments = (input, weight) if bias is None else (input, weight, bias)
    if winograd_fits(tuple(weight.shape), groups, stride, dilation, device):
        output = WinogradConvolution.apply(*arguments, padding=pads[0] + pads[1], groups=groups, pool=pool, relu=relu)
    else:
        output = Convolution.apply(*arguments, stride=stride, padding=pads[0] + pads[1], dilation=dilation,
                                   groups=groups, pool=pool, relu=relu)
    if dims == 1:
        output = output.reshape(*output.shape[:2], -1)
    return output.reshape(*output.shape[1:]) if unbatched else output


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D convolution of (N, C, H, W) (or unbatched (C, H, W)) with weight (O, C/groups, kH, kW)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) (or unbatched (C, L)) with weight (O, C/groups, k)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def _transposed_convolution(input, weight, bias, stride, padding, output_padding, groups, dilation, dims: int,
                            layer: str) -> Tensor:
    kernel = tuple(weight.shape[2:])
    stride, dilation = _tuple(stride, dims, "stride"), _tuple(dilation, dims, "dilation")
    padding, output_padding = _tuple(padding, dims, "padding"), _tuple(output_padding, dims, "output_padding")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{layer}: stride {stride} and dilation {dilation} must be positive, padding {padding} "
                         f"not negative")
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if not 0 <= op < max(s, d):
            raise ValueError(f"{layer}: output_padding {output_padding} must be smaller than either stride "
                             f"{stride} or dilation {dilation}")
    unbatched = _check_input(input, weight, dims, layer, weight.shape[0], "")
    if input.shape[0 if unbatched else 1] % groups:
        raise RuntimeError(f"{layer}: in_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"{layer}: bias of shape {tuple(bias.shape)}, expected ({out_channels},)")
    if unbatched:
        input = input.reshape(1, *input.shape)
    for axis, (n, f, p, s, d, op) in enumerate(zip(input.shape[2:], kernel, padding, stride, dilation,
                                                   output_padding, strict=True)):
        out = transposed_output_size(n, f, p, s, d, op)
        if out < 1:
            name = _AXIS_NAMES[dims][axis]
            raise RuntimeError(f"{layer}: output {name} = ({n} - 1)·{s} - 2·{p} + {d}·({f} - 1) + {op} + 1 = "
                               f"{out} < 1")
    if dims == 1:
        input, weight = input.reshape(*input.shape[:2], 1, -1), weight.reshape(*weight.shape[:2], 1, -1)
        stride, dilation, padding, output_padding = (1, *stride), (1, *dilation), (0, *padding), (0, *output_padding)
    arguments = (input, weight) if bias is None else (input, weight, bias)
    output = TransposedConvolution.apply(*arguments, stride=stride, padding=(padding[0],) * 2 + (padding[1],) * 2,
                                         output_padding=output_padding, dilation=dilation, groups=groups)
    if dims == 1:
        output = output.reshape(*output.shape[:2], -1)
    return output.reshape(*output.shape[1:]) if unbatched else output


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-D convolution of (N, C_in, H, W) with weight (C_in, C_out/groups, kH, kW); each side grows to
    (n − 1)·s − 2p + d·(f − 1) + output_padding + 1."""
    return _transposed_convolution(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                                   "conv_transpose2d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-D convolution of (N, C_in, L) with weight (C_in, C_out/groups, k)."""
    return _transposed_convolution(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                                   "conv_transpose1d")


class _ConvNd(Module):
    """What every convolution module shares: arguments, weights in PyTorch's layout and init, the repr."""

    dims = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", output_padding=0, device=None,
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_groups(in_channels, out_channels, groups, name)
        if padding_mode not in ("zeros", *_NUMPY_PAD_MODES):
            raise ValueError(f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                             f"got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, self.dims, "kernel_size")
        self.stride = _tuple(stride, self.dims, "stride")
        self.dilation = _tuple(dilation, self.dims, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
            if padding == "same" and self.stride != (1,) * self.dims:
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _tuple(padding, self.dims, "padding")
        self.output_padding = _tuple(output_padding, self.dims, "output_padding")
        self.padding_mode = padding_mode
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        dtype = dtypes.as_dtype(dtype) or dtypes.default_float
        self.weight = Parameter(creation.zeros(*shape, dtype=dtype, device=device or "cpu"))
        if bias:
            self.bias = Parameter(creation.zeros(out_channels, dtype=dtype, device=device or "cpu"))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """W ~ kaiming_uniform_(a=√5) = U[-1/√fan_in, 1/√fan_in], b ~ U[-1/√fan_in, 1/√fan_in], as PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _layer_name(self) -> str:
        """How errors name this layer: "Conv2d(1, 32, kernel_size=(5, 5))"."""
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text

    def forward(self, input: Tensor) -> Tensor:
        return _convolution(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                            self.dims, self._layer_name(), self.padding_mode)


class Conv2d(_ConvNd):
    """y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c] over (N, C_in, H, W) → (N, C_out, H_out, W_out), each side
    floor((n + 2p − d·(f − 1) − 1) / s) + 1."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) → (N, C_out, L_out), L_out = floor((L + 2p − d·(f − 1) − 1) / s) + 1."""

    dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)


class ConvTranspose2d(_ConvNd):
    """The transpose of Conv2d (its input gradient as a layer), for upsampling: each side becomes
    (n − 1)·s − 2p + d·(f − 1) + output_padding + 1. ``forward(input, output_size=None)`` may ask for
    a size between that and s − 1 more, as PyTorch."""

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device=device, dtype=dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        output_size = tuple(output_size)[-self.dims:]
        padding = []
        for axis, (n, want) in enumerate(zip(input.shape[-self.dims:], output_size, strict=True)):
            low = transposed_output_size(n, self.kernel_size[axis], self.padding[axis], self.stride[axis],
                                         self.dilation[axis])
            high = low + self.stride[axis] - 1
            if not low <= want <= high:
                raise ValueError(f"{self._layer_name()}: requested an output size of {output_size}, but valid "
                                 f"sizes range from {low} to {high} along {_AXIS_NAMES[self.dims][axis]}")
            padding.append(want - low)
        return tuple(padding)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        return _transposed_convolution(input, self.weight, self.bias, self.stride, self.padding,
                                       self._output_padding(input, output_size), self.groups, self.dilation,
                                       self.dims, self._layer_name())
