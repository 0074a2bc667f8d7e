"""Memory layout: the order in which an array's axes lie in memory, and copies that keep or use it.

A convolution's output is an (N, C, H, W) view of a block laid out (C, H, W, N), the batch innermost
(``glassbox.ops.conv``). Elementwise work between arrays of different memory orders is slow (NumPy
walks one of them against its grain), and so is work on views whose innermost runs are short. The
helpers here make new arrays in the layout of the ones at hand, and copy runs as whole elements.
"""

from __future__ import annotations

from glassbox import backend


def empty_in_layout(xp, shape: tuple, dtype, like):
    """An uninitialised array of ``shape`` whose axes lie in memory in the same order as ``like``'s.

    Copying between arrays of the same memory order reads and writes both in sequence; a
    channel-major activation stays channel-major through padding and pooling.
    """
    order = memory_order(like)
    buffer = xp.empty([shape[axis] for axis in order], dtype=dtype)
    return buffer.transpose([order.index(axis) for axis in range(like.ndim)])


def in_layout_of(array, like):
    """``array`` with its axes in the same memory order as ``like``'s (copied only when they differ)."""
    if memory_order(array) == memory_order(like):
        return array
    copy = empty_in_layout(backend.module_of(array), array.shape, array.dtype, like)
    copy[...] = array
    return copy


def copy_runs(destination, source) -> None:
    """destination[...] = source, for arrays whose last axis is contiguous: NumPy copies each run of the last
    axis as one opaque element (a void dtype), instead of number by number in loops of that run's length."""
    xp = backend.module_of(source)
    run = source.shape[-1] * source.itemsize
    if xp.__name__ == "numpy" and source.strides[-1] == destination.strides[-1] == source.itemsize:
        opaque = xp.dtype((xp.void, run))
        destination.view(opaque)[..., 0] = source.view(opaque)[..., 0]
    else:
        destination[...] = source


def memory_order(x) -> list:
    """x's axes, outermost in memory first."""
    return sorted(range(x.ndim), key=lambda axis: -x.strides[axis])
