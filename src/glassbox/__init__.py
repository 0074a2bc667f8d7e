"""glassbox: deep learning from first principles on NumPy.

    import glassbox as gb
    x = gb.randn(3, 4, requires_grad=True)
    (x @ x.T).sum().backward()
    x.grad
"""

from glassbox import allocator, dtypes
from glassbox.autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassbox.backend import cuda_is_available
from glassbox.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from glassbox.dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    uint8,
)
from glassbox.ops import (
    abs,
    add,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    bmm,
    cat,
    ceil,
    chunk,
    clamp,
    concatenate,
    cos,
    div,
    eq,
    exp,
    expand,
    flatten,
    flip,
    floor,
    gather,
    ge,
    gt,
    index_select,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    ne,
    neg,
    norm,
    one_hot,
    pad,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    repeat,
    reshape,
    round,
    rsqrt,
    scatter_add,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    t,
    tanh,
    transpose,
    unbind,
    unsqueeze,
    var,
    where,
)
from glassbox.random import get_rng_state, initial_seed, manual_seed, set_rng_state
from glassbox.serialization import load, save
from glassbox.tensor import Tensor

__version__ = "0.1.0"

clip = clamp
is_tensor = lambda obj: isinstance(obj, Tensor)  # noqa: E731


def get_default_dtype():
    return dtypes.default_float


class cuda:  # noqa: N801  (mirrors torch.cuda)
    is_available = staticmethod(cuda_is_available)


_SUBPACKAGES = ("nn", "optim", "data", "train", "models", "text", "compile", "monitor", "onnx")


def __getattr__(name):
    """``gb.nn``, ``gb.optim`` … load on first use, so ``import glassbox`` stays as light as NumPy."""
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"glassbox.{name}")
    raise AttributeError(f"module 'glassbox' has no attribute {name!r}")

allocator.apply_default()  # keep freed array memory for the next step (see glassbox/allocator.py)
