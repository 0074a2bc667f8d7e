import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import glassbox as gb
from oracle import check, finite_difference_check


def lib(x):
    return gb if isinstance(x, gb.Tensor) else torch


MOVEMENTS = {
    "reshape": ((2, 3, 4), lambda x: x.reshape(4, 6)),
    "reshape_infer": ((2, 3, 4), lambda x: x.reshape(-1, 4)),
    "view": ((2, 3, 4), lambda x: x.view(6, 4)),
    "flatten": ((2, 3, 4), lambda x: x.flatten()),
    "flatten_range": ((2, 3, 4, 5), lambda x: x.flatten(1, 2)),
    "squeeze": ((2, 1, 3, 1), lambda x: x.squeeze()),
    "squeeze_dim": ((2, 1, 3, 1), lambda x: x.squeeze(1)),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(1)),
    "unsqueeze_negative": ((2, 3), lambda x: x.unsqueeze(-1)),
    "permute": ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2)),
    "T": ((3, 4), lambda x: x.T),
    "t": ((3, 4), lambda x: x.t()),
    "expand": ((3, 1), lambda x: x.expand(2, 3, 4)),
    "expand_keep": ((3, 1), lambda x: x.expand(-1, 5)),
    "repeat": ((2, 3), lambda x: x.repeat(2, 1, 3)),
    "flip": ((2, 3, 4), lambda x: x.flip(0, 2)),
    "flip_tuple": ((2, 3), lambda x: x.flip((1,))),
    "pad": ((2, 3, 4), lambda x: lib(x).nn.functional.pad(x, (1, 2, 0, 1)) if isinstance(x, torch.Tensor)
            else gb.ops.movement.pad(x, (1, 2, 0, 1))),
    "pad_value": ((2, 3), lambda x: torch.nn.functional.pad(x, (2, 0), value=1.5) if isinstance(x, torch.Tensor)
                  else gb.ops.movement.pad(x, (2, 0), value=1.5)),
    "split": ((5, 3), lambda x: x.split(2)),
    "split_sections": ((6, 3), lambda x: x.split([1, 2, 3], 0)),
    "chunk": ((2, 7), lambda x: x.chunk(3, 1)),
    "unbind": ((3, 2), lambda x: x.unbind(1)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", MOVEMENTS)
def test_movement_matches_torch(name, dtype):
    shape, fn = MOVEMENTS[name]
    check(fn, [shape], dtype=dtype)


@pytest.mark.parametrize("name", MOVEMENTS)
def test_movement_finite_difference(name):
    shape, fn = MOVEMENTS[name]

    def joined(x):
        out = fn(x)
        return gb.cat([piece.reshape(-1) for piece in out]) if isinstance(out, tuple) else out

    finite_difference_check(joined, [shape])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack_match_torch(dim, dtype):
    check(lambda a, b, c: lib(a).cat([a, b, c], dim), [(2, 3, 2), (2, 3, 2), (2, 3, 2)], dtype=dtype)
    check(lambda a, b: lib(a).stack([a, b], dim), [(2, 3), (2, 3)], dtype=dtype)


def test_cat_with_different_sizes_along_dim():
    check(lambda a, b: lib(a).cat([a, b], 1), [(2, 1), (2, 4)])
    finite_difference_check(lambda a, b: gb.cat([a, b], 0), [(1, 3), (2, 3)])


def test_cat_shape_error_is_clear():
    with pytest.raises(RuntimeError, match="sizes must match except in dim 0"):
        gb.cat([gb.ones(2, 3), gb.ones(2, 4)])


def test_reshape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"shape \(4, 4\) is invalid for input of shape \(2, 3\)"):
        gb.ones(2, 3).reshape(4, 4)


def test_expand_error():
    with pytest.raises(RuntimeError, match="expand"):
        gb.ones(3, 2).expand(3, 4)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_reshape_and_permute_round_trip(shape, data):
    x = gb.randn(*shape)
    order = data.draw(st.permutations(range(len(shape))))
    inverse = list(np.argsort(order))
    assert np.array_equal(x.permute(*order).permute(*inverse).numpy(), x.numpy())
    assert np.array_equal(x.reshape(-1).reshape(*shape).numpy(), x.numpy())
    assert np.array_equal(x.flatten().reshape(shape).numpy(), x.numpy())


def test_views_without_gradient_share_memory_and_record_nothing():
    x = gb.randn(3, 4)
    with gb.no_grad():
        y = gb.randn(3, 4, requires_grad=True).transpose(0, 1)
    for view in (x.transpose(0, 1), x.reshape(-1), x.permute(1, 0), x.view(4, 3), y):
        assert view._ctx is None and not view.requires_grad
    assert np.shares_memory(x.transpose(-1, -2).numpy(), x.numpy())
    assert x.transpose(1, 1) is x and x.reshape(3, 4) is x


@pytest.mark.parametrize("dims", [(0, 1), (-1, 0), (1, -1), (2, 0)])
def test_transpose_with_gradient_matches_torch(dims):
    check(lambda x: x.transpose(*dims) * 2, [(2, 3, 4)])


def test_transpose_bad_dim_names_the_range():
    with pytest.raises(IndexError, match="transpose"):
        gb.randn(2, 3).transpose(0, 2)
