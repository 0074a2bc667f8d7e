"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, and functional forms.

Max pooling keeps the largest value of every k×k window (the notes' CNN
chapter: it shrinks the feature maps, cutting the computation of later layers,
and makes the network less sensitive to where exactly a feature appears).
Average pooling keeps the mean. Each side of size n becomes

    floor((n + 2p − d·(k − 1) − 1) / s) + 1          (ceil instead of floor with ceil_mode; stride s defaults to k)

Adaptive pooling fixes the output size m instead and picks the windows:
output i covers inputs floor(i·n/m) … ceil((i+1)·n/m) − 1. The arithmetic is in
``glassbox.ops.pooling``; this file checks arguments and names the layer in errors.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.autograd import is_grad_enabled
from glassbox.ops.pooling import (
    AdaptiveMaxPool,
    AvgPool,
    MaxPool,
    PoolingWindows,
    adaptive_window_max,
    average_divisors,
    pool_output_size,
    window_max,
    winner_indices,
)
from glassbox.tensor import Tensor

from .module import Module

__all__ = ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d",
           "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d"]

_AXIS_NAMES = ("height", "width")


def _pair(value, name: str) -> tuple:
    if isinstance(value, int | numpy.integer):
        return (int(value),) * 2
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * 2
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a tuple of 2 ints, got {value}")
    return value


def _batched(input: Tensor, layer: str, dims: int = 2) -> bool:
    """Check the rank; True when the input is unbatched ((C, H, W) for 2-D pooling)."""
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{layer} expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, "
                           f"got shape {tuple(input.shape)}")
    return input.ndim == dims + 1


def _windows(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool, layer: str,
             names: tuple, average: bool = False) -> PoolingWindows:
    kernel = _pair(kernel_size, "kernel_size")
    no_stride = stride is None or (not isinstance(stride, int | numpy.integer) and len(stride) == 0)
    stride = kernel if no_stride else _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{layer}: kernel_size {kernel}, stride {stride} and dilation {dilation} must be "
                         f"positive and padding {padding} not negative")
    for k, p, d in zip(kernel, padding, dilation, strict=True):
        if 2 * p > d * (k - 1) + 1:
            effective = "kernel size" if average else "effective kernel size"
            raise ValueError(f"{layer}: pad should be at most half of {effective}, but got pad={p}, kernel_size={k} "
                             f"and dilation={d}")
    sizes = []
    for name, n, k, p, s, d in zip(names, input.shape[2:], kernel, padding, stride, dilation, strict=True):
        out = pool_output_size(n, k, p, s, d, ceil_mode)
        if out < 1:
            rounding = "ceil" if ceil_mode else "floor"
            span = f"{k}" if d == 1 else f"{d}·({k} - 1) - 1"
            raise RuntimeError(f"{layer}: input of {name} {n} is too small: output {name} = "
                               f"{rounding}(({n} + 2·{p} - {span}) / {s}) + 1 = {out} < 1")
        sizes.append(out)
    return PoolingWindows(tuple(input.shape), kernel, stride, padding, dilation, tuple(sizes))


def _single(value) -> int:
    return int(value) if isinstance(value, int | numpy.integer) else int(tuple(value)[0])


def _as_rows(input: Tensor, kernel_size, stride, padding, dilation, layer: str):
    """A 1-D pooling as a 2-D one over a single row: (N, C, L) → (N, C, 1, L) and the arguments to match."""
    unbatched = _batched(input, layer, dims=1)
    rows = _as_batch(input, unbatched).unsqueeze(2)
    stride = None if stride is None else (1, _single(stride))
    return rows, unbatched, (1, _single(kernel_size)), stride, (0, _single(padding)), (1, _single(dilation))


def _as_batch(input: Tensor, unbatched: bool) -> Tensor:
    return input.reshape(1, *input.shape) if unbatched else input


def _restore(output: Tensor, unbatched: bool) -> Tensor:
    return output.reshape(*output.shape[1:]) if unbatched else output


def _max_pool(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool, return_indices: bool,
              layer: str, names: tuple = _AXIS_NAMES):
    """max_pool2d on a batched (N, C, H, W) input; returns (output, indices or None)."""
    windows = _windows(input, kernel_size, stride, padding, dilation, ceil_mode, layer, names)
    need_winners = return_indices or (input.requires_grad and is_grad_enabled())
    maxima, winners = window_max(input.data, windows, need_winners)
    output = MaxPool.apply(input, maxima=maxima, winners=winners, windows=windows)
    return output, (Tensor._wrap(winner_indices(winners, windows)) if return_indices else None)


def _avg_pool(input: Tensor, kernel_size, stride, padding, ceil_mode: bool, count_include_pad: bool,
              divisor_override, layer: str, names: tuple = _AXIS_NAMES) -> Tensor:
    """avg_pool2d on a batched (N, C, H, W) input."""
    if input.dtype.kind != "f":
        raise RuntimeError(f"{layer}: expected a floating-point input, got {input.dtype}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{layer}: divisor_override must be non-zero")
    windows = _windows(input, kernel_size, stride, padding, 1, ceil_mode, layer, names, average=True)
    divisors = average_divisors(backend.module_of(input.data), input.dtype, windows, count_include_pad,
                                divisor_override)
    return AvgPool.apply(input, windows=windows, divisors=divisors)


def _max_pool_2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, layer):
    unbatched = _batched(input, layer)
    output, indices = _max_pool(_as_batch(input, unbatched), kernel_size, stride, padding, dilation, ceil_mode,
                                return_indices, layer)
    if not return_indices:
        return _restore(output, unbatched)
    return _restore(output, unbatched), _restore(indices, unbatched)


def _max_pool_1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, layer):
    rows, unbatched, kernel_size, stride, padding, dilation = _as_rows(input, kernel_size, stride, padding,
                                                                      dilation, layer)
    output, indices = _max_pool(rows, kernel_size, stride, padding, dilation, ceil_mode, return_indices, layer,
                                ("height", "length"))
    if not return_indices:
        return _restore(output.squeeze(2), unbatched)
    return _restore(output.squeeze(2), unbatched), _restore(indices.squeeze(2), unbatched)


def _avg_pool_2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, layer):
    unbatched = _batched(input, layer)
    return _restore(_avg_pool(_as_batch(input, unbatched), kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override, layer), unbatched)


def _avg_pool_1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, layer):
    rows, unbatched, kernel_size, stride, padding, _ = _as_rows(input, kernel_size, stride, padding, 1, layer)
    output = _avg_pool(rows, kernel_size, stride, padding, ceil_mode, count_include_pad, None, layer,
                       ("height", "length"))
    return _restore(output.squeeze(2), unbatched)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """The maximum of every window of (N, C, H, W); with ``return_indices`` also where it was (h·W + w)."""
    return _max_pool_2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max pooling of (N, C, L): 2-D max pooling of a single row."""
    return _max_pool_1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean of every window of (N, C, H, W): its sum over its size, counting the zero padding unless
    ``count_include_pad=False``, or over ``divisor_override``."""
    return _avg_pool_2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                        "avg_pool2d")


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Average pooling of (N, C, L): 2-D average pooling of a single row."""
    return _avg_pool_1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, "avg_pool1d")


def _adaptive_size(input: Tensor, output_size, layer: str) -> tuple:
    if isinstance(output_size, int | numpy.integer) or output_size is None:
        output_size = (output_size, output_size)
    output_size = tuple(output_size)
    if len(output_size) != 2:
        raise ValueError(f"{layer}: output_size must be an int or a pair, got {output_size}")
    size = tuple(n if m is None else int(m) for n, m in zip(input.shape[-2:], output_size, strict=True))
    if min(size) < 1 or min(input.shape[-2:]) < 1:
        raise RuntimeError(f"{layer}: output size {size} and input size {tuple(input.shape[-2:])} must be positive")
    return size


def _pooling_matrix(n: int, m: int, like: Tensor) -> Tensor:
    """(m, n) matrix whose row i averages window i of adaptive pooling: 1 / size over the window, 0 elsewhere."""
    matrix = numpy.zeros((m, n))
    for i in range(m):
        start, end = i * n // m, -(-(i + 1) * n // m)
        matrix[i, start:end] = 1 / (end - start)
    return Tensor(backend.to_device(matrix.astype(like.dtype), like.device))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed (oH, oW): windows [floor(i·n/m), ceil((i+1)·n/m)).

    When the sizes divide evenly this is plain average pooling with k = s = n/m; otherwise the
    windows overlap or vary in size, and the pooling is separable and linear: y = P_H · x · P_Wᵀ,
    with P the (m, n) averaging matrices, composed from two matrix products.
    """
    return _adaptive_avg_pool(input, output_size, "adaptive_avg_pool2d")


def _adaptive_avg_pool(input: Tensor, output_size, layer: str) -> Tensor:
    unbatched = _batched(input, layer)
    input = _as_batch(input, unbatched)
    (h, w), (oh, ow) = input.shape[2:], _adaptive_size(input, output_size, layer)
    if h % oh == 0 and w % ow == 0:
        output = _avg_pool(input, (h // oh, w // ow), None, 0, False, True, None, layer)
    else:
        output = _pooling_matrix(h, oh, input) @ input @ _pooling_matrix(w, ow, input).transpose(0, 1)
    return _restore(output, unbatched)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed (oH, oW); indices are h·W + w, as PyTorch's."""
    return _adaptive_max_pool(input, output_size, return_indices, "adaptive_max_pool2d")


def _adaptive_max_pool(input: Tensor, output_size, return_indices: bool, layer: str):
    unbatched = _batched(input, layer)
    input = _as_batch(input, unbatched)
    (h, w), (oh, ow) = input.shape[2:], _adaptive_size(input, output_size, layer)
    if h % oh == 0 and w % ow == 0:
        result = _max_pool(input, (h // oh, w // ow), None, 0, 1, False, return_indices, layer)
    else:
        maxima, winners = adaptive_window_max(input.data, (oh, ow))
        result = AdaptiveMaxPool.apply(input, maxima=maxima, winners=winners), Tensor._wrap(winners)
    if not return_indices:
        return _restore(result[0], unbatched)
    return _restore(result[0], unbatched), _restore(result[1], unbatched)


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """The maximum of every window: (N, C, H, W) → (N, C, H_out, W_out); stride defaults to kernel_size."""

    def forward(self, input: Tensor):
        return _max_pool_2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices, f"MaxPool2d(kernel_size={self.kernel_size})")


class MaxPool1d(_MaxPoolNd):
    """The maximum of every window of a sequence: (N, C, L) → (N, C, L_out)."""

    def forward(self, input: Tensor):
        return _max_pool_1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices, f"MaxPool1d(kernel_size={self.kernel_size})")


class AvgPool2d(Module):
    """The mean of every window: (N, C, H, W) → (N, C, H_out, W_out); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor) -> Tensor:
        return _avg_pool_2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override, f"AvgPool2d(kernel_size={self.kernel_size})")


class AvgPool1d(Module):
    """The mean of every window of a sequence: (N, C, L) → (N, C, L_out)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = (_single(kernel_size),)
        self.stride = (_single(stride if stride is not None else kernel_size),)
        self.padding = (_single(padding),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor) -> Tensor:
        return _avg_pool_1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, f"AvgPool1d(kernel_size={self.kernel_size})")


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (an int, or a pair where None keeps the input's size)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input: Tensor) -> Tensor:
        return _adaptive_avg_pool(input, self.output_size, f"AdaptiveAvgPool2d(output_size={self.output_size})")


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size; ``return_indices`` also gives where each maximum was."""

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input: Tensor):
        return _adaptive_max_pool(input, self.output_size, self.return_indices,
                                  f"AdaptiveMaxPool2d(output_size={self.output_size})")
