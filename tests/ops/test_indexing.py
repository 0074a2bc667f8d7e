import numpy as np
import pytest
import torch

import glassbox as gb
from oracle import check, finite_difference_check

INDEXES = {
    "int": lambda x: x[1],
    "negative_int": lambda x: x[-1],
    "slice": lambda x: x[1:3],
    "step_slice": lambda x: x[::2, 1:],
    "none": lambda x: x[None, :, 1],
    "ellipsis": lambda x: x[..., 0],
    "int_array": lambda x: x[[0, 2, 2, 1]],
    "repeated_rows": lambda x: x[[0, 0, 0]],
    "two_arrays": lambda x: x[[0, 1, 2], [3, 3, 0]],
    "array_and_slice": lambda x: x[:, [1, 1, 0]],
    "bool_mask": lambda x: x[x > 0],
    "row_mask": lambda x: x[[True, False, True, True]],
    "scalar": lambda x: x[1, 2],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", INDEXES)
def test_indexing_matches_torch(name, dtype):
    check(INDEXES[name], [(4, 5)], dtype=dtype)


@pytest.mark.parametrize("name", INDEXES)
def test_indexing_finite_difference(name):
    finite_difference_check(INDEXES[name], [(4, 5)])


def test_index_with_tensor():
    index = np.array([2, 0, 2])
    check(lambda x, i: x[i], inputs=[np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32), index])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_matches_torch(dim):
    rng = np.random.default_rng(0)
    index = rng.integers(0, 3, size=(2, 3, 3))
    data = rng.normal(size=(3, 3, 3)).astype(np.float32)
    check(lambda x, i: x.gather(dim, i), inputs=[data, index])


def test_gather_with_smaller_index_and_repeats():
    data = np.arange(12, dtype=np.float64).reshape(3, 4)
    index = np.array([[0, 0], [3, 3]])
    check(lambda x, i: x.gather(1, i), inputs=[data, index], dtype="float64")
    finite_difference_check(lambda x: x.gather(1, gb.tensor(index)), inputs=[data])


def test_scatter_add_matches_torch():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(3, 5)).astype(np.float32)
    src = rng.normal(size=(3, 4)).astype(np.float32)
    index = rng.integers(0, 5, size=(3, 4))
    check(lambda a, s, i: a.scatter_add(1, i, s), inputs=[base, src, index])
    check(lambda a, s, i: a.scatter_add(0, i, s), inputs=[base, src, rng.integers(0, 3, size=(3, 4))])


def test_one_hot_matches_torch():
    labels = np.array([0, 2, 1, 2])
    ours = gb.one_hot(gb.tensor(labels), 4)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), 4)
    assert ours.dtype == gb.int64
    assert np.array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="one_hot"):
        gb.one_hot(gb.tensor([0, 5]), 3)


def test_masked_fill_and_index_select():
    mask = np.array([[True, False, False], [False, True, True]])
    check(lambda x, m: x.masked_fill(m, -1.0), inputs=[np.ones((2, 3), dtype=np.float32), mask])
    check(lambda x, i: x.index_select(1, i), inputs=[np.ones((2, 3), dtype=np.float32), np.array([2, 0])])


def test_setitem_is_in_place_without_grad():
    x = gb.zeros(3, 3)
    x[1] = 5.0
    x[:, 0] = gb.tensor([1.0, 2.0, 3.0])
    assert x.numpy().tolist() == [[1, 0, 0], [2, 5, 5], [3, 0, 0]]
    leaf = gb.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        leaf[0] = 1.0


def test_bad_index_error_names_shape():
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        gb.ones(2, 3)[5]
