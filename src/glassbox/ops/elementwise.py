"""Elementwise primitives and the functions built from them.

Each primitive is the derivative rule a calculus course gives it:

    d(a+b) = da + db          d(a*b) = b da + a db          d(a/b) = da/b - a db/b²
    d(a**n) = n a**(n-1) da   d(exp a) = exp(a) da          d(log a) = da / a
    d(tanh a) = (1 - tanh²a) da                 d(sigmoid a) = sigmoid(a)(1 - sigmoid(a)) da
    d(relu a) = [a > 0] da

Broadcasting is handled once, by the autograd engine (``tensor.unbroadcast``).
A backward never changes the incoming gradient in place: the same array may be
handed to several inputs.
"""

from __future__ import annotations

import numbers

import numpy

from glassbox import backend, dtypes
from glassbox.autograd import Function
from glassbox.tensor import Tensor


# ---- operand preparation: PyTorch's type promotion, numbers as 'weak' scalars ----------------------
def as_tensor_operand(value, like: Tensor, op: str) -> Tensor:
    """A Python number, NumPy value or array as a constant tensor on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    if type(value) is float and like.data.dtype.kind == "f":  # the common case: weak float scalar
        return Tensor._wrap(backend.module_of(like.data).asarray(value, dtype=like.data.dtype))
    if isinstance(value, numbers.Number | numpy.generic):
        dtype = dtypes.promote_with_scalar(like.data.dtype, value)
        return Tensor._wrap(backend.module_of(like.data).asarray(value, dtype=dtype))
    if isinstance(value, numpy.ndarray | list | tuple):
        return Tensor(value, device=like.device)
    raise TypeError(f"{op}: unsupported operand of type {type(value).__name__} (expected a tensor or a number)")


def binary_operands(a, b, op: str) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of one dtype, promoted as PyTorch does."""
    if not isinstance(a, Tensor):
        a = as_tensor_operand(a, b, op)
    elif not isinstance(b, Tensor):
        b = as_tensor_operand(b, a, op)
    da, db = a.data.dtype, b.data.dtype
    if da != db:
        if a.data.ndim == 0 and b.data.ndim != 0:
            target = dtypes.promote_weak(db, da)
        elif b.data.ndim == 0 and a.data.ndim != 0:
            target = dtypes.promote_weak(da, db)
        else:
            target = dtypes.promote(da, db)
        if da != target:
            a = cast(a, target)
        if db != target:
            b = cast(b, target)
    if type(a.data) is not type(b.data):
        raise RuntimeError(f"{op}: operands are on different devices ({a.device} and {b.device})")
    return a, b


def check_broadcast(a: Tensor, b: Tensor, op: str) -> None:
    try:
        numpy.broadcast_shapes(a.data.shape, b.data.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together "
            f"(each dimension, aligned from the right, must be equal or 1)"
        ) from None


class Cast(Function):
    def forward(self, a, dtype):
        self.input_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.input_dtype)


def cast(a: Tensor, dtype) -> Tensor:
    dtype = dtypes.as_dtype(dtype)
    if a.data.dtype == dtype:
        return a
    if a.requires_grad and dtype.kind != "f":
        return Tensor._wrap(a.data.astype(dtype))
    return Cast.apply(a, dtype=dtype)


# ---- binary primitives --------------------------------------------------------------------------------
class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        return (grad * self.b if need_a else None), (grad * self.a if need_b else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        grad_a = grad / self.b
        grad_b = -grad_a * self.a / self.b if need_b else None
        return (grad_a if need_a else None), grad_b


class Pow(Function):
    """a ** b with both tensors: d/da = b a^(b-1), d/db = a^b log a (0 where a = 0 and b >= 0)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        xp = backend.module_of(grad)
        grad_a = grad_b = None
        with numpy.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                grad_a = grad * self.b * self.a ** (self.b - 1)
            if need_b:
                grad_b = grad * self.out * xp.log(self.a)
                grad_b = xp.where((self.a == 0) & (self.b >= 0), 0, grad_b).astype(grad.dtype)
        return grad_a, grad_b


class PowScalar(Function):
    """a ** n for a number n: d/da = n a^(n-1)."""

    def forward(self, a, exponent):
        self.a, self.exponent = a, exponent
        return a**exponent

    def backward(self, grad):
        n = self.exponent
        if n == 0:
            return grad * 0
        if n == 2:
            return grad * (2 * self.a)
        return grad * (n * self.a ** (n - 1))


class Maximum(Function):
    """Elementwise max; where both are equal the gradient is shared half and half (as PyTorch)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return backend.module_of(a).maximum(a, b)

    def backward(self, grad):
        return _split_on_ties(grad, self.a > self.b, self.a == self.b, self.needs_input_grad)


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return backend.module_of(a).minimum(a, b)

    def backward(self, grad):
        return _split_on_ties(grad, self.a < self.b, self.a == self.b, self.needs_input_grad)


def _split_on_ties(grad, a_wins, tie, needs):
    share_a = a_wins + 0.5 * tie
    grad_a = grad * share_a.astype(grad.dtype) if needs[0] else None
    grad_b = grad * (1 - share_a).astype(grad.dtype) if needs[1] else None
    return grad_a, grad_b


class Where(Function):
    def forward(self, a, b, condition):
        self.condition = condition
        return backend.module_of(a).where(condition, a, b)

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        zero = grad.dtype.type(0)
        xp = backend.module_of(grad)
        return (
            xp.where(self.condition, grad, zero) if need_a else None,
            xp.where(self.condition, zero, grad) if need_b else None,
        )


# ---- the public functions -----------------------------------------------------------------------------
def _binary(function, name):
    def apply(a, b):
        a, b = binary_operands(a, b, name)
        try:
            return function.apply(a, b)
        except ValueError:
            check_broadcast(a, b, name)  # raises the clear message when broadcasting was the problem
            raise

    apply.__name__ = name
    return apply


add = _binary(Add, "add")
sub = _binary(Sub, "sub")
mul = _binary(Mul, "mul")
maximum = _binary(Maximum, "maximum")
minimum = _binary(Minimum, "minimum")


def div(a, b, rounding_mode: str | None = None) -> Tensor:
    """a / b. True division promotes integers to the default float, as in PyTorch."""
    a, b = binary_operands(a, b, "div")
    if rounding_mode is not None:
        xp = backend.module_of(a.data)
        if rounding_mode == "floor":
            return Tensor._wrap(xp.floor_divide(a.data, b.data))
        if rounding_mode == "trunc":
            return Tensor._wrap(xp.trunc(a.data / b.data).astype(a.data.dtype))
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
    if a.data.dtype.kind != "f":
        a, b = cast(a, dtypes.default_float), cast(b, dtypes.default_float)
    try:
        return Div.apply(a, b)
    except ValueError:
        check_broadcast(a, b, "div")
        raise


def pow(a, exponent) -> Tensor:
    """a ** exponent, where either may be a tensor or a number."""
    if isinstance(a, Tensor) and isinstance(exponent, numbers.Number) and not isinstance(exponent, bool):
        if a.data.dtype.kind != "f" and isinstance(exponent, float):
            a = cast(a, dtypes.default_float)
        return PowScalar.apply(a, exponent=exponent)
    a, exponent = binary_operands(a, exponent, "pow")
    return Pow.apply(a, exponent)


def where(condition, a, b) -> Tensor:
    """Elementwise choice: ``a`` where ``condition`` holds, else ``b``."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    a, b = binary_operands(a, b, "where")
    xp = backend.module_of(a.data)
    cond = xp.asarray(cond).astype(bool, copy=False)
    shape = numpy.broadcast_shapes(cond.shape, a.data.shape, b.data.shape)
    if cond.shape != shape:
        cond = xp.broadcast_to(cond, shape)
    return Where.apply(a, b, condition=cond)
