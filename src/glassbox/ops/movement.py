"""Operations that move values around without computing new ones.

Their backward moves the gradient back the same way: a reshape is undone by a
reshape, a permutation by the inverse permutation, an expand by a sum, a
concatenation by slicing, a pad by cropping, a flip by a flip.
"""

from __future__ import annotations

import math

from glassbox import backend
from glassbox.autograd import Function, is_grad_enabled
from glassbox.tensor import Tensor

from .reduce import normalize_dims


def _axis(dim: int, ndim: int, op: str) -> int:
    (axis,) = normalize_dims(dim, ndim, op) or (0,)
    return axis


class Reshape(Function):
    def forward(self, a, shape):
        self.input_shape = a.shape
        return a.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Permute(Function):
    def forward(self, a, order):
        self.inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
        return a.transpose(order)

    def backward(self, grad):
        return grad.transpose(self.inverse)


class Expand(Function):
    def forward(self, a, shape):
        return backend.module_of(a).broadcast_to(a, shape)

    def backward(self, grad):
        return grad  # the engine sums it back to the input's shape


class Cat(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        self.bounds = []
        start = 0
        for array in arrays:
            self.bounds.append((start, start + array.shape[axis]))
            start += array.shape[axis]
        return backend.module_of(arrays[0]).concatenate(arrays, axis=axis)

    def backward(self, grad):
        index = [slice(None)] * grad.ndim
        grads = []
        for (start, stop), needed in zip(self.bounds, self.needs_input_grad, strict=True):
            index[self.axis] = slice(start, stop)
            grads.append(grad[tuple(index)] if needed else None)
        return tuple(grads)


class Pad(Function):
    def forward(self, a, widths, value):
        self.crop = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape, strict=True))
        return backend.module_of(a).pad(a, widths, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.crop]


class Flip(Function):
    def forward(self, a, axes):
        self.axes = axes
        return backend.module_of(a).flip(a, axis=axes)

    def backward(self, grad):
        return backend.module_of(grad).flip(grad, axis=self.axes)


class ToDevice(Function):
    def forward(self, a, device):
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad):
        return backend.to_device(grad, self.source)


def to_device(a: Tensor, device: str) -> Tensor:
    return ToDevice.apply(a, device=device)


# ---- public functions -----------------------------------------------------------------------------------
def _shape_arguments(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(int(n) for n in shape)


def reshape(a: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    size = a.data.size
    if shape == (-1,) and size:  # flattening, the most common reshape
        shape = (size,)
    if -1 not in shape and math.prod(shape) == size:  # the common case, checked cheaply
        if shape == a.data.shape:
            return a
        return _view(a, Reshape, a.data.reshape(shape), shape=shape)
    shape = _shape_arguments(shape)
    known = [n for n in shape if n != -1]
    if shape.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be -1, got {shape}")
    product = math.prod(known)
    if -1 in shape:
        if product == 0 or a.numel() % product:
            raise RuntimeError(f"reshape: shape {shape} is invalid for input of size {a.numel()}")
        shape = tuple(a.numel() // product if n == -1 else n for n in shape)
    elif product != a.numel():
        raise RuntimeError(
            f"reshape: shape {shape} is invalid for input of shape {tuple(a.shape)} ({a.numel()} elements)"
        )
    if shape == a.data.shape:
        return a
    return Reshape.apply(a, shape=shape)


view = reshape


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if a.ndim == 0:
        return reshape(a, 1)
    start, end = _axis(start_dim, a.ndim, "flatten"), _axis(end_dim, a.ndim, "flatten")
    shape = a.shape[:start] + (math.prod(a.shape[start : end + 1]),) + a.shape[end + 1 :]
    return reshape(a, shape)


def unflatten(a: Tensor, dim: int, sizes) -> Tensor:
    axis = _axis(dim, a.ndim, "unflatten")
    return reshape(a, a.shape[:axis] + tuple(sizes) + a.shape[axis + 1 :])


def squeeze(a: Tensor, dim=None) -> Tensor:
    if dim is None:
        return reshape(a, tuple(n for n in a.shape if n != 1))
    axes = normalize_dims(dim, a.ndim, "squeeze") or ()
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if not (i in axes and n == 1)))


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    rank = a.ndim + 1
    if not -rank <= dim < rank:
        raise IndexError(f"unsqueeze: dimension out of range (expected [{-rank}, {rank - 1}], got {dim})")
    axis = dim % rank
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def _view(a: Tensor, function, array, **options) -> Tensor:
    """A reshaped or permuted ``a``: with no gradient to record, only the array view is wrapped."""
    if a.requires_grad and is_grad_enabled():
        return function.apply(a, **options)
    return Tensor._wrap(array)


def permute(a: Tensor, *dims) -> Tensor:
    order = _shape_arguments(dims)
    if sorted(d % max(a.ndim, 1) for d in order) != list(range(a.ndim)):
        raise RuntimeError(f"permute: {order} is not a permutation of the {a.ndim} dims of shape {tuple(a.shape)}")
    order = tuple(d % a.ndim for d in order)
    if order == tuple(range(a.ndim)):
        return a
    return _view(a, Permute, a.data.transpose(order), order=order)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = a.data.ndim
    if type(dim0) is int and type(dim1) is int and -ndim <= dim0 < ndim and -ndim <= dim1 < ndim:
        i, j = dim0 % ndim, dim1 % ndim  # the common case, checked cheaply
        if i == j:
            return a
        order = list(range(ndim))
        order[i], order[j] = j, i
        order = tuple(order)
        return _view(a, Permute, a.data.transpose(order), order=order)
    if a.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return a
    order = list(range(a.ndim))
    i, j = _axis(dim0, a.ndim, "transpose"), _axis(dim1, a.ndim, "transpose")
    order[i], order[j] = order[j], order[i]
    return permute(a, order)


def t(a: Tensor) -> Tensor:
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {a.ndim}")
    return transpose(a, 0, 1) if a.ndim == 2 else a


def expand(a: Tensor, *sizes) -> Tensor:
    sizes = _shape_arguments(sizes)
    if len(sizes) < a.ndim:
        raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) is less than the tensor's dims ({a.ndim})")
    shape = list(sizes)
    offset = len(sizes) - a.ndim
    for i, n in enumerate(a.shape):
        if sizes[offset + i] == -1:
            shape[offset + i] = n
        elif n != 1 and n != sizes[offset + i]:
            raise RuntimeError(
                f"expand: the size of dim {i} ({n}) must match {sizes[offset + i]} or be 1 "
                f"(tensor shape {tuple(a.shape)}, asked for {sizes})"
            )
    shape = tuple(shape)
    return a if shape == a.shape else Expand.apply(a, shape=shape)


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    return expand(a, other.shape)


def broadcast_to(a: Tensor, shape) -> Tensor:
    return expand(a, tuple(shape))


def repeat(a: Tensor, *repeats) -> Tensor:
    """Tile the tensor ``repeats[i]`` times along dim i (PyTorch's ``repeat``, NumPy's ``tile``)."""
    repeats = _shape_arguments(repeats)
    if len(repeats) < a.ndim:
        raise RuntimeError("repeat: give at least as many repeats as the tensor has dims")
    a = reshape(a, (1,) * (len(repeats) - a.ndim) + a.shape)
    interleaved = []
    for r, n in zip(repeats, a.shape, strict=True):
        interleaved += [r, n]
    unit = reshape(a, tuple(x for n in a.shape for x in (1, n)))
    return reshape(expand(unit, interleaved), tuple(r * n for r, n in zip(repeats, a.shape, strict=True)))


def cat(tensors, dim: int = 0) -> Tensor:
    from .elementwise import binary_operands

    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    first = tensors[0]
    for i, other in enumerate(tensors[1:], start=1):
        if other.dtype != first.dtype:
            first, tensors[i] = binary_operands(first, other, "cat")
    tensors = [t if t.dtype == first.dtype else t.to(first.dtype) for t in tensors]
    axis = _axis(dim, first.ndim, "cat")
    for i, other in enumerate(tensors):
        if other.ndim != first.ndim or any(
            n != m for d, (n, m) in enumerate(zip(other.shape, first.shape, strict=True)) if d != axis
        ):
            raise RuntimeError(
                f"cat: sizes must match except in dim {axis}: tensor 0 has shape {tuple(first.shape)}, "
                f"tensor {i} has shape {tuple(other.shape)}"
            )
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(*tensors, axis=axis)


concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    shape = tensors[0].shape
    for i, other in enumerate(tensors):
        if other.shape != shape:
            raise RuntimeError(f"stack: every tensor must have the same shape: 0 is {shape}, {i} is {other.shape}")
    rank = len(shape) + 1
    if not -rank <= dim < rank:
        raise IndexError(f"stack: dimension out of range (expected [{-rank}, {rank - 1}], got {dim})")
    return cat([unsqueeze(t, dim) for t in tensors], dim=dim)


def split(a: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    axis = _axis(dim, a.ndim, "split")
    length = a.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, length - start) for start in range(0, length, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise RuntimeError(f"split: sections {sizes} do not add up to the size {length} of dim {axis}")
    pieces, start = [], 0
    index = [slice(None)] * a.ndim
    for size in sizes:
        index[axis] = slice(start, start + size)
        pieces.append(a[tuple(index)])
        start += size
    return tuple(pieces)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple:
    length = a.shape[_axis(dim, a.ndim, "chunk")]
    return split(a, max(1, math.ceil(length / chunks)), dim)


def unbind(a: Tensor, dim: int = 0) -> tuple:
    axis = _axis(dim, a.ndim, "unbind")
    index = [slice(None)] * a.ndim
    pieces = []
    for i in range(a.shape[axis]):
        index[axis] = i
        pieces.append(a[tuple(index)])
    return tuple(pieces)


def pad(a: Tensor, pad: tuple, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad as ``torch.nn.functional.pad``: ``pad`` lists (before, after) pairs from the LAST dim backwards."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: expected an even number of at most {2 * a.ndim} values, got {len(pad)}")
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        before, after = pad[2 * i], pad[2 * i + 1]
        if before < 0 or after < 0:
            raise NotImplementedError("pad: negative padding (cropping) is not supported")
        widths[a.ndim - 1 - i] = (before, after)
    return Pad.apply(a, widths=tuple(widths), value=value)


def flip(a: Tensor, *dims) -> Tensor:
    axes = normalize_dims(_shape_arguments(dims), a.ndim, "flip")
    return Flip.apply(a, axes=axes)


def contiguous(a: Tensor) -> Tensor:
    return a
