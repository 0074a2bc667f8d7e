import numpy as np
import pytest

from glassbox.ops.layout import copy_runs, empty_in_layout, in_layout_of, memory_order


def _batch_innermost(shape):
    """An (N, C, H, W) view of a (C, H, W, N) block, as a convolution's output."""
    n, c, h, w = shape
    return np.arange(n * c * h * w, dtype=np.float32).reshape(c, h, w, n).transpose(3, 0, 1, 2)


def test_memory_order_lists_axes_outermost_first():
    assert memory_order(np.empty((2, 3, 4))) == [0, 1, 2]
    assert memory_order(_batch_innermost((2, 3, 4, 5))) == [1, 2, 3, 0]


def test_new_arrays_and_copies_keep_the_layout_at_hand():
    like = _batch_innermost((2, 3, 4, 5))
    fresh = empty_in_layout(np, (6, 3, 4, 5), np.float64, like)
    assert fresh.shape == (6, 3, 4, 5) and fresh.dtype == np.float64 and memory_order(fresh) == [1, 2, 3, 0]
    plain = np.ones((2, 3, 4, 5))
    moved = in_layout_of(plain, like)
    assert memory_order(moved) == [1, 2, 3, 0]
    np.testing.assert_array_equal(moved, plain)
    assert in_layout_of(like, like) is like  # already so: no copy


@pytest.mark.parametrize("source", ["runs", "strided runs", "no runs"])
def test_copy_runs_equals_assignment(source):
    """Runs of the innermost axis (the batch of 4) copy as opaque elements; without runs, number by number."""
    block = np.arange(3 * 6 * 8 * 4, dtype=np.float32).reshape(3, 6, 8, 4)  # (C, H, W, N)
    view = {"runs": block, "strided runs": block[:, ::2, 1::2], "no runs": block[..., ::2]}[source]
    destination = np.zeros(view.shape, dtype=view.dtype)
    copy_runs(destination[:, ::-1], view[:, ::-1])  # a reversed axis outside the runs
    np.testing.assert_array_equal(destination, view)
