"""Activation functions, as ``torch.nn.functional`` has them: f(x) and, for backpropagation, f'(x).

    identity     f(x) = x                                   f'(x) = 1
    binary step  f(x) = 0 if x < 0, 1 if x >= 0             f'(x) = 0 (everywhere: no learning signal)
    sigmoid      f(x) = σ(x) = 1 / (1 + e^-x)               f'(x) = σ(x)(1 - σ(x))
    tanh         f(x) = (e^x - e^-x) / (e^x + e^-x)         f'(x) = 1 - tanh²(x)
    relu         f(x) = max(0, x)                           f'(x) = 1 if x > 0 else 0
    leaky relu   f(x) = x if x > 0 else a·x  (a = 0.01)     f'(x) = 1 if x > 0 else a
    prelu        leaky relu, its a learned per channel      df/da = 0 if x > 0 else x
    elu          f(x) = x if x > 0 else α(e^x - 1)          f'(x) = 1 if x > 0 else f(x) + α
    swish/silu   f(x) = x·σ(x)                              f'(x) = σ(x)(1 + x(1 - σ(x)))
    softplus     f(x) = ln(1 + e^x)                         f'(x) = σ(x)
    softmax      f_i(x) = e^x_i / Σ_j e^x_j                 ∂f_i/∂x_j = f_i(δ_ij - f_j)
    maxout       f(x) = max_i x_i                           ∂f/∂x_i = 1 for the largest x_i, else 0

At a kink (x = 0 for relu) the derivative is a choice; every function here makes
PyTorch's, which each docstring states. Sigmoid, tanh, relu, softmax and
log-softmax are the core's fused primitives (``glassbox.ops``); leaky relu, the
ELU family, hardtanh, softplus, the binary step and erf are primitives here
because composing them was slower or lost precision; the rest are composed, so
autograd differentiates them.

``inplace=True`` (accepted wherever PyTorch accepts it) overwrites the input and
returns it when the input is not part of a recorded graph. When it is, the input's
values may be saved for a backward pass, so a new tensor is returned instead:
always use the returned value, as ``x = F.relu(x, inplace=True)``.
"""

from __future__ import annotations

import math
import warnings

from glassbox import backend, dtypes, ops
from glassbox.autograd import Function, is_grad_enabled
from glassbox.ops import elementwise
from glassbox.ops.reduce import normalize_dims
from glassbox.tensor import Tensor


# ---- argument checks and in-place results ---------------------------------------------------------------
def _tensor(input, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        kind = type(input)
        kind = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"{name}(): argument 'input' must be a glassbox Tensor, not {kind}")
    return input


def _floating(input, name: str, inplace: bool = False) -> Tensor:
    """The input as a floating point tensor (integers become the default float, as PyTorch's activations do)."""
    input = _tensor(input, name)
    if input.data.dtype.kind != "f":
        if inplace:
            raise TypeError(f"{name}(inplace=True): the result is floating point, it can't overwrite a {input.dtype} "
                            f"input; pass inplace=False")
        return elementwise.cast(input, dtypes.default_float)
    return input


def _in_place(input: Tensor, result: Tensor, inplace: bool, name: str) -> Tensor:
    """``inplace=True``: write ``result`` into ``input`` unless a graph records ``input`` (then return ``result``)."""
    if not inplace:
        return result
    if is_grad_enabled() and input.requires_grad:
        if input.is_leaf:
            raise RuntimeError(
                f"{name}(inplace=True): a leaf tensor that requires grad can't be overwritten; "
                f"pass inplace=False or wrap the call in gb.no_grad()"
            )
        return result
    if result.data.dtype != input.data.dtype:
        raise RuntimeError(f"{name}(inplace=True): result type {result.dtype} can't be written into {input.dtype}")
    input.data[...] = result.data
    return input


# ---- error function ------------------------------------------------------------------------------------------
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969): three
# rational functions, each accurate to double precision on its interval (netlib specfun CALERF).
_ERF_SMALL_NUMERATOR = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
                        3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_SMALL_DENOMINATOR = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
                          2.84423683343917062e03)
_ERFC_MIDDLE_NUMERATOR = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
                          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
                          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_MIDDLE_DENOMINATOR = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
                            1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
                            3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_TAIL_NUMERATOR = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
                        1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_TAIL_DENOMINATOR = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
                          6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 0.56418958354775628695
_ERFC_IS_ZERO_BEYOND = 27.0  # erfc(27) < 1e-300: past it erf(x) is ±1 to double precision


def _rational(t, numerator, denominator):
    """Cody's nested evaluation of P(t) / Q(t), in place on two fresh arrays (the last numerator coefficient
    is the leading one)."""
    degree = len(denominator)
    top, bottom = numerator[degree] * t, t.copy()
    for i in range(degree - 1):
        top += numerator[i]
        top *= t
        bottom += denominator[i]
        bottom *= t
    top += numerator[degree - 1]
    bottom += denominator[degree - 1]
    top /= bottom
    return top


def erf_array(x):
    """erf(x) = 2/√π ∫₀ˣ e^(-t²) dt on an array, to double precision (Cody's three intervals of |x|).

    Past |x| = 0.46875, erf = ±(1 - erfc) with erfc(y) = e^(-y²)·R(y) <= 0.52: the relative error y²·ε that
    forming y² gives e^(-y²) changes erf by at most erfc·y²·ε < ε/4, so e^(-y²) is computed directly
    (Cody's split of y², which erfc alone needs, would cost a second exponential).
    """
    xp = backend.module_of(x)
    y = xp.abs(x)
    out = xp.empty_like(x)
    small = y <= 0.46875
    tail = y > 4
    middle = ~(small | tail)
    x_small = x[small]
    out[small] = x_small * _rational(x_small * x_small, _ERF_SMALL_NUMERATOR, _ERF_SMALL_DENOMINATOR)
    y_middle = y[middle]  # erfc(y) = e^(-y²)·P(y)/Q(y)
    erfc = _rational(y_middle, _ERFC_MIDDLE_NUMERATOR, _ERFC_MIDDLE_DENOMINATOR)
    erfc *= xp.exp(-y_middle * y_middle)
    out[middle] = xp.copysign(1 - erfc, x[middle])
    y_tail = xp.minimum(y[tail], _ERFC_IS_ZERO_BEYOND)  # erfc(y) = e^(-y²)/y·(1/√π - P(1/y²)/(y²Q(1/y²)))
    t = 1 / (y_tail * y_tail)
    erfc = _ONE_OVER_SQRT_PI - t * _rational(t, _ERFC_TAIL_NUMERATOR, _ERFC_TAIL_DENOMINATOR)
    erfc *= xp.exp(-y_tail * y_tail) / y_tail
    out[tail] = xp.copysign(1 - erfc, x[tail])
    return out


class Erf(Function):
    """erf(x) = 2/√π ∫₀ˣ e^(-t²) dt;  d erf(x)/dx = 2/√π · e^(-x²)."""

    def forward(self, a):
        self.a = a
        return erf_array(a)

    def backward(self, grad):
        xp = backend.module_of(grad)
        return grad * ((2 / math.sqrt(math.pi)) * xp.exp(-self.a * self.a))


def erf(input: Tensor) -> Tensor:
    """The error function, elementwise (``torch.erf``): what GELU's exact form is built on."""
    return Erf.apply(_floating(input, "erf"))


# ---- primitives ------------------------------------------------------------------------------------------------
class BinaryStep(Function):
    """1 where x >= 0, else 0. Its derivative is 0 wherever it exists, so the gradient passed back is zero."""

    def forward(self, a):
        return (a >= 0).astype(a.dtype)

    def backward(self, grad):
        return backend.module_of(grad).zeros_like(grad)


class LeakyRelu(Function):
    """x if x > 0 else slope·x; the gradient at 0 is ``slope`` (PyTorch's choice)."""

    def forward(self, a, slope):
        self.positive, self.slope = a > 0, slope
        return backend.module_of(a).where(self.positive, a, a * slope)

    def backward(self, grad):
        return backend.module_of(grad).where(self.positive, grad, grad * self.slope)


class Elu(Function):
    """PyTorch's one kernel for ELU, SELU and CELU:

        f(x) = scale·x                                if x > 0
               scale·alpha·(e^(input_scale·x) - 1)    if x <= 0
        f'(x) = scale if x > 0, else input_scale·(f(x) + scale·alpha)   (x = 0 takes the second branch)
    """

    def forward(self, a, alpha, scale, input_scale):
        xp = backend.module_of(a)
        self.positive = a > 0
        # the exponential only ever sees x <= 0, so it cannot overflow in the branch that is thrown away
        negative = (scale * alpha) * (xp.exp(xp.minimum(a, 0) * input_scale) - 1)
        self.out = xp.where(self.positive, a * scale, negative)
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        return self.out

    def backward(self, grad):
        xp = backend.module_of(grad)
        slope = xp.where(self.positive, self.scale, self.input_scale * (self.out + self.scale * self.alpha))
        return grad * slope.astype(grad.dtype, copy=False)


class Hardtanh(Function):
    """clamp(x, low, high); the gradient passes only strictly inside (low, high) (PyTorch's choice at the bounds,
    which differs from ``clamp``'s)."""

    def forward(self, a, low, high):
        self.inside = (a > low) & (a < high)
        return backend.module_of(a).clip(a, low, high).astype(a.dtype, copy=False)  # integers stay integers

    def backward(self, grad):
        return grad * self.inside


# ---- the functions ------------------------------------------------------------------------------------------------
def binary_step(input: Tensor) -> Tensor:
    """f(x) = 0 for x < 0, 1 for x >= 0 (the notes' binary step; ``torch.heaviside(x, 1)``).

    f'(x) = 0 everywhere it is defined (and undefined at 0): the gradient passed back is zero, which is why a
    network of binary steps cannot be trained by backpropagation.
    """
    return BinaryStep.apply(_floating(input, "binary_step"))


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^-x), the logistic or "soft step";  σ'(x) = σ(x)(1 - σ(x))."""
    return ops.sigmoid(_floating(input, "sigmoid"))


def tanh(input: Tensor) -> Tensor:
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2σ(2x) - 1;  tanh'(x) = 1 - tanh²(x)."""
    return ops.tanh(_floating(input, "tanh"))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """relu(x) = max(0, x);  relu'(x) = 1 if x > 0 else 0 (0 at x = 0, as PyTorch)."""
    _tensor(input, "relu")
    return _in_place(input, ops.relu(input), inplace, "relu")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """f(x) = x if x > 0 else a·x, i.e. max(a·x, x) for a < 1 (a = ``negative_slope``);
    f'(x) = 1 if x > 0 else a (a at x = 0, as PyTorch)."""
    input = _floating(input, "leaky_relu", inplace)
    return _in_place(input, LeakyRelu.apply(input, slope=negative_slope), inplace, "leaky_relu")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Parametric ReLU: f(x_c) = x_c if x_c > 0 else a_c·x_c with a learned slope a_c per channel (dim 1),
    or one slope a shared by every channel when ``weight`` has one element.

    df/dx = 1 if x > 0 else a;  df/da = 0 if x > 0 else x, summed over every position that shares a.
    With a = 0 it is ReLU, with a fixed small a leaky ReLU.
    """
    input = _floating(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' must be a glassbox Tensor, not {type(weight).__name__}")
    slopes = weight.numel()
    if slopes != 1:
        if input.ndim == 0:
            raise ValueError("prelu: a 0-d input has no channel dimension for a weight of "
                             f"{slopes} slopes; use a weight of one element")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if channels != slopes:
            raise ValueError(f"prelu: weight has {slopes} slopes but the input has {channels} channels "
                             f"(dim 1 of shape {tuple(input.shape)}); the two must match, or use one slope")
        weight = weight.reshape((slopes,) + (1,) * (input.ndim - 2))  # (C, 1, ..., 1): broadcast over dims 2+
    elif weight.ndim > input.ndim:
        weight = weight.reshape(())
    return elementwise.where(input.data > 0, input, weight * input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU: f(x) = x if x > 0 else α(e^x - 1);  f'(x) = 1 if x > 0 else α·e^x = f(x) + α (α at x = 0, as PyTorch)."""
    input = _floating(input, "elu", inplace)
    return _in_place(input, Elu.apply(input, alpha=alpha, scale=1.0, input_scale=1.0), inplace, "elu")


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """SELU: f(x) = λ·x if x > 0 else λα(e^x - 1), with λ ≈ 1.0507 and α ≈ 1.6733 chosen so activations keep
    zero mean and unit variance;  f'(x) = λ if x > 0 else f(x) + λα (λα at x = 0, as PyTorch)."""
    input = _floating(input, "selu", inplace)
    return _in_place(input, Elu.apply(input, alpha=SELU_ALPHA, scale=SELU_SCALE, input_scale=1.0), inplace, "selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """CELU: f(x) = max(0, x) + min(0, α(e^(x/α) - 1));  f'(x) = 1 if x > 0 else e^(x/α) (1 at x = 0)."""
    input = _floating(input, "celu", inplace)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (the formula divides by it)")
    result = Elu.apply(input, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)
    return _in_place(input, result, inplace, "celu")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU, also called swish: f(x) = x·σ(x), a self-gated ReLU;  f'(x) = σ(x)(1 + x(1 - σ(x)))."""
    input = _floating(input, "silu", inplace)
    return _in_place(input, input * ops.sigmoid(input), inplace, "silu")


swish = silu


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """f(x) = ln(1 + e^(βx)) / β, a smooth ReLU, and x itself where βx > ``threshold`` (there the two agree to
    float precision);  f'(x) = σ(βx) (1 past the threshold). With β = 1 it is the notes' ln(1 + e^x)."""
    return ops.softplus(_floating(input, "softplus"), beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """f(x) = ln σ(x) = -softplus(-x);  f'(x) = 1 - σ(x)."""
    input = _floating(input, "logsigmoid")
    return -ops.softplus(-input, beta=1.0, threshold=math.inf)


def softsign(input: Tensor) -> Tensor:
    """f(x) = x / (1 + |x|);  f'(x) = 1 / (1 + |x|)²."""
    input = _floating(input, "softsign")
    return input / (input.abs() + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    """f(x) = x - tanh(x);  f'(x) = tanh²(x)."""
    input = _floating(input, "tanhshrink")
    return input - ops.tanh(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """f(x) = clamp(x, min_val, max_val);  f'(x) = 1 strictly between the bounds, else 0 (0 at the bounds)."""
    _tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return _in_place(input, Hardtanh.apply(input, low=min_val, high=max_val), inplace, "hardtanh")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """f(x) = min(max(0, x), 6);  f'(x) = 1 for 0 < x < 6, else 0 (0 at both kinks, as PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """f(x) = relu6(x + 3) / 6, a piecewise-linear σ;  f'(x) = 1/6 for -3 < x < 3, else 0."""
    input = _floating(input, "hardsigmoid", inplace)
    return _in_place(input, Hardtanh.apply(input + 3.0, low=0.0, high=6.0) / 6.0, inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """f(x) = x·relu6(x + 3) / 6, a piecewise swish;  f'(x) = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 for x >= 3."""
    input = _floating(input, "hardswish", inplace)
    return _in_place(input, input * hardsigmoid(input), inplace, "hardswish")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """f(x) = x·tanh(softplus(x));  f'(x) = tanh(sp) + x·σ(x)(1 - tanh²(sp)) with sp = softplus(x)."""
    input = _floating(input, "mish", inplace)
    return _in_place(input, input * ops.tanh(softplus(input)), inplace, "mish")


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_ONE_OVER_SQRT_2 = 1 / math.sqrt(2)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU: f(x) = x·Φ(x), x weighted by the standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2;
    f'(x) = Φ(x) + x·φ(x), with φ(x) = e^(-x²/2)/√(2π) the normal density.

    ``approximate='tanh'``: Φ(x) ≈ (1 + tanh(√(2/π)(x + 0.044715x³))) / 2, differentiated as written.
    """
    input = _floating(input, "gelu")
    if approximate == "none":
        return input * ((erf(input * _ONE_OVER_SQRT_2) + 1.0) * 0.5)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * ((ops.tanh(inner) + 1.0) * 0.5)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _softmax_dim(input: Tensor, dim, name: str) -> int:
    """PyTorch's rule when no ``dim`` is given (dim 0 for 0-, 1- and 3-d inputs, else 1), with its warning."""
    if dim is not None:
        return dim
    dim = 0 if input.ndim in (0, 1, 3) else 1
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated: it chose dim={dim} for an input of "
                  f"shape {tuple(input.shape)}. Pass dim= explicitly.", UserWarning, stacklevel=3)
    return dim


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(x)_i = e^x_i / Σ_j e^x_j along ``dim``: positive, sums to one;  ∂s_i/∂x_j = s_i(δ_ij - s_j).

    Computed as e^(x_i - m) / Σ_j e^(x_j - m) with m = max x, so no exponential overflows.
    """
    _tensor(input, "softmax")
    return ops.softmax(input, _softmax_dim(input, dim, "softmax"), dtype=dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log softmax(x)_i = x_i - log Σ_j e^x_j (stable form: x_i - m - log Σ_j e^(x_j - m));
    ∂/∂x_j = δ_ij - softmax(x)_j."""
    _tensor(input, "log_softmax")
    return ops.log_softmax(input, _softmax_dim(input, dim, "log_softmax"), dtype=dtype)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmin(x) = softmax(-x): the smallest entries get the largest weights;  ∂/∂x_j = -s_i(δ_ij - s_j)."""
    _tensor(input, "softmin")
    dim = _softmax_dim(input, dim, "softmin")
    if dtype is not None:
        input = elementwise.cast(input, dtype)
    return ops.softmax(-input, dim)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """f(x) = x if x > threshold else value;  f'(x) = 1 if x > threshold else 0."""
    _tensor(input, "threshold")
    replacement = Tensor._wrap(backend.module_of(input.data).asarray(value, dtype=input.data.dtype))
    return _in_place(input, elementwise.where(input.data > threshold, input, replacement), inplace, "threshold")


def maxout(input: Tensor, pieces: int, dim: int = 1) -> Tensor:
    """Maxout (Goodfellow et al., 2013): f(x) = max_i x_i over each group of ``pieces`` consecutive features.

    Along ``dim`` the input's C·k features (k = ``pieces``) form C groups, features [c·k, (c+1)·k) in group c;
    the output has C features there. ∂f/∂x_i = 1 for the largest x_i of its group, 0 for the others (shared
    equally on a tie, as ``torch.amax``). The Maxout layer (``nn.Maxout``) puts k linear maps in front of it.
    """
    _tensor(input, "maxout")
    if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 1:
        raise ValueError(f"maxout: pieces must be a positive int, got {pieces!r}")
    if input.ndim == 0:
        raise ValueError("maxout: needs an input with at least one dimension, got a 0-d tensor")
    (axis,) = normalize_dims(dim, input.ndim, "maxout")
    features = input.shape[axis]
    if features % pieces:
        raise ValueError(f"maxout: dim {dim} of shape {tuple(input.shape)} has {features} features, not a multiple "
                         f"of pieces={pieces}")
    grouped = input.unflatten(axis, (features // pieces, pieces))  # (..., C, k, ...)
    return grouped.amax(axis + 1)  # (..., C, ...)
