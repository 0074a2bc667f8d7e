"""Indexing, gather and scatter.

Reading ``a[index]`` copies some elements out; its backward writes the
gradient back to where they came from. When one element was read several times
(repeated integer indices) its gradient is the sum over every read, which is
why the backward scatters with ``add.at`` rather than plain assignment.
"""

from __future__ import annotations

from glassbox import backend, dtypes
from glassbox.autograd import Function
from glassbox.tensor import Tensor

from .reduce import normalize_dims


def _is_basic(index: tuple) -> bool:
    """True when the index is ints, slices, None and Ellipsis only (a view: no element read twice)."""
    return all(isinstance(i, int | slice) or i is None or i is Ellipsis for i in index)


def normalize_index(index, xp) -> tuple:
    """Tensors become arrays, lists become integer or boolean arrays; always a tuple."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for item in index:
        if isinstance(item, Tensor):
            item = item.data
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int or bool tensors, got float")
            if item.ndim == 0 and item.dtype.kind in "iu":
                item = int(item)
        elif isinstance(item, list):
            item = xp.asarray(item)
            if item.dtype.kind == "f":
                raise IndexError("lists used as indices must hold integers or booleans")
        elif hasattr(item, "__index__") and not isinstance(item, bool) and not hasattr(item, "shape"):
            item = int(item)
        out.append(item)
    return tuple(out)


class GetItem(Function):
    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, grad):
        xp = backend.module_of(grad)
        out = xp.zeros(self.shape, dtype=grad.dtype)
        if _is_basic(self.index):
            out[self.index] = grad
        else:
            backend.add_at(out, self.index, grad)
        return out


def getitem(a: Tensor, index) -> Tensor:
    index = normalize_index(index, backend.module_of(a.data))
    try:
        if not a.requires_grad:
            return Tensor._wrap(a.data[index])
        return GetItem.apply(a, index=index)
    except IndexError as error:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {tuple(a.shape)}: {error}") from None


def setitem(a: Tensor, index, value) -> None:
    """``a[index] = value``: an in-place write, allowed only where no gradient is being recorded for ``a``."""
    a._check_inplace("__setitem__")
    index = normalize_index(index, backend.module_of(a.data))
    a.data[index] = value.data if isinstance(value, Tensor) else value


def _full_index(index, dim: int):
    """The tuple of index arrays that addresses, element by element, what gather(dim, index) reads."""
    xp = backend.module_of(index)
    grids = backend.open_grid(index.shape, xp)
    grids[dim] = index
    return tuple(grids)


def _check_gather_index(a_shape, dim, index, op):
    if index.ndim != len(a_shape):
        raise RuntimeError(f"{op}: index must have as many dims as the input ({len(a_shape)}), got {index.ndim}")
    for d, (n, m) in enumerate(zip(index.shape, a_shape, strict=True)):
        if d != dim and n > m:
            raise RuntimeError(f"{op}: index size {n} exceeds the input's size {m} in dim {d}")
    if index.size and (index.min() < 0 or index.max() >= a_shape[dim]):
        raise IndexError(f"{op}: index out of range for dim {dim} of size {a_shape[dim]}")


class Gather(Function):
    """out[i][j][k] = a[i][index[i][j][k]][k] (for dim 1): reads by index along one dim. With ``squeeze``, an
    index of size 1 along ``dim`` (one pick per row, as max(dim) makes) gives an output without that dim."""

    def forward(self, a, index, dim, squeeze=False):
        self.shape, self.index, self.dim = a.shape, index, dim
        out = a[_full_index(index, dim)]
        return out.squeeze(dim) if squeeze else out

    def backward(self, grad):
        xp = backend.module_of(grad)
        out = xp.zeros(self.shape, dtype=grad.dtype)
        backend.add_at(out, _full_index(self.index, self.dim), grad.reshape(self.index.shape))
        return out


def gather(a: Tensor, dim: int, index: Tensor) -> Tensor:
    (axis,) = normalize_dims(dim, a.ndim, "gather") or (0,)
    idx = index.data if isinstance(index, Tensor) else backend.module_of(a.data).asarray(index)
    _check_gather_index(a.shape, axis, idx, "gather")
    return Gather.apply(a, index=idx, dim=axis)


class ScatterAdd(Function):
    """out = a; out[i][index[i][j][k]][k] += src[i][j][k] (for dim 1)."""

    def forward(self, a, src, index, dim):
        self.index, self.dim, self.src_shape = index, dim, src.shape
        out = a.copy()
        used = tuple(slice(0, n) for n in index.shape)
        backend.add_at(out, _full_index(index, dim), src[used])
        return out

    def backward(self, grad):
        need_a, need_src = self.needs_input_grad
        grad_src = None
        if need_src:
            xp = backend.module_of(grad)
            grad_src = xp.zeros(self.src_shape, dtype=grad.dtype)
            grad_src[tuple(slice(0, n) for n in self.index.shape)] = grad[_full_index(self.index, self.dim)]
        return (grad if need_a else None), grad_src


def scatter_add(a: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    (axis,) = normalize_dims(dim, a.ndim, "scatter_add") or (0,)
    idx = index.data if isinstance(index, Tensor) else backend.module_of(a.data).asarray(index)
    _check_gather_index(a.shape, axis, idx, "scatter_add")
    if src.dtype != a.dtype:
        src = src.to(a.dtype)
    return ScatterAdd.apply(a, src, index=idx, dim=axis)


def index_select(a: Tensor, dim: int, index: Tensor) -> Tensor:
    (axis,) = normalize_dims(dim, a.ndim, "index_select") or (0,)
    return getitem(a, (slice(None),) * axis + (index,))


def masked_fill(a: Tensor, mask, value) -> Tensor:
    from .elementwise import where

    mask = mask.data if isinstance(mask, Tensor) else mask
    return where(mask, value, a) if isinstance(value, Tensor) else where(mask, Tensor._wrap(
        backend.module_of(a.data).asarray(value, dtype=a.dtype)), a)


def one_hot(labels: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class labels → int64 rows of zeros with a 1 at the label (no gradient)."""
    data = labels.data if isinstance(labels, Tensor) else labels
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot: labels must be an integer tensor, got {data.dtype}")
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise RuntimeError(f"one_hot: labels must lie in [0, {num_classes}), got values in "
                           f"[{int(data.min())}, {int(data.max())}]")
    xp = backend.module_of(data)
    return Tensor._wrap((data[..., None] == xp.arange(num_classes)).astype(dtypes.int64))
