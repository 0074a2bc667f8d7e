"""Recurrent cells: one time step, composed from Tensor ops (autograd does the rest).

These are the plain, readable form of the three recurrences, and the reference
the fast whole-sequence primitives (``glassbox.ops.recurrent``) are tested
against. Each takes x_t (N, input) and the state (N, H) and returns the next
state; the weights are stacked per gate, in PyTorch's layout and order.

Elman RNN (the notes' o_t = f(x_t w + o_{t-1} w')):

    h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)          (or ReLU)

LSTM, gates i (input), f (forget), g (candidate), o (output):

    i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
    c_t = f ⊙ c_{t-1} + i ⊙ g                 h_t = o ⊙ tanh(c_t)

GRU: see ``glassbox.nn.GRU`` for the notes' form and how PyTorch's maps onto it.
"""

from __future__ import annotations

import math

from glassbox import creation, dtypes
from glassbox.tensor import Tensor

from . import init
from .linear import linear
from .module import Module
from .parameter import Parameter


def rnn_cell(input: Tensor, hx: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
             bias_hh: Tensor | None = None, nonlinearity: str = "tanh") -> Tensor:
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu."""
    pre_activation = linear(input, weight_ih, bias_ih) + linear(hx, weight_hh, bias_hh)
    return pre_activation.tanh() if nonlinearity == "tanh" else pre_activation.relu()


def lstm_cell(input: Tensor, hx: Tensor, cx: Tensor, weight_ih: Tensor, weight_hh: Tensor,
              bias_ih: Tensor | None = None, bias_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(h', c'): c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'), gates i, f, g, o."""
    gates = linear(input, weight_ih, bias_ih) + linear(hx, weight_hh, bias_hh)  # (N, 4H)
    i, f, g, o = gates.chunk(4, dim=-1)
    c = f.sigmoid() * cx + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_cell(input: Tensor, hx: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
             bias_hh: Tensor | None = None) -> Tensor:
    """h' = (1 - z) ⊙ n + z ⊙ h with PyTorch's gates r, z, n (see ``GRUCell``)."""
    input_r, input_z, input_n = linear(input, weight_ih, bias_ih).chunk(3, dim=-1)  # (N, H) each
    hidden_r, hidden_z, hidden_n = linear(hx, weight_hh, bias_hh).chunk(3, dim=-1)
    r = (input_r + hidden_r).sigmoid()
    z = (input_z + hidden_z).sigmoid()
    n = (input_n + r * hidden_n).tanh()
    return (1 - z) * n + z * hx


class RNNCellBase(Module):
    """weight_ih (G·H, input), weight_hh (G·H, H), bias_ih and bias_hh (G·H,) for G gates, every one
    drawn from U[-1/√H, 1/√H] as PyTorch does."""

    gate_count = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = dtypes.as_dtype(dtype) or dtypes.default_float
        gates = self.gate_count * hidden_size

        def parameter(*shape):
            return Parameter(creation.zeros(*shape, dtype=dtype, device=device or "cpu"))

        self.weight_ih = parameter(gates, input_size)
        self.weight_hh = parameter(gates, hidden_size)
        if bias:
            self.bias_ih = parameter(gates)
            self.bias_hh = parameter(gates)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return text + (f", nonlinearity={nonlinearity}" if nonlinearity != "tanh" else "")

    def _prepare(self, input: Tensor, states) -> tuple:
        """(batched input (N, input), batched states (N, H) each, whether the input was one sample)."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected an input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has {input.shape[-1]} features (shape {tuple(input.shape)}), "
                             f"expected input_size = {self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{name}: input dtype {input.dtype} differs from the weights' {self.weight_ih.dtype}")
        unbatched = input.ndim == 1
        if unbatched:
            input = input.unsqueeze(0)
        expected = (input.shape[0], self.hidden_size)
        prepared = []
        for label, state in states:
            if state is None:
                state = creation.zeros(*expected, dtype=input.dtype, device=input.device)
            else:
                if unbatched:
                    state = state.unsqueeze(0) if state.ndim == 1 else state
                if tuple(state.shape) != expected:
                    want = f"({self.hidden_size},)" if unbatched else str(expected)
                    raise RuntimeError(f"{name}: {label} has shape {tuple(state.shape)}, expected {want}")
            prepared.append(state)
        return input, prepared, unbatched


def _check_sizes(name: str, input_size, hidden_size) -> None:
    for label, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name}: {label} must be a positive integer, got {value!r}")


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (``nonlinearity='relu'``: ReLU)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (hx,), unbatched = self._prepare(input, [("hx", hx)])
        h = rnn_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step: (h', c') from x and (h, c), gates i, f, g, o stacked in that order (4H rows)."""

    gate_count = 4

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, Tensor]:
        h, c = hx if hx is not None else (None, None)
        input, (h, c), unbatched = self._prepare(input, [("h", h), ("c", c)])
        h, c = lstm_cell(input, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n as PyTorch computes them:

        r = σ(W_ir x + b_ir + W_hr h + b_hr)          z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        h' = (1 - z) ⊙ n + z ⊙ h

    ``glassbox.nn.GRU`` shows how this maps onto the notes' z_t, r_t, h̃_t.
    """

    gate_count = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (hx,), unbatched = self._prepare(input, [("hx", hx)])
        h = gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h
