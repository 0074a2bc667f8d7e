"""Reductions over any set of dimensions.

    d(sum x)/dx_i = 1            d(mean x)/dx_i = 1/n
    d(max x)/dx_i = [x_i = max] / (number of maxima)     (ties share, as PyTorch's amax)

``var``, ``std``, ``logsumexp`` and ``max(dim)`` are composed from these.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy

from glassbox import backend, dtypes
from glassbox.autograd import Function
from glassbox.tensor import Tensor

from . import elementwise as ew
from . import unary
from .layout import memory_order

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def normalize_dims(dim, ndim: int, op: str) -> tuple | None:
    """``dim`` (None, an int, or a sequence) as a sorted tuple of non-negative axes; None means all."""
    if dim is None:
        return None
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, checked cheaply
        return (dim % ndim,)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    rank = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(
                f"{op}: dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {d})"
            )
        out.append(d % rank)
    if ndim == 0:
        return None
    return tuple(sorted(set(out)))


FAST_SUM_MIN_SIZE = 4096  # below this many elements NumPy's own sum is as fast as anything else
SUM_BLOCK = 1024  # run length summed in one row product before the block sums are added pairwise


def sum_array(a, axes, keepdims: bool = False):
    """``a.sum(axis=axes, keepdims=keepdims)``, faster for the common case of a contiguous float array on the
    CPU summed over its trailing axes (a row sum, a mean over the last dims, a full sum), and for a whole sum
    of a transposed or permuted one (read in memory order).

    NumPy's ``sum`` adds with a pairwise scheme one element at a time. A product with a vector of ones,
    ``rows @ 1``, is the same sum done by BLAS with vector instructions: three to four times faster here,
    but its error grows with the run length. So each row is cut into blocks of SUM_BLOCK values, the
    blocks are summed by the product, and the block sums are added pairwise: a cascade whose error stays
    of the order of NumPy's own.
    """
    if type(a) is not numpy.ndarray:
        return a.sum(axis=axes, keepdims=keepdims)
    if a.size < FAST_SUM_MIN_SIZE or a.dtype.char not in "fd":
        return numpy.add.reduce(a, axis=axes, keepdims=keepdims)  # a.sum without its Python wrapper
    ndim = a.ndim
    if not a.flags.c_contiguous:
        ordered = _in_memory_order(a) if axes is None or len(axes) == ndim else None
        if ordered is None:
            return a.sum(axis=axes, keepdims=keepdims)
        total = sum_array(ordered, None)  # a sum of everything: any order of the axes gives it
        return total.reshape((1,) * ndim) if keepdims else total
    first = 0 if axes is None else ndim - len(axes)
    if axes is not None and axes != tuple(range(first, ndim)):
        return a.sum(axis=axes, keepdims=keepdims)
    if first == 0:
        total = _total(a)
        return total.reshape((1,) * ndim) if keepdims else total
    outer = a.shape[:first]
    rows = math.prod(outer)
    sums = _row_sums(a.reshape(rows, a.size // rows))  # (rows,)
    return sums.reshape(outer + (1,) * (ndim - first) if keepdims else outer)


def _in_memory_order(a):
    """``a`` with its axes permuted into memory order, when that makes it C-contiguous (a transposed or permuted
    contiguous array: the same numbers, read front to back); None otherwise."""
    ordered = a.transpose(memory_order(a))
    return ordered if ordered.flags.c_contiguous else None


_ONES: dict = {}


def _ones(length: int, dtype):
    """A read-only vector of ``length`` ones (length <= 4·SUM_BLOCK), sliced from one kept per dtype."""
    ones = _ONES.get(dtype)
    if ones is None:
        ones = numpy.ones(4 * SUM_BLOCK, dtype=dtype)
        ones.flags.writeable = False
        _ONES[dtype] = ones
    return ones[:length]


@numpy.errstate(invalid="ignore", over="ignore")
def _total(a):
    """The sum of all of a contiguous array, as a 0-d array: the row sums of its trailing axes (those whose
    size fits in four blocks), added pairwise. One product and no remainder, where a single long row would
    need a product of whole blocks and another for the rest."""
    length = 1
    for n in reversed(a.shape):
        if length * n > 4 * SUM_BLOCK:
            break
        length *= n
    if length < SUM_BLOCK // 4:  # rows too short for the product to pay: one long row cut into blocks
        length = a.size
    sums = _row_sums(a.reshape(a.size // length, length))
    return numpy.add.reduce(sums, axis=0, keepdims=True).reshape(())


@numpy.errstate(invalid="ignore", over="ignore")  # inf - inf is NaN and a sum may overflow, silently, as in sum
def _row_sums(rows):  # (as a decorator, errstate costs half what a with-statement does)
    """Sums of the rows of a 2-D array with contiguous rows: (rows, m) → (rows,)."""
    count, length = rows.shape
    if length <= 4 * SUM_BLOCK:
        return rows @ _ones(length, rows.dtype)
    whole = length - length % SUM_BLOCK
    blocks = rows[:, :whole].reshape(count, whole // SUM_BLOCK, SUM_BLOCK) @ _ones(SUM_BLOCK, rows.dtype)
    sums = blocks.sum(axis=1)  # pairwise, over a few hundred block sums
    if whole < length:
        sums += rows[:, whole:] @ _ones(length - whole, rows.dtype)
    return sums


def _restore_reduced(grad, shape, axes, keepdim):
    """Give a reduced gradient back its reduced axes (as size 1), ready to broadcast over ``shape``."""
    if not keepdim and axes is not None:
        grad = backend.module_of(grad).expand_dims(grad, axes)
    return grad


class Sum(Function):
    def forward(self, a, axes, keepdim):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return sum_array(a, axes, keepdim)

    def backward(self, grad):
        grad = _restore_reduced(grad, self.shape, self.axes, self.keepdim)
        return backend.module_of(grad).broadcast_to(grad, self.shape)


class Mean(Function):
    def forward(self, a, axes, keepdim):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        if a.size < FAST_SUM_MIN_SIZE:
            out = a.mean(axis=axes, keepdims=keepdim)
        else:
            out = sum_array(a, axes, keepdim)
            out = out / (a.size // out.size)  # the same division NumPy's mean does
        self.count = a.size // builtins.max(out.size, 1) if a.size else 0
        return out

    def backward(self, grad):
        grad = _restore_reduced(grad, self.shape, self.axes, self.keepdim) / self.count
        return backend.module_of(grad).broadcast_to(grad, self.shape)


ARGMAX_ROW_LENGTHS = (64, 2048)  # rows of this many values: NumPy's argmax is faster than its max reduction
ARGMAX_MIN_ROWS = 64
ARGMAX_MIN_SIZE = ARGMAX_MIN_ROWS * ARGMAX_ROW_LENGTHS[0]


def extremum_along(a, axis: int, largest: bool = True):
    """``a.max(axis, keepdims=True)``, or ``a.min`` when not ``largest``.

    NumPy's max reduction sets up each row anew: over a thousand rows of a thousand values it takes twice as
    long as one reduction of all of them. Its argmax runs one vector loop over the rows, so for a contiguous
    float array reduced over its last axis, in rows of 64 to 2048 values, the extremum is read at the index
    argmax gives: a sixth faster on 1000 × 1000, three times on 3000 × 128. argmax picks the first NaN of a
    row, so NaN propagates as in max.
    """
    if type(a) is not numpy.ndarray:
        return a.max(axis=axis, keepdims=True) if largest else a.min(axis=axis, keepdims=True)
    if (
        a.size >= ARGMAX_MIN_SIZE  # first: a small array goes straight to the reduction
        and axis == a.ndim - 1
        and ARGMAX_ROW_LENGTHS[0] <= a.shape[axis] <= ARGMAX_ROW_LENGTHS[1]
        and a.size >= ARGMAX_MIN_ROWS * a.shape[axis]
        and a.dtype.char in "fd"
        and a.flags.c_contiguous
    ):
        length = a.shape[axis]
        rows = a.reshape(a.size // length, length)
        index = numpy.argmax(rows, axis=1) if largest else numpy.argmin(rows, axis=1)
        index += numpy.arange(0, a.size, length)  # the position of each row's pick in the flat array
        return a.reshape(-1).take(index).reshape(a.shape[:-1] + (1,))
    return (numpy.maximum if largest else numpy.minimum).reduce(a, axis=axis, keepdims=True)  # a.max, unwrapped


class _Extremum(Function):
    reducer = ""

    def forward(self, a, axes, keepdim):
        if a.size == 0:
            raise RuntimeError(f"{self.reducer}: cannot reduce an empty tensor")
        self.a, self.axes, self.keepdim = a, axes, keepdim
        if axes is not None and len(axes) == 1:
            self.out = extremum_along(a, axes[0], largest=self.reducer == "max")
        else:
            self.out = getattr(a, self.reducer)(axis=axes, keepdims=True)
        return self.out if keepdim else self.out.reshape(_reduced_shape(a.shape, axes))

    def backward(self, grad):
        is_extreme = self.a == self.out
        count = is_extreme.sum(axis=self.axes, keepdims=True)
        grad = _restore_reduced(grad, self.a.shape, self.axes, self.keepdim)
        return grad * is_extreme / count


class Amax(_Extremum):
    reducer = "max"


class Amin(_Extremum):
    reducer = "min"


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


# ---- public functions -----------------------------------------------------------------------------------
def sum(a: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    axes = normalize_dims(dim, a.ndim, "sum")
    if dtype is not None:
        a = ew.cast(a, dtype)
    elif a.data.dtype.kind in "biu" and a.data.dtype != dtypes.int64:
        a = ew.cast(a, dtypes.int64)  # PyTorch sums bool and small integers as int64
    return Sum.apply(a, axes=axes, keepdim=keepdim)


def mean(a: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    if dtype is not None:
        a = ew.cast(a, dtype)
    if a.data.dtype.kind != "f":
        raise RuntimeError(f"mean: needs a floating point tensor, got {a.dtype}; cast it with .float() first")
    return Mean.apply(a, axes=normalize_dims(dim, a.ndim, "mean"), keepdim=keepdim)


def amax(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return Amax.apply(a, axes=normalize_dims(dim, a.ndim, "amax"), keepdim=keepdim)


def amin(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return Amin.apply(a, axes=normalize_dims(dim, a.ndim, "amin"), keepdim=keepdim)


def _extremum_with_indices(a: Tensor, dim, keepdim, largest, reduce_all, op):
    from .indexing import Gather

    if dim is None:
        return reduce_all(a)
    (axis,) = normalize_dims(dim, a.ndim, op) or (0,)
    if a.ndim == 0:
        return ValuesIndices(a, Tensor._wrap(backend.module_of(a.data).asarray(0)))
    if a.shape[axis] == 0:
        raise IndexError(f"{op}: cannot reduce over dim {axis} of size 0 (shape {tuple(a.shape)})")
    data = a.data
    index = data.argmax(axis=axis, keepdims=True) if largest else data.argmin(axis=axis, keepdims=True)
    values = Gather.apply(a, index=index, dim=axis, squeeze=not keepdim)  # argmax's indices: in range
    index = index.astype(dtypes.int64, copy=False)
    return ValuesIndices(values, Tensor._wrap(index if keepdim else index.squeeze(axis)))


def max(a: Tensor, dim=None, keepdim: bool = False):
    """``max(a)`` is the largest value; ``max(a, dim)`` is (values, indices) along ``dim``, as PyTorch.

    Also ``max(a, b)`` with a second tensor: the elementwise maximum.
    """
    if isinstance(dim, Tensor):
        return ew.maximum(a, dim)
    return _extremum_with_indices(a, dim, keepdim, True, amax, "max")


def min(a: Tensor, dim=None, keepdim: bool = False):
    if isinstance(dim, Tensor):
        return ew.minimum(a, dim)
    return _extremum_with_indices(a, dim, keepdim, False, amin, "min")


def argmax(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor._wrap(backend.module_of(a.data).asarray(a.data.argmax(), dtype=dtypes.int64))
    (axis,) = normalize_dims(dim, a.ndim, "argmax") or (0,)
    return Tensor._wrap(a.data.argmax(axis=axis, keepdims=keepdim).astype(dtypes.int64, copy=False))


def argmin(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor._wrap(backend.module_of(a.data).asarray(a.data.argmin(), dtype=dtypes.int64))
    (axis,) = normalize_dims(dim, a.ndim, "argmin") or (0,)
    return Tensor._wrap(a.data.argmin(axis=axis, keepdims=keepdim).astype(dtypes.int64, copy=False))


def var(a: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, correction=None) -> Tensor:
    """Variance: sum((x - mean)²) / (n - correction); ``correction=1`` (Bessel) by default, as PyTorch."""
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = normalize_dims(dim, a.ndim, "var")
    centred = a - mean(a, dim=axes, keepdim=True)
    count = a.numel() if axes is None else _count(a.shape, axes)
    return sum(centred * centred, dim=axes, keepdim=keepdim) / builtins.max(count - correction, 0)


def std(a: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, correction=None) -> Tensor:
    return unary.sqrt(var(a, dim=dim, unbiased=unbiased, keepdim=keepdim, correction=correction))


def logsumexp(a: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(a))) computed as m + log(sum(exp(a - m))) with m = max(a), so it never overflows."""
    axes = normalize_dims(dim, a.ndim, "logsumexp")
    shift = Tensor._wrap(a.data.max(axis=axes, keepdims=True))
    out = unary.log(sum(unary.exp(a - shift), dim=axes, keepdim=True)) + shift
    return out if keepdim else out.reshape(_reduced_shape(a.shape, axes or tuple(range(a.ndim))))


def prod(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Product, as exp(sum(log|a|)) with the sign kept (for tensors without zeros)."""
    axes = normalize_dims(dim, a.ndim, "prod")
    xp = backend.module_of(a.data)
    if not a.requires_grad:
        return Tensor._wrap(xp.asarray(a.data.prod(axis=axes, keepdims=keepdim)))
    if (a.data == 0).any():
        raise NotImplementedError("prod: the gradient of a product with zeros is not supported")
    signs = Tensor._wrap(xp.sign(a.data).prod(axis=axes, keepdims=keepdim))
    return signs * unary.exp(sum(unary.log(unary.abs(a)), dim=axes, keepdim=keepdim))


def norm(a: Tensor, p=2, dim=None, keepdim: bool = False) -> Tensor:
    """The p-norm (sum |x|^p)^(1/p); p=2 by default. The gradient at the zero vector is 0, as PyTorch."""
    axes = normalize_dims(dim, a.ndim, "norm")
    if p == float("inf"):
        return amax(unary.abs(a), dim=axes, keepdim=keepdim)
    if p == 1:
        return sum(unary.abs(a), dim=axes, keepdim=keepdim)
    powered = sum(ew.pow(unary.abs(a), p), dim=axes, keepdim=keepdim)
    safe = ew.where(powered.data > 0, powered, 1.0)
    return ew.where(powered.data > 0, ew.pow(safe, 1.0 / p), 0.0)


def all(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, a.ndim, "all")
    return Tensor._wrap(backend.module_of(a.data).asarray(a.data.all(axis=axes, keepdims=keepdim)))


def any(a: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, a.ndim, "any")
    return Tensor._wrap(backend.module_of(a.data).asarray(a.data.any(axis=axes, keepdims=keepdim)))


def _count(shape, axes) -> int:
    count = 1
    for axis in axes:
        count *= shape[axis]
    return count

