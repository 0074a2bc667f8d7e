import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
from oracle import check_module


class TorchMaxout(torch.nn.Module):
    """The same layer written with torch ops: one linear map, then the max over each unit's pieces."""

    def __init__(self, in_features, out_features, pieces, bias=True):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.weight = torch.nn.Parameter(torch.randn(out_features * pieces, in_features))
        self.bias = torch.nn.Parameter(torch.randn(out_features * pieces)) if bias else None

    def forward(self, x):
        z = torch.nn.functional.linear(x, self.weight, self.bias)
        return z.reshape(*z.shape[:-1], self.out_features, self.pieces).amax(-1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(6, 4), (4,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("pieces, bias", [(1, True), (2, True), (3, False), (5, True)])
def test_maxout_matches_torch(shape, pieces, bias, dtype):
    check_module(nn.Maxout(4, 3, pieces, bias=bias), TorchMaxout(4, 3, pieces, bias=bias), [shape], dtype=dtype,
                 steps=2)


def test_maxout_learns_relu_and_absolute_value_exactly():
    # max(x, 0) and max(x, −x): the two pieces are the linear maps x ↦ x and x ↦ 0 (or −x)
    x = gb.tensor([[-2.0], [-0.5], [0.0], [1.5]])
    relu = nn.Maxout(1, 1, pieces=2)
    relu.load_state_dict({"weight": [[1.0], [0.0]], "bias": [0.0, 0.0]})
    np.testing.assert_array_equal(relu(x).detach().numpy(), [[0.0], [0.0], [0.0], [1.5]])
    absolute = nn.Maxout(1, 1, pieces=2)
    absolute.load_state_dict({"weight": [[1.0], [-1.0]], "bias": [0.0, 0.0]})
    np.testing.assert_array_equal(absolute(x).detach().numpy(), [[2.0], [0.5], [0.0], [1.5]])


def test_gradient_flows_only_through_the_winning_piece():
    layer = nn.Maxout(2, 1, pieces=3)
    layer.load_state_dict({"weight": [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], "bias": [0.0, 0.0, 0.0]})
    layer(gb.tensor([[3.0, 1.0]])).sum().backward()  # piece 0 wins (3 > 1 > −4)
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[3.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [1.0, 0.0, 0.0])


def test_layout_initialisation_and_repr():
    gb.manual_seed(0)
    layer = nn.Maxout(100, 30, pieces=4)
    assert layer.weight.shape == (120, 100) and layer.bias.shape == (120,)
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert np.abs(layer.weight.detach().numpy()).max() <= 1 / math.sqrt(100)
    assert repr(layer) == "Maxout(in_features=100, out_features=30, pieces=4, bias=True)"
    with pytest.raises(ValueError, match="pieces must be at least 1"):
        nn.Maxout(2, 2, pieces=0)
