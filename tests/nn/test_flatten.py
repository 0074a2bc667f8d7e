import pytest
import torch

import glassbox.nn as nn
from oracle import check_module


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("start_dim, end_dim, shape", [(1, -1, (2, 3, 4, 5)), (0, -1, (2, 3)), (1, 2, (2, 3, 4, 5)),
                                                       (-3, -2, (2, 3, 4, 5))])
def test_flatten_matches_torch(start_dim, end_dim, shape, dtype):
    check_module(nn.Flatten(start_dim, end_dim), torch.nn.Flatten(start_dim, end_dim), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim, sizes, shape", [(1, (3, 4), (2, 12)), (-1, (2, -1), (5, 6)), (0, [2, 2], (4, 3))])
def test_unflatten_matches_torch(dim, sizes, shape, dtype):
    check_module(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), [shape], dtype=dtype)


def test_repr_matches_torch():
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 5))) == repr(torch.nn.Unflatten(1, (2, 5)))
    assert repr(nn.Unflatten(1, [2, 5])) == repr(torch.nn.Unflatten(1, [2, 5]))
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 5)
