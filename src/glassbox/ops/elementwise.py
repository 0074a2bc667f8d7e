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
from glassbox.tensor import Function, Tensor


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


# ---- unary primitives ---------------------------------------------------------------------------------
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
        return grad * (1 - self.out * self.out)


class Sigmoid(Function):
    """sigmoid(a) = 1 / (1 + e^-a). For a very negative, e^-a overflows to inf and 1 / inf = 0: the right limit."""

    def forward(self, a):
        xp = backend.module_of(a)
        with numpy.errstate(over="ignore"):
            out = xp.exp(-a)
        out += 1
        self.out = xp.reciprocal(out, out=out)
        return self.out

    def backward(self, grad):
        return grad * (self.out * (1 - self.out))


class Relu(Function):
    def forward(self, a):
        self.out = backend.module_of(a).maximum(a, 0)
        return self.out

    def backward(self, grad):
        return grad * (self.out > 0)


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


# ---- comparisons: values only, never a gradient ---------------------------------------------------------
def _comparison(numpy_name):
    def compare(a, b) -> Tensor:
        a_data = a.data if isinstance(a, Tensor) else a
        b_data = b.data if isinstance(b, Tensor) else b
        return Tensor._wrap(getattr(backend.module_of(a_data if isinstance(a, Tensor) else b_data), numpy_name)(
            a_data, b_data
        ))

    compare.__name__ = numpy_name
    return compare


eq = _comparison("equal")
ne = _comparison("not_equal")
lt = _comparison("less")
le = _comparison("less_equal")
gt = _comparison("greater")
ge = _comparison("greater_equal")
logical_and = _comparison("logical_and")
logical_or = _comparison("logical_or")
logical_xor = _comparison("logical_xor")


def logical_not(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).logical_not(a.data))


def isnan(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).isnan(a.data))


def isinf(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).isinf(a.data))


def isfinite(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).isfinite(a.data))


def floor(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).floor(a.data))


def ceil(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).ceil(a.data))


def round(a: Tensor, decimals: int = 0) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).round(a.data, decimals))
