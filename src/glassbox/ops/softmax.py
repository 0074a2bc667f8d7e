"""Softmax and log-softmax as fused, numerically stable primitives.

    softmax(x)_i = e^(x_i - m) / sum_k e^(x_k - m)      with m = max(x): nothing overflows
    log_softmax(x)_i = x_i - m - log(sum_k e^(x_k - m))

Backward, with s = softmax(x) and g the incoming gradient:
    softmax:      dx = s * (g - sum(g * s))
    log_softmax:  dx = g - s * sum(g)
"""

from __future__ import annotations

from glassbox import backend, dtypes
from glassbox.autograd import Function
from glassbox.tensor import Tensor
from glassbox.ufunc_buffers import MIN_ELEMENTS as _BUFFERED
from glassbox.ufunc_buffers import small_buffers

from .elementwise import cast
from .reduce import extremum_along, normalize_dims, sum_array
from .unary import exp_scaled

# Each pass below writes into an array made earlier in the same function: one fresh array per call instead
# of four, which matters for large inputs (every new array is new memory for the CPU to fetch and clear).


class _RowwiseNormalisation(Function):
    """Softmax and log-softmax: the row maxima first, then passes that broadcast a column of per-row numbers,
    which on large arrays run in small ufunc buffers (see glassbox.ufunc_buffers)."""

    def forward(self, a, axis):
        peak = extremum_along(a, axis)
        if a.size >= _BUFFERED:
            with small_buffers():
                return self._forward(a, peak, axis)
        return self._forward(a, peak, axis)

    def backward(self, grad):
        if grad.size >= _BUFFERED:
            with small_buffers():
                return self._backward(grad)
        return self._backward(grad)


class Softmax(_RowwiseNormalisation):
    def _forward(self, a, peak, axis):
        xp = backend.module_of(a)
        out = xp.subtract(a, peak)
        exp_scaled(out, 1, xp, out=out)
        out /= sum_array(out, (axis,), keepdims=True)
        self.out, self.axis = out, axis
        return out

    def _backward(self, grad):
        s = self.out
        product = grad * s
        dot = sum_array(product, (self.axis,), keepdims=True)  # Σ_k g_k s_k
        if 0 in grad.strides:  # a broadcast g: NumPy's loop for g - Σ g s, both broadcast, is three times slower
            product -= s * dot  # s * g - s * Σ g s = s * (g - Σ g s)
        else:
            backend.module_of(grad).subtract(grad, dot, out=product)  # g - Σ g s, over g s: no second array
            product *= s
        return product


class LogSoftmax(_RowwiseNormalisation):
    def _forward(self, a, peak, axis):
        xp = backend.module_of(a)
        out = xp.subtract(a, peak)
        exponentials = exp_scaled(out, 1, xp)
        out -= xp.log(sum_array(exponentials, (axis,), keepdims=True))
        self.out, self.axis = out, axis
        return out

    def _backward(self, grad):
        xp = backend.module_of(grad)
        out = exp_scaled(self.out, 1, xp)
        out *= sum_array(grad, (self.axis,), keepdims=True)
        return xp.subtract(grad, out, out=out)


def _fast_axis(a, dim, dtype):
    """The axis for the common case (a float tensor of one or more dims, an int dim in range, no dtype), else None."""
    if dtype is None and type(dim) is int and type(a) is Tensor:
        data = a.data
        ndim = data.ndim
        if ndim and -ndim <= dim < ndim and data.dtype.kind == "f":
            return dim % ndim
    return None


def _prepare(a: Tensor, dim, dtype, op):
    if dim is None:
        raise TypeError(f"{op}: pass dim= explicitly (the dimension whose entries sum to one)")
    if dtype is not None:
        a = cast(a, dtype)
    elif a.data.dtype.kind != "f":
        a = cast(a, dtypes.default_float)
    (axis,) = normalize_dims(dim, a.ndim, op) or (0,)
    return a, axis


def softmax(a: Tensor, dim=None, dtype=None) -> Tensor:
    axis = _fast_axis(a, dim, dtype)
    if axis is not None:
        return Softmax.apply(a, axis=axis)
    a, axis = _prepare(a, dim, dtype, "softmax")
    if a.ndim == 0:
        return a / a
    return Softmax.apply(a, axis=axis)


def log_softmax(a: Tensor, dim=None, dtype=None) -> Tensor:
    axis = _fast_axis(a, dim, dtype)
    if axis is not None:
        return LogSoftmax.apply(a, axis=axis)
    a, axis = _prepare(a, dim, dtype, "log_softmax")
    if a.ndim == 0:
        return a - a
    return LogSoftmax.apply(a, axis=axis)
