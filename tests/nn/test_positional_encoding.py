"""Positional encodings: the sinusoidal table against its formula, both modules' sums, layouts and gradients."""

import math

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox import nn
from glassbox.nn.positional_encoding import sinusoidal_positional_encoding
from oracle import check_module, make_inputs


def _formula(length, d_model):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), entry by entry."""
    table = np.zeros((length, d_model))
    for pos in range(length):
        for feature in range(d_model):
            pair = feature - feature % 2  # 2i
            angle = pos / 10000 ** (pair / d_model)
            table[pos, feature] = math.sin(angle) if feature % 2 == 0 else math.cos(angle)
    return table


@pytest.mark.parametrize("d_model", [8, 7, 1])
def test_table_matches_the_formula(d_model):
    table = sinusoidal_positional_encoding(50, d_model, dtype=gb.float64)
    np.testing.assert_allclose(table.numpy(), _formula(50, d_model), rtol=0, atol=1e-12)
    float32 = sinusoidal_positional_encoding(50, d_model)
    assert float32.dtype == np.float32
    np.testing.assert_array_equal(float32.numpy(), _formula(50, d_model).astype(np.float32))


def test_known_values_and_relative_positions_are_rotations():
    table = sinusoidal_positional_encoding(20, 4, dtype=gb.float64).numpy()
    np.testing.assert_allclose(table[0], [0, 1, 0, 1], atol=1e-15)  # sin 0, cos 0 for every pair
    np.testing.assert_allclose(table[1, :2], [math.sin(1), math.cos(1)])
    np.testing.assert_allclose(table[1, 2:], [math.sin(0.01), math.cos(0.01)])  # 10000^(2/4) = 100
    # PE(pos + k) is PE(pos) rotated by an angle that depends only on k, pair by pair
    k, frequency = 3, 1 / 100
    rotation = np.array([[math.cos(k * frequency), -math.sin(k * frequency)],
                         [math.sin(k * frequency), math.cos(k * frequency)]])
    for pos in (0, 5, 11):
        np.testing.assert_allclose(table[pos + k, 2:], table[pos, 2:] @ rotation, atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
def test_sinusoidal_module_adds_the_table_in_every_layout(batch_first):
    module = nn.SinusoidalPositionalEncoding(6, max_len=30, batch_first=batch_first, dtype=gb.float64)
    table = _formula(30, 6)
    x = make_inputs([(2, 5, 6) if batch_first else (5, 2, 6)], "float64")[0]
    expected = x + (table[None, 3:8] if batch_first else table[3:8, None])
    np.testing.assert_allclose(module(gb.tensor(x), offset=3).numpy(), expected, atol=1e-12)
    single = x[0] if batch_first else x[:, 0]  # unbatched (L, d)
    np.testing.assert_allclose(module(gb.tensor(single)).numpy(), single + table[:5], atol=1e-12)


def test_sinusoidal_buffer_has_the_tutorial_layout_and_learns_nothing():
    module = nn.SinusoidalPositionalEncoding(8, max_len=40, dropout=0.1)
    assert list(module.state_dict()) == ["pe"] and tuple(module.pe.shape) == (40, 1, 8)
    assert list(module.parameters()) == []
    x = gb.tensor(make_inputs([(5, 2, 8)])[0], requires_grad=True)
    module.eval()
    module(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((5, 2, 8)))  # a sum: the gradient passes through


class _TorchLearned(torch.nn.Module):
    """The learned embedding written in PyTorch: x + weight[offset : offset + L] over (L, N, d)."""

    def __init__(self, max_len, d_model, offset):
        super().__init__()
        self.inner = torch.nn.Module()
        self.inner.weight = torch.nn.Parameter(torch.randn(max_len, d_model))
        self.offset = offset

    def forward(self, x):
        return x + self.inner.weight[self.offset:self.offset + x.shape[0]].unsqueeze(1)


class _Learned(gb.nn.Module):
    def __init__(self, max_len, d_model, offset):
        super().__init__()
        self.inner = nn.LearnedPositionalEmbedding(max_len, d_model)
        self.offset = offset

    def forward(self, x):
        return self.inner(x, offset=self.offset)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_learned_embedding_matches_torch_with_gradients(dtype):
    ours, theirs = _Learned(12, 4, offset=2), _TorchLearned(12, 4, offset=2)
    check_module(ours, theirs, [(5, 3, 4)], dtype=dtype)
    gradient = ours.inner.weight.grad.numpy()
    assert not gradient[:2].any() and not gradient[7:].any()  # only positions 2 … 6 were used
    np.testing.assert_allclose(gradient[2:7], theirs.inner.weight.grad.numpy()[2:7], rtol=1e-5)


def test_learned_embedding_initialisation_and_batch_first():
    gb.manual_seed(0)
    module = nn.LearnedPositionalEmbedding(500, 64, batch_first=True)
    assert list(module.state_dict()) == ["weight"]
    assert abs(module.weight.detach().numpy().std() - 0.02) < 0.002
    x = make_inputs([(3, 4, 64)])[0]
    np.testing.assert_allclose(module(gb.tensor(x)).detach().numpy(), x + module.weight.detach().numpy()[None, :4],
                               rtol=1e-6)


def test_clear_errors():
    sinusoidal = nn.SinusoidalPositionalEncoding(8, max_len=10)
    with pytest.raises(ValueError, match=r"positions 5 … 14 asked for, the table holds 0 … 9 \(max_len = 10\)"):
        sinusoidal(gb.zeros(10, 2, 8), offset=5)
    with pytest.raises(ValueError, match="d_model = 8 features"):
        sinusoidal(gb.zeros(4, 2, 6))
    with pytest.raises(ValueError, match="expected an input"):
        nn.LearnedPositionalEmbedding(10, 8)(gb.zeros(8))
