import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
from oracle import check_module

BATCH, INPUT, HIDDEN = 3, 5, 4
CELLS = ["RNNCell_tanh", "RNNCell_relu", "LSTMCell", "GRUCell"]


def make_pair(kind, **options):
    name, _, nonlinearity = kind.partition("_")
    if nonlinearity:
        options["nonlinearity"] = nonlinearity
    return getattr(nn, name)(INPUT, HIDDEN, **options), getattr(torch.nn, name)(INPUT, HIDDEN, **options)


def with_states(library, cell):
    """forward(x, h[, c]): the states as separate inputs, so check_module compares their gradients."""

    class WithStates(library.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = cell

        def forward(self, x, *states):
            return self.cell(x, tuple(states) if len(states) == 2 else states[0])

    return WithStates()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_torch(kind, bias, dtype):
    ours, theirs = make_pair(kind, bias=bias)
    states = [(BATCH, HIDDEN)] * (2 if kind == "LSTMCell" else 1)
    check_module(with_states(gb, ours), with_states(torch, theirs), [(BATCH, INPUT), *states], dtype=dtype, steps=2)
    check_module(ours, theirs, [(BATCH, INPUT)], dtype=dtype)  # no state given: zeros


@pytest.mark.parametrize("kind", CELLS)
def test_unbatched_cell_matches_torch(kind):
    ours, theirs = make_pair(kind)
    states = [(HIDDEN,)] * (2 if kind == "LSTMCell" else 1)
    check_module(with_states(gb, ours), with_states(torch, theirs), [(INPUT,), *states], dtype="float64")
    check_module(ours, theirs, [(INPUT,)], dtype="float64")


def test_cells_unrolled_equal_the_layer():
    """An LSTM layer is its cell applied step by step with the same weights."""
    layer, cell = nn.LSTM(INPUT, HIDDEN).double(), nn.LSTMCell(INPUT, HIDDEN).double()
    cell.load_state_dict({name[:-3]: value for name, value in layer.state_dict().items()})
    x = gb.randn(6, BATCH, INPUT, dtype="float64")
    output, (h_n, c_n) = layer(x)
    h = c = gb.zeros(BATCH, HIDDEN, dtype="float64")
    for t in range(6):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(h.detach().numpy(), output[t].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", CELLS)
def test_cell_parameters_and_init_match_torch(kind):
    ours, theirs = make_pair(kind)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert repr(ours) == repr(theirs)
    bound = 1 / math.sqrt(HIDDEN)
    values = np.concatenate([p.detach().numpy().ravel() for p in ours.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    without_bias, theirs_without_bias = make_pair(kind, bias=False)
    assert repr(without_bias) == repr(theirs_without_bias)
    assert without_bias.bias_ih is None and len(list(without_bias.parameters())) == 2


def test_cell_errors_name_the_cell_what_it_got_and_what_it_expected():
    cell = nn.LSTMCell(INPUT, HIDDEN)
    wrong_size = r"LSTMCell: input has 3 features \(shape \(2, 3\)\), expected input_size = 5"
    with pytest.raises(RuntimeError, match=wrong_size):
        cell(gb.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"LSTMCell: c has shape \(2, 5\), expected \(2, 4\)"):
        cell(gb.randn(2, INPUT), (gb.zeros(2, HIDDEN), gb.zeros(2, 5)))
    wrong_rank = r"GRUCell: expected an input of shape \(batch, 5\) or \(5,\), got \(1, 2, 5\)"
    with pytest.raises(ValueError, match=wrong_rank):
        nn.GRUCell(INPUT, HIDDEN)(gb.randn(1, 2, INPUT))
    with pytest.raises(RuntimeError, match=r"RNNCell: hx has shape \(3, 4\), expected \(2, 4\)"):
        nn.RNNCell(INPUT, HIDDEN)(gb.randn(2, INPUT), gb.zeros(3, HIDDEN))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNNCell(INPUT, HIDDEN, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        nn.GRUCell(INPUT, -1)
