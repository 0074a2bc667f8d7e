"""Factories: tensors from data, constants, ranges and random draws.

Every random draw comes from ``glassbox.random``'s generator, so
``gb.manual_seed(n)`` makes a whole program repeat exactly.
"""

from __future__ import annotations

import numpy

from glassbox import backend, dtypes
from glassbox import random as gb_random
from glassbox.tensor import Tensor


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, int | numpy.integer) or n < 0:
            raise ValueError(f"sizes must be non-negative integers, got {size}")
    return tuple(int(n) for n in size)


def _finish(array, dtype, device, requires_grad) -> Tensor:
    device = backend.normalize_device(device)
    if device != "cpu":
        array = backend.to_device(array, device)
    out = Tensor._wrap(array)
    if requires_grad:
        out.requires_grad_(True)
    return out


def tensor(data, dtype=None, requires_grad: bool = False, device="cpu") -> Tensor:
    """A new tensor holding a copy of ``data`` (floats default to float32, ints to int64)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, numpy.ndarray):
        data = data.copy()
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array when no conversion is needed."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if dtype is not None or device is not None else data
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array: numpy.ndarray) -> Tensor:
    return Tensor._wrap(array)


def zeros(*size, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    return _finish(numpy.zeros(_size(size), dtype=dtype), dtype, device, requires_grad)


def ones(*size, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    return _finish(numpy.ones(_size(size), dtype=dtype), dtype, device, requires_grad)


def empty(*size, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.scalar_dtype(fill_value)
    return _finish(numpy.full(_size((size,)), fill_value, dtype=dtype), dtype, device, requires_grad)


def _like(t: Tensor, dtype, device):
    return t.shape, dtypes.as_dtype(dtype) or t.dtype, device or t.device


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, device = _like(t, dtype, device)
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, device = _like(t, dtype, device)
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, device = _like(t, dtype, device)
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    """[start, end) in steps of ``step``; int64 when all three are integers, else the default float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        integral = all(isinstance(v, int | numpy.integer) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.default_float
    dtype = dtypes.as_dtype(dtype)
    array = numpy.arange(start, end, step, dtype=numpy.float64 if dtype.kind == "f" else None).astype(dtype)
    return _finish(array, dtype, device, requires_grad)


def linspace(start, end, steps: int, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    return _finish(numpy.linspace(start, end, steps).astype(dtype), dtype, device, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    return _finish(numpy.eye(n, m, dtype=dtype), dtype, device, requires_grad)


# ---- random draws -----------------------------------------------------------------------------------------
def _float_dtype(dtype):
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    if dtype.kind != "f":
        raise TypeError(f"this random draw needs a floating point dtype, got {dtype}")
    return dtype


def _draw(device, draw):
    device = backend.normalize_device(device)
    return draw(gb_random.generator(device)), device


def rand(*size, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _float_dtype(dtype)
    shape = _size(size)
    draw = lambda g: g.random(shape, dtype=dtype if dtype in (dtypes.float32, dtypes.float64) else None)
    array, device = _draw(device, draw)
    return _finish_random(array, dtype, requires_grad)


def randn(*size, dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    """Standard normal: mean 0, standard deviation 1."""
    dtype = _float_dtype(dtype)
    shape = _size(size)
    draw = lambda g: g.standard_normal(shape, dtype=dtype if dtype in (dtypes.float32, dtypes.float64) else None)
    array, device = _draw(device, draw)
    return _finish_random(array, dtype, requires_grad)


def randint(low, high=None, size=(), dtype=None, device="cpu", requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high) (``randint(high, size)`` means low = 0), int64 by default."""
    if isinstance(high, tuple | list):  # randint(high, size)
        high, size = None, high
    if high is None:
        low, high = 0, low
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    array, device = _draw(device, lambda g: g.integers(low, high, size=tuple(size)))
    return _finish_random(array, dtype, requires_grad)


def randperm(n: int, dtype=None, device="cpu") -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    array, device = _draw(device, lambda g: g.permutation(n))
    return _finish_random(array, dtype, False)


def normal(mean: float = 0.0, std: float = 1.0, size=(), dtype=None, device="cpu") -> Tensor:
    return randn(tuple(size), dtype=dtype, device=device) * std + mean


def bernoulli(probabilities: Tensor) -> Tensor:
    """1 with probability p, else 0, elementwise (same dtype as ``probabilities``)."""
    draws = gb_random.generator(probabilities.device).random(probabilities.shape)
    return Tensor._wrap((draws < probabilities.data).astype(probabilities.dtype))


def rand_like(t: Tensor, dtype=None, device=None) -> Tensor:
    shape, dtype, device = _like(t, dtype, device)
    return rand(shape, dtype=dtype, device=device)


def randn_like(t: Tensor, dtype=None, device=None) -> Tensor:
    shape, dtype, device = _like(t, dtype, device)
    return randn(shape, dtype=dtype, device=device)


def randint_like(t: Tensor, low, high=None, dtype=None, device=None) -> Tensor:
    shape, dtype, device = _like(t, dtype, device)
    return randint(low, high, shape, dtype=dtype, device=device)


def _finish_random(array, dtype, requires_grad) -> Tensor:
    if array.dtype != dtype:
        array = array.astype(dtype)
    out = Tensor._wrap(array)
    if requires_grad:
        out.requires_grad_(True)
    return out

