"""Softmax and log-softmax as fused, numerically stable primitives.

    softmax(x)_i = e^(x_i - m) / sum_k e^(x_k - m)      with m = max(x): nothing overflows
    log_softmax(x)_i = x_i - m - log(sum_k e^(x_k - m))

Backward, with s = softmax(x) and g the incoming gradient:
    softmax:      dx = s * (g - sum(g * s))
    log_softmax:  dx = g - s * sum(g)
"""

from __future__ import annotations

from glassbox import backend, dtypes
from glassbox.tensor import Function, Tensor

from .elementwise import cast
from .reduce import normalize_dims


class Softmax(Function):
    def forward(self, a, axis):
        xp = backend.module_of(a)
        e = xp.exp(a - a.max(axis=axis, keepdims=True))
        self.out = e / e.sum(axis=axis, keepdims=True)
        self.axis = axis
        return self.out

    def backward(self, grad):
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def forward(self, a, axis):
        xp = backend.module_of(a)
        shifted = a - a.max(axis=axis, keepdims=True)
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.out

    def backward(self, grad):
        xp = backend.module_of(grad)
        return grad - xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)


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
    a, axis = _prepare(a, dim, dtype, "softmax")
    if a.ndim == 0:
        return a / a
    return Softmax.apply(a, axis=axis)


def log_softmax(a: Tensor, dim=None, dtype=None) -> Tensor:
    a, axis = _prepare(a, dim, dtype, "log_softmax")
    if a.ndim == 0:
        return a - a
    return LogSoftmax.apply(a, axis=axis)
