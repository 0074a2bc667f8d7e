"""Weight initialisation, as ``torch.nn.init``: same names, signatures, gain table and formulas.

The notes ask three things of initial weights: small, not all the same, and
with a good variance. Each scheme picks the variance that keeps the signal's
scale roughly constant from layer to layer, from the layer's fan-in (inputs
per unit) and fan-out (outputs per unit):

    ① uniform          w ~ U[-1/√fan_in, 1/√fan_in]              (fan_in_uniform_; Linear's default)
    ② Xavier / Glorot  w ~ N(0, σ²),  σ = gain·√(2 / (fan_in + fan_out))
                       w ~ U[-a, a],  a = gain·√(6 / (fan_in + fan_out))   (= √3·σ)
    ④ He / Kaiming     w ~ N(0, σ²),  σ = gain / √fan
                       w ~ U[-a, a],  a = gain·√(3 / fan)          (gain √2 for ReLU: the notes' √(6/fan_in))

A uniform on [-a, a] has variance a²/3, which is why every uniform bound is
√3 times the matching standard deviation. Every draw comes from
``glassbox.random``, so ``gb.manual_seed(n)`` repeats an initialisation exactly.
Each function fills the tensor in place (without recording a graph) and returns it.
"""

from __future__ import annotations

import math
import warnings

from glassbox import backend
from glassbox import random as gb_random
from glassbox.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_",
    "orthogonal_", "sparse_", "fan_in_uniform_", "lecun_uniform_", "lecun_normal_",
]


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which a nonlinearity shrinks the standard deviation, PyTorch's table:

    linear, conv*, sigmoid: 1     tanh: 5/3     relu: √2     selu: 3/4
    leaky_relu: √(2 / (1 + negative_slope²))   (negative_slope = ``param``, 0.01 by default)
    """
    linear_family = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                     "conv_transpose3d"]
    if nonlinearity in linear_family or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int | float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = in_features · receptive field, fan_out = out_features · receptive field.

    A weight is laid out (out, in, *kernel) for Linear and convolutions, so a 3×3
    conv kernel from 16 to 32 channels has fan_in = 16·9 and fan_out = 32·9.
    """
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = math.prod(tensor.shape[2:]) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ---- writing draws into a tensor ----------------------------------------------------------------------------
def _generator(tensor: Tensor, generator):
    return generator if generator is not None else gb_random.generator(tensor.device)


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into the tensor's memory, cast to its dtype: an initialisation is never recorded."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init expects a glassbox Tensor or Parameter, got {type(tensor).__name__}")
    tensor.data[...] = values
    return tensor


def _uniform(tensor: Tensor, low: float, high: float, generator) -> Tensor:
    # random() in [0, 1) rather than uniform(): both NumPy's and CuPy's generators have it
    draws = _generator(tensor, generator).random(tensor.shape)
    return _fill(tensor, low + (high - low) * draws)


def _normal(tensor: Tensor, mean: float, std: float, generator) -> Tensor:
    return _fill(tensor, mean + std * _generator(tensor, generator).standard_normal(tensor.shape))


def _skip_empty(tensor: Tensor) -> bool:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


# ---- plain distributions and constants ----------------------------------------------------------------------
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """w ~ U[a, b]."""
    return _uniform(tensor, a, b, generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """w ~ N(mean, std²)."""
    return _normal(tensor, mean, std, generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (for a 2-D tensor): a linear layer that starts as the identity map."""
    if tensor.dim() != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, backend.module_of(tensor.data).eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """A conv kernel (3-, 4- or 5-D) that passes each input channel through unchanged (the Dirac delta)."""
    dimensions = tensor.dim()
    if dimensions not in (3, 4, 5):
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported, got shape {tuple(tensor.shape)}")
    if tensor.shape[0] % groups != 0:
        raise ValueError(f"dim 0 ({tensor.shape[0]}) must be divisible by groups ({groups})")
    out_per_group = tensor.shape[0] // groups
    channels = min(out_per_group, tensor.shape[1])
    values = backend.module_of(tensor.data).zeros(tensor.shape, dtype=tensor.dtype)
    centre = tuple(size // 2 for size in tensor.shape[2:])
    for group in range(groups):
        for channel in range(channels):
            values[(group * out_per_group + channel, channel) + centre] = 1
    return _fill(tensor, values)


# ---- Xavier / Glorot ----------------------------------------------------------------------------------------
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """w ~ U[-a, a] with a = gain·√(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010): good for sigmoid/tanh."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """w ~ N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal(tensor, 0.0, std, generator)


# ---- He / Kaiming -------------------------------------------------------------------------------------------
def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """w ~ U[-bound, bound], bound = gain·√(3 / fan) (He et al., 2015), gain from ``calculate_gain``.

    ``a`` is the negative slope of the leaky ReLU that follows; ``mode`` "fan_in" keeps
    the forward signal's variance, "fan_out" the backward gradient's. With a = √5 and
    mode fan_in (Linear and Conv's default) the bound is exactly 1/√fan_in.
    """
    if _skip_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """w ~ N(0, σ²), σ = gain / √fan (He et al., 2015): √(2 / fan_in) for ReLU, as in the notes."""
    if _skip_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _normal(tensor, 0.0, std, generator)


# ---- the notes' uniform scheme and LeCun's ------------------------------------------------------------------
def fan_in_uniform_(tensor: Tensor, generator=None) -> Tensor:
    """The notes' first scheme: w ~ U[-1/√fan_in, 1/√fan_in] (variance 1 / (3·fan_in)).

    It is what PyTorch's Linear and Conv layers use by default (kaiming_uniform_ with
    a = √5 gives the same bound), and what their biases use.
    """
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return _uniform(tensor, -bound, bound, generator)


def lecun_uniform_(tensor: Tensor, generator=None) -> Tensor:
    """LeCun uniform: w ~ U[-√(3 / fan_in), √(3 / fan_in)], variance 1 / fan_in (for SELU networks)."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0 / fan_in)
    return _uniform(tensor, -bound, bound, generator)


def lecun_normal_(tensor: Tensor, generator=None) -> Tensor:
    """LeCun normal: w ~ N(0, 1 / fan_in) (untruncated)."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    return _normal(tensor, 0.0, 1.0 / math.sqrt(fan_in), generator)


# ---- truncated normal, orthogonal, sparse -------------------------------------------------------------------
def _standard_normal_mass(low: float, high: float) -> float:
    """P(low ≤ Z ≤ high) for Z ~ N(0, 1), through erfc in the tails so that small masses keep their digits."""
    if low > 0:
        return (math.erfc(low / math.sqrt(2.0)) - math.erfc(high / math.sqrt(2.0))) / 2.0
    if high < 0:
        return _standard_normal_mass(-high, -low)
    return (math.erf(high / math.sqrt(2.0)) - math.erf(low / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """w ~ N(mean, std²) restricted to [a, b] (an exact draw: rejection sampling).

    Draws from the normal and keeps those inside [a, b]; when [a, b] holds little of
    the normal's mass (an interval in the tail), draws uniformly on [a, b] and keeps
    each with probability density(x) / (largest density on [a, b]) instead.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: the interval [a, b] is empty (a={a}, b={b})")
    xp = backend.module_of(tensor.data)
    rng = _generator(tensor, generator)
    low, high = (a - mean) / std, (b - mean) / std  # the interval in standard units
    mass = _standard_normal_mass(low, high)
    nearest = min(max(0.0, low), high)  # the point of [low, high] closest to the mode
    largest_density = math.exp(-nearest**2 / 2) / math.sqrt(2 * math.pi)
    uniform_acceptance = mass / ((high - low) * largest_density) if largest_density > 0 else 0.0
    use_uniform = uniform_acceptance > mass
    acceptance = max(mass, uniform_acceptance)
    if acceptance < 1e-6:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds almost none of N({mean}, {std}²); "
                         f"choose bounds nearer the mean")
    wanted = tensor.numel()
    kept = []
    while wanted > 0:
        count = int(wanted / acceptance * 1.2) + 16
        if use_uniform:
            draws = low + (high - low) * rng.random(count)
            draws = draws[rng.random(count) < xp.exp((nearest**2 - draws**2) / 2)]
        else:
            draws = rng.standard_normal(count)
            draws = draws[(draws >= low) & (draws <= high)]
        kept.append(draws[:wanted])
        wanted -= kept[-1].size
    standard = xp.concatenate(kept).reshape(tensor.shape)
    return _fill(tensor, xp.clip(mean + std * standard, a, b))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013): QR of a normal draw, signs fixed.

    Rows = size(0), columns = the rest flattened; the sign correction Q·sign(diag R)
    makes Q uniformly distributed over orthogonal matrices.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    xp = backend.module_of(tensor.data)
    rows = tensor.shape[0]
    columns = tensor.numel() // rows
    flattened = _generator(tensor, generator).standard_normal((rows, columns))
    if rows < columns:
        flattened = flattened.T
    q, r = xp.linalg.qr(flattened)
    q = q * xp.sign(xp.diag(r))
    if rows < columns:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """A 2-D matrix with a fraction ``sparsity`` of each column zero, the rest N(0, std²) (Martens, 2010)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, columns = tensor.shape
    zeros_per_column = int(math.ceil(sparsity * rows))
    rng = _generator(tensor, generator)
    values = std * rng.standard_normal((rows, columns))
    for column in range(columns):
        values[rng.permutation(rows)[:zeros_per_column], column] = 0
    return _fill(tensor, values)
