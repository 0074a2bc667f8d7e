"""Unary elementwise primitives and the functions built from them.

    d(exp a) = exp(a) da      d(log a) = da / a        d(sqrt a) = da / (2 sqrt a)     d|a| = sign(a) da
    d(tanh a) = (1 - tanh²a) da                 d(sigmoid a) = sigmoid(a)(1 - sigmoid(a)) da
    d(relu a) = [a > 0] da                      d(softplus a) = sigmoid(a) da

As in elementwise.py, a backward never changes the incoming gradient in place.
"""

from __future__ import annotations

import mmap

import numpy

from glassbox import backend, dtypes
from glassbox.autograd import Function
from glassbox.tensor import Tensor

from .elementwise import cast, div, maximum, minimum, pow


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Exp(Function):
    def forward(self, a):
        self.out = backend.module_of(a).exp(a)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    def forward(self, a):
        self.a = a
        return backend.module_of(a).log(a)

    def backward(self, grad):
        return grad / self.a


class Log1p(Function):
    def forward(self, a):
        self.a = a
        return backend.module_of(a).log1p(a)

    def backward(self, grad):
        return grad / (1 + self.a)


class Softplus(Function):
    """f(x) = ln(1 + e^(βx)) / β, and x itself where βx > threshold;  f'(x) = σ(βx) (1 past the threshold).

    Computed as (max(βx, 0) + ln(1 + e^-|βx|)) / β, which never overflows. σ(βx) comes back from the output:
    e^(βf) = 1 + e^(βx), so σ(βx) = 1 - e^(-βf), accurate for every x.
    """

    def forward(self, a, beta, threshold):
        xp = backend.module_of(a)
        scaled = a * beta if beta != 1 else a
        self.linear = scaled > threshold
        smooth = xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))
        if beta != 1:
            smooth = smooth / beta
        self.out, self.beta = xp.where(self.linear, a, smooth), beta
        return self.out

    def backward(self, grad):
        xp = backend.module_of(grad)
        sigmoid = -xp.expm1(-self.beta * self.out)
        return grad * xp.where(self.linear, 1, sigmoid).astype(grad.dtype, copy=False)


class Sqrt(Function):
    def forward(self, a):
        self.out = backend.module_of(a).sqrt(a)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return backend.module_of(a).abs(a)

    def backward(self, grad):
        return grad * backend.module_of(grad).sign(self.a)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return backend.module_of(a).sin(a)

    def backward(self, grad):
        return grad * backend.module_of(grad).cos(self.a)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return backend.module_of(a).cos(a)

    def backward(self, grad):
        return -grad * backend.module_of(grad).sin(self.a)


class Tanh(Function):
    def forward(self, a):
        self.out = backend.module_of(a).tanh(a)
        return self.out

    def backward(self, grad):
        local = self.out * self.out  # 1 - tanh², built in one fresh array
        backend.module_of(local).subtract(_one(local), local, out=local)
        local *= grad
        return local


class Sigmoid(Function):
    """sigmoid(a) = 1 / (1 + e^-a). For a very negative, e^-a overflows to inf and 1 / inf = 0: the right limit."""

    def forward(self, a):
        xp = backend.module_of(a)
        out = _exp_negated(a, xp)
        one = _one(out)
        xp.add(out, one, out=out)
        if out.size >= EXP2_MIN_SIZE:
            self.out = xp.divide(one, out, out=out)  # twice as fast as reciprocal on large arrays
        else:
            self.out = xp.reciprocal(out, out=out)
        return self.out

    def backward(self, grad):
        local = backend.module_of(grad).subtract(_one(self.out), self.out)  # σ(1 - σ) g, in one fresh array
        local *= self.out
        local *= grad
        return local


LOG2_E = 1.4426950408889634
EXP2_MIN_SIZE = 1 << 12  # below this, the extra pass costs more than the faster exponential saves
_FLOAT32 = numpy.dtype(numpy.float32)


def exp_scaled(a, scale: float, xp, out=None):
    """e^(scale · a), into ``out`` (``a`` itself or a fresh array; a fresh one when None); ``xp`` is a's module.

    For a large float32 array on the CPU it is 2^(a · scale · log2 e): NumPy's float32 ``exp2`` takes half
    the time of its ``exp``, and the product costs what the negation or copy it replaces did. Rounding the
    product to float32 moves the exponent by up to |scale · a| · 2^-24, so the result is within about
    |scale · a| units in the last place (a relative 6e-7 at 10), the same trade as a GPU's fast exponential.
    Elsewhere it is exp(scale · a).
    """
    if a.size >= EXP2_MIN_SIZE and a.dtype is _FLOAT32 and type(a) is numpy.ndarray:
        out = numpy.multiply(a, numpy.float32(scale * LOG2_E), out=out)
        return numpy.exp2(out, out=out)
    if scale == 1:
        return xp.exp(a, out=out)
    out = xp.negative(a, out=out) if scale == -1 else xp.multiply(a, scale, out=out)
    return xp.exp(out, out=out)


@numpy.errstate(over="ignore")  # as a decorator: half the cost of a with-statement (no errstate object per call)
def _exp_negated(a, xp):
    """e^-a in a fresh array, where an overflow to inf is the right answer (it makes 1 / (1 + e^-a) zero)."""
    return exp_scaled(a, -1, xp)


_ONES: dict = {}


def _one(like):
    """1 as an operand for ``like``: a 0-d array of its dtype on the CPU (NumPy adds one of those to a small
    array in half the time it takes for the Python number 1, whose type it must first resolve)."""
    if type(like) is not numpy.ndarray:
        return 1
    one = _ONES.get(like.dtype)
    if one is None:
        one = _ONES[like.dtype] = numpy.ones((), dtype=like.dtype)
        one.flags.writeable = False
    return one


class _ZeroBuffer:
    """Read-only zeros to compare against, as a view shaped and laid out like the array at hand.

    NumPy's ``maximum`` runs its vector loop when both operands are arrays with the same layout; against
    the scalar 0 it takes a loop two to three times slower. The buffer is a read-only anonymous memory
    mapping, so every page of it is the kernel's one zero page: reading it costs no memory traffic.
    (``numpy.zeros`` would not do: memory that malloc keeps for reuse, see ``glassbox.allocator``, is
    cleared by writing real zeros into it.)
    """

    MIN_SIZE = 1 << 14  # smaller arrays: the scalar loop costs less than making the view

    def __init__(self):
        self.buffers: dict = {}

    def like(self, a):
        """Zeros with ``a``'s shape and strides, or None when ``a`` is small or not a dense CPU array."""
        if type(a) is not numpy.ndarray or a.size < self.MIN_SIZE:
            return None
        buffer = self.buffers.get(a.dtype)
        if buffer is None or buffer.size < a.size:
            buffer = self.buffers[a.dtype] = _read_only_zeros(a.size, a.dtype)
        if a.flags.c_contiguous:
            return buffer[: a.size].reshape(a.shape)
        span = 0
        for n, step in zip(a.shape, a.strides, strict=True):
            if step < 0:
                return None
            span += (n - 1) * step
        if span != (a.size - 1) * a.itemsize:  # gaps between the elements: not one dense block
            return None
        return numpy.lib.stride_tricks.as_strided(buffer, a.shape, a.strides, writeable=False)


def _read_only_zeros(size: int, dtype):
    """``size`` zeros of ``dtype`` that share the kernel's zero page (a plain read-only array elsewhere)."""
    try:
        memory = mmap.mmap(-1, size * numpy.dtype(dtype).itemsize, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                           prot=mmap.PROT_READ)
    except (AttributeError, OSError, TypeError):  # no POSIX mmap flags (Windows)
        zeros = numpy.zeros(size, dtype=dtype)
        zeros.flags.writeable = False
        return zeros
    return numpy.frombuffer(memory, dtype=dtype, count=size)  # read-only, as the mapping


zero_buffer = _ZeroBuffer()


class Relu(Function):
    """max(a, 0). The gradient passes wherever the output is not <= 0: where it is above 0, and, as in PyTorch,
    where it is NaN."""

    def forward(self, a):
        zeros = zero_buffer.like(a)
        self.out = backend.module_of(a).maximum(a, 0 if zeros is None else zeros)
        return self.out

    def backward(self, grad):
        xp = backend.module_of(grad)
        passed = xp.not_equal(self.out, 0)  # the output is >= 0 or NaN: "not <= 0" is "!= 0", one pass
        if type(grad) is not numpy.ndarray or grad.dtype != self.out.dtype:
            return grad * passed
        passed = passed.astype(grad.dtype)  # a cast and a same-type product: NumPy's mixed bool-float
        passed *= grad  # product takes a slower, buffered loop
        return passed


class Clamp(Function):
    """clamp(a, lo, hi); the gradient passes where lo <= a <= hi (bounds included, as PyTorch)."""

    def forward(self, a, low, high):
        self.a, self.low, self.high = a, low, high
        return backend.module_of(a).clip(a, low, high)

    def backward(self, grad):
        inside = True
        if self.low is not None:
            inside = self.a >= self.low
        if self.high is not None:
            inside = inside & (self.a <= self.high)
        return grad * inside


def _float_unary(function, name):
    def apply(a: Tensor) -> Tensor:
        if not isinstance(a, Tensor):
            a = Tensor(a)
        if a.data.dtype.kind != "f":
            a = cast(a, dtypes.default_float)
        return function.apply(a)

    apply.__name__ = name
    return apply


exp = _float_unary(Exp, "exp")
log = _float_unary(Log, "log")
sqrt = _float_unary(Sqrt, "sqrt")
sin = _float_unary(Sin, "sin")
cos = _float_unary(Cos, "cos")
tanh = _float_unary(Tanh, "tanh")
sigmoid = _float_unary(Sigmoid, "sigmoid")


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def abs(a: Tensor) -> Tensor:
    return Abs.apply(a)


def relu(a: Tensor) -> Tensor:
    return Relu.apply(a)


def clamp(a: Tensor, min=None, max=None) -> Tensor:
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = a
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return Clamp.apply(a, low=min, high=max)


def sign(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).sign(a.data))


def rsqrt(a: Tensor) -> Tensor:
    return pow(a, -0.5)


def square(a: Tensor) -> Tensor:
    return pow(a, 2)


def reciprocal(a: Tensor) -> Tensor:
    return div(1.0, a)


def log1p(a: Tensor) -> Tensor:
    """log(1 + a), accurate for tiny a (where 1 + a would round away a's digits)."""
    return _float_unary(Log1p, "log1p")(a)


def softplus(a: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta·a)) / beta, and a itself where beta·a > threshold."""
    if a.data.dtype.kind != "f":
        a = cast(a, dtypes.default_float)
    return Softplus.apply(a, beta=beta, threshold=threshold)
