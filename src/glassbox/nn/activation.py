"""Activation functions as modules, as ``torch.nn`` has them, and a registry that builds them from a name.

Each module stores its options and calls its function in ``activation_functions``, where the formula and its
derivative are written out. Constructor arguments, defaults and printed forms are PyTorch's
(``LeakyReLU(negative_slope=0.01)``); PReLU's learned slopes are its state_dict entry ``"weight"``.

    get_activation("leaky_relu")   # -> LeakyReLU (the class); also "LeakyReLU", "leaky-relu"
"""

from __future__ import annotations

import difflib

from glassbox import dtypes
from glassbox.creation import full
from glassbox.nn import activation_functions as F
from glassbox.nn.linear import Identity
from glassbox.nn.module import Module
from glassbox.nn.parameter import Parameter


def _inplace_suffix(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class BinaryStep(Module):
    """f(x) = 0 for x < 0, 1 for x >= 0; its gradient is zero everywhere (see ``binary_step``)."""

    def forward(self, input):
        return F.binary_step(input)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^-x);  σ'(x) = σ(x)(1 - σ(x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x);  tanh'(x) = 1 - tanh²(x)."""

    def forward(self, input):
        return F.tanh(input)


class ReLU(Module):
    """max(0, x);  derivative 1 for x > 0, else 0."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x (the notes' max(0.01x, x));  derivative 1 for x > 0, else negative_slope."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_suffix(self.inplace)}"


class PReLU(Module):
    """Parametric ReLU: x if x > 0 else a·x, with the slope a learned: one shared by all channels
    (``num_parameters=1``) or one per channel of dim 1. ``weight`` has shape (num_parameters,), starts at ``init``.

    df/dx = 1 if x > 0 else a;  df/da = 0 if x > 0 else x.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {num_parameters!r}")
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype or dtypes.default_float,
                                     device=device or "cpu"))

    def reset_parameters(self) -> None:
        self.weight.data[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else α(e^x - 1);  derivative 1 for x > 0, else f(x) + α."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class CELU(ELU):
    """max(0, x) + min(0, α(e^(x/α) - 1));  derivative 1 for x > 0, else e^(x/α)."""

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class SELU(Module):
    """λ·x if x > 0 else λα(e^x - 1), λ ≈ 1.0507, α ≈ 1.6733;  derivative λ for x > 0, else f(x) + λα."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SiLU(SELU):
    """Swish: x·σ(x);  derivative σ(x)(1 + x(1 - σ(x)))."""

    def forward(self, input):
        return F.silu(input, self.inplace)


Swish = SiLU


class Mish(SELU):
    """x·tanh(softplus(x));  derivative tanh(sp) + x·σ(x)(1 - tanh²(sp)), sp = softplus(x)."""

    def forward(self, input):
        return F.mish(input, self.inplace)


class GELU(Module):
    """x·Φ(x) with Φ the standard normal CDF, exactly (erf) or with ``approximate='tanh'``;
    derivative Φ(x) + x·φ(x)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """ln(1 + e^(βx)) / β, and x where βx > threshold;  derivative σ(βx)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    """ln σ(x);  derivative 1 - σ(x)."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|);  derivative 1 / (1 + |x|)²."""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x);  derivative tanh²(x)."""

    def forward(self, input):
        return F.tanhshrink(input)


class Hardtanh(Module):
    """clamp(x, min_val, max_val);  derivative 1 strictly between the bounds, else 0."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None):
        super().__init__()
        # min_value / max_value: PyTorch's old spellings, still accepted there
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise ValueError(f"Hardtanh: max_val ({self.max_val}) must be greater than min_val ({self.min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_suffix(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(0, x), 6);  derivative 1 for 0 < x < 6, else 0."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(Module):
    """relu6(x + 3) / 6;  derivative 1/6 for -3 < x < 3, else 0. (PyTorch prints no ``inplace`` for it.)"""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Hardsigmoid):
    """x·relu6(x + 3) / 6;  derivative 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 for x >= 3."""

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class Threshold(Module):
    """x if x > threshold else value;  derivative 1 if x > threshold, else 0."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class Softmax(Module):
    """e^x_i / Σ_j e^x_j along ``dim``;  ∂s_i/∂x_j = s_i(δ_ij - s_j)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """x_i - log Σ_j e^x_j along ``dim``;  ∂/∂x_j = δ_ij - softmax(x)_j."""

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmin(Softmax):
    """softmax(-x) along ``dim``."""

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)


# ---- registry: names used by configurations, the Trainer and the command line ---------------------------------
ACTIVATIONS: dict[str, type[Module]] = {
    "identity": Identity, "linear": Identity, "binary_step": BinaryStep,
    "sigmoid": Sigmoid, "logistic": Sigmoid, "tanh": Tanh,
    "relu": ReLU, "relu6": ReLU6, "leaky_relu": LeakyReLU, "prelu": PReLU,
    "elu": ELU, "selu": SELU, "celu": CELU, "silu": SiLU, "swish": SiLU, "gelu": GELU, "mish": Mish,
    "softplus": Softplus, "softsign": Softsign, "log_sigmoid": LogSigmoid, "tanhshrink": Tanhshrink,
    "hardtanh": Hardtanh, "hardsigmoid": Hardsigmoid, "hardswish": Hardswish, "threshold": Threshold,
    "softmax": Softmax, "log_softmax": LogSoftmax, "softmin": Softmin,
}


def _normalized(name: str) -> str:
    """"LeakyReLU", "leaky_relu", "Leaky-ReLU" and "leaky relu" all become "leakyrelu"."""
    return "".join(character for character in name.lower() if character not in "_- ")


_BY_NORMALIZED_NAME = {_normalized(name): cls for name, cls in ACTIVATIONS.items()}


def get_activation(name: str) -> type[Module]:
    """The activation module class called ``name`` (case, "_", "-" and spaces ignored): ``get_activation("relu")()``.

    Raises ValueError naming every known activation when ``name`` is not one of them.
    """
    if not isinstance(name, str):
        raise TypeError(f"get_activation: expected the name of an activation (a str), got {type(name).__name__}")
    found = _BY_NORMALIZED_NAME.get(_normalized(name))
    if found is None:
        close = difflib.get_close_matches(name.lower(), list(ACTIVATIONS), n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"get_activation: unknown activation {name!r}.{hint} Known names: {', '.join(ACTIVATIONS)}")
    return found
