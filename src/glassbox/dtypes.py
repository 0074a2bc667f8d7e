"""Data types and PyTorch's type-promotion rules.

glassbox's dtypes are NumPy dtypes (``gb.float32 is numpy.dtype("float32")``),
so arrays never need translating. What differs from NumPy is promotion, which
follows PyTorch:

- a Python number never widens a tensor of its own kind: ``float32 + 2.5`` stays
  float32; a float number meeting an integer tensor gives the default float type;
- a 0-dimensional tensor behaves like a number against a dimensioned tensor of
  the same kind;
- an integer tensor meeting a float tensor takes the float tensor's type
  (NumPy would widen int64 + float32 to float64).
"""

from __future__ import annotations

import builtins

import numpy

float16 = half = numpy.dtype("float16")
float32 = float = numpy.dtype("float32")
float64 = double = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = short = numpy.dtype("int16")
int32 = int = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool = numpy.dtype("bool")  # noqa: A001  (PyTorch's name)

default_float = float32

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def kind_rank(dtype: numpy.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floats."""
    return _KIND_RANK[dtype.kind]


def is_floating_point(dtype: numpy.dtype) -> bool:
    return dtype.kind == "f"


def as_dtype(dtype) -> numpy.dtype | None:
    """Accept a glassbox/NumPy dtype, a name ('float32'), a Python type, or a torch dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, numpy.dtype):
        return dtype
    if dtype is builtins.float:
        return default_float
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool
    if isinstance(dtype, type) and issubclass(dtype, numpy.generic):  # numpy.int64 and friends
        return numpy.dtype(dtype)
    name = str(dtype).replace("torch.", "")
    try:
        return numpy.dtype(name)
    except TypeError as error:
        raise TypeError(f"unknown dtype {dtype!r}: expected e.g. gb.float32, gb.float64, gb.int64, gb.bool") from error


def scalar_dtype(value) -> numpy.dtype:
    """The dtype a Python number gets on its own: bool, int64 or the default float."""
    if isinstance(value, builtins.bool | numpy.bool_):
        return bool
    if isinstance(value, builtins.int | numpy.integer):
        return int64
    return default_float


_promotion_cache: dict = {}


def promote(a: numpy.dtype, b: numpy.dtype) -> numpy.dtype:
    """Result dtype of two dimensioned tensors (PyTorch's rule, not NumPy's)."""
    key = (a, b)
    result = _promotion_cache.get(key)
    if result is None:
        rank_a, rank_b = kind_rank(a), kind_rank(b)
        if rank_a == rank_b:
            result = numpy.promote_types(a, b)
        else:
            result = a if rank_a > rank_b else b
        _promotion_cache[key] = result
    return result


def promote_with_scalar(tensor_dtype: numpy.dtype, value) -> numpy.dtype:
    """Result dtype of a tensor and a Python number (the number is 'weak')."""
    value_dtype = scalar_dtype(value)
    if kind_rank(value_dtype) <= kind_rank(tensor_dtype):
        return tensor_dtype
    return default_float if value_dtype.kind == "f" else value_dtype


def promote_weak(dimensioned: numpy.dtype, zero_dim: numpy.dtype) -> numpy.dtype:
    """Result dtype of a dimensioned tensor and a 0-dim tensor: the 0-dim one only counts across kinds."""
    if kind_rank(zero_dim) <= kind_rank(dimensioned):
        return dimensioned
    return zero_dim
