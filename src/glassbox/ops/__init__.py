"""The primitive operations, and the Tensor methods and operators built on them.

Each family lives in its own file (elementwise, reduce, movement, matmul,
indexing, softmax). This module gives ``Tensor`` its PyTorch-style methods and
operators, all in one table below, so that ``x.sum(1)`` and ``gb.sum(x, 1)``
are the same function.
"""

from __future__ import annotations

import builtins as _builtins

from glassbox import backend, dtypes
from glassbox.tensor import Tensor

from . import comparison, elementwise, indexing, movement, reduce, unary
from .comparison import (
    ceil,
    eq,
    floor,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    round,
)
from .elementwise import (
    add,
    cast,
    div,
    maximum,
    minimum,
    mul,
    pow,
    sub,
    where,
)
from .indexing import gather, getitem, index_select, masked_fill, one_hot, scatter_add, setitem
from .matmul import bmm, matmul, mm
from .movement import (
    broadcast_to,
    cat,
    chunk,
    concatenate,
    contiguous,
    expand,
    expand_as,
    flatten,
    flip,
    pad,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    view,
)
from .reduce import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from .softmax import log_softmax, softmax
from .unary import (
    abs,
    clamp,
    cos,
    exp,
    log,
    log1p,
    neg,
    reciprocal,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softplus,
    sqrt,
    square,
    tanh,
)


def _reflected(function):
    return lambda self, other: function(other, self)


def _inplace(function, name):
    """``x.add_(y)`` style: write the result into ``x``'s memory when no graph is being recorded for it."""

    def method(self, *args, **kwargs):
        from glassbox.autograd import is_grad_enabled

        if is_grad_enabled() and (self.requires_grad or _any_requires_grad(args)):
            self._check_inplace(name)
        result = function(self, *args, **kwargs)
        _write_into(self, result.data)
        return self

    method.__name__ = name
    return method


def _augmented(function, name):
    """``x += y``: in place like PyTorch, except inside a recorded graph, where it rebinds ``x``."""

    def method(self, other):
        from glassbox.autograd import is_grad_enabled

        recording = is_grad_enabled() and (self.requires_grad or _any_requires_grad((other,)))
        if recording:
            if self.requires_grad and self._ctx is None:
                self._check_inplace(name)
            return function(self, other)
        _write_into(self, function(self, other).data)
        return self

    method.__name__ = name
    return method


def _any_requires_grad(args) -> bool:
    return _builtins.any(isinstance(a, Tensor) and a.requires_grad for a in args)


def _write_into(target: Tensor, values) -> None:
    if values.dtype != target.data.dtype and not (values.dtype.kind == target.data.dtype.kind or
                                                  target.data.dtype.kind == "f"):
        raise RuntimeError(f"in-place result of type {values.dtype} can't be cast to the tensor's {target.dtype}")
    target.data[...] = values


def _zero_(self):
    self._check_inplace("zero_")
    self.data[...] = 0
    return self


def _fill_(self, value):
    self._check_inplace("fill_")
    self.data[...] = value.item() if isinstance(value, Tensor) else value
    return self


def _copy_(self, source):
    self._check_inplace("copy_")
    data = source.data if isinstance(source, Tensor) else source
    self.data[...] = backend.to_device(backend.module_of(self.data).asarray(data) if
                                       not hasattr(data, "shape") else data, self.device)
    return self


def _uniform_(self, a=0.0, b=1.0):
    from glassbox import random as gb_random

    self._check_inplace("uniform_")
    self.data[...] = gb_random.generator(self.device).uniform(a, b, self.shape)
    return self


def _normal_(self, mean=0.0, std=1.0):
    from glassbox import random as gb_random

    self._check_inplace("normal_")
    self.data[...] = gb_random.generator(self.device).normal(mean, std, self.shape)
    return self


def _type(self, dtype=None):
    if dtype is None:
        return f"glassbox.{self.dtype}"
    return cast(self, dtype)


_METHODS = {
    # arithmetic
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "abs": abs, "exp": exp,
    "log": log, "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "square": square, "reciprocal": reciprocal,
    "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "clamp": clamp, "clip": clamp,
    "maximum": maximum, "minimum": minimum, "sign": sign, "floor": floor, "ceil": ceil, "round": round,
    "softplus": softplus, "matmul": matmul, "mm": mm, "bmm": bmm,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "logical_and": logical_and, "logical_or": logical_or, "logical_not": logical_not,
    "logical_xor": logical_xor, "isnan": isnan, "isinf": isinf, "isfinite": isfinite,
    "masked_fill": masked_fill, "where": lambda self, condition, other: where(condition, self, other),
    # reductions
    "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax,
    "argmin": argmin, "var": var, "std": std, "logsumexp": logsumexp, "prod": prod, "norm": norm,
    "all": all, "any": any, "softmax": softmax, "log_softmax": log_softmax,
    # movement
    "reshape": reshape, "view": view, "flatten": flatten, "unflatten": unflatten, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "permute": permute, "transpose": transpose, "t": t, "expand": expand,
    "expand_as": expand_as, "repeat": repeat, "split": split, "chunk": chunk, "unbind": unbind,
    "flip": flip, "contiguous": contiguous, "broadcast_to": broadcast_to,
    "view_as": lambda self, other: reshape(self, other.shape),
    "reshape_as": lambda self, other: reshape(self, other.shape),
    # indexing
    "gather": gather, "scatter_add": scatter_add, "index_select": index_select,
    "__getitem__": getitem, "__setitem__": setitem,
    # dtype conversions
    "type": _type, "float": lambda self: cast(self, dtypes.float32), "double": lambda self: cast(self, dtypes.float64),
    "half": lambda self: cast(self, dtypes.float16), "long": lambda self: cast(self, dtypes.int64),
    "int": lambda self: cast(self, dtypes.int32), "bool": lambda self: cast(self, dtypes.bool),
    "type_as": lambda self, other: cast(self, other.dtype),
    # operators
    "__add__": add, "__radd__": _reflected(add), "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul), "__truediv__": div, "__rtruediv__": _reflected(div),
    "__pow__": pow, "__rpow__": _reflected(pow), "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__neg__": neg, "__abs__": abs, "__pos__": lambda self: self,
    "__floordiv__": lambda self, other: div(self, other, rounding_mode="floor"),
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": logical_and, "__or__": logical_or, "__xor__": logical_xor, "__invert__": logical_not,
    "__iadd__": _augmented(add, "__iadd__"), "__isub__": _augmented(sub, "__isub__"),
    "__imul__": _augmented(mul, "__imul__"), "__itruediv__": _augmented(div, "__itruediv__"),
    # in place
    "add_": _inplace(add, "add_"), "sub_": _inplace(sub, "sub_"), "mul_": _inplace(mul, "mul_"),
    "div_": _inplace(div, "div_"), "clamp_": _inplace(clamp, "clamp_"), "pow_": _inplace(pow, "pow_"),
    "masked_fill_": _inplace(masked_fill, "masked_fill_"),
    "zero_": _zero_, "fill_": _fill_, "copy_": _copy_, "uniform_": _uniform_, "normal_": _normal_,
}

for _name, _function in _METHODS.items():
    setattr(Tensor, _name, _function)

Tensor.T = property(lambda self: permute(self, tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
