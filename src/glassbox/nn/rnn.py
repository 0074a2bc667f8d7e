"""Recurrent layers: RNN, LSTM and GRU over whole sequences, as ``torch.nn``.

The notes' recurrent network feeds each step's output into the next step,

    o_t = f(x_t w + o_{t-1} w')

so the output at step 4 depends on x_4 and, through o_3, on every earlier step:
the order of the sequence is kept, which bag-of-words and TF-IDF throw away.
A layer here runs its cell (``rnn_cells``) over every step; ``num_layers``
stacks layers (each one reads the outputs of the one below, with ``dropout``
between them, not after the last), and ``bidirectional`` adds a second pass
from the last step to the first whose outputs are concatenated with the first's.

Training is backpropagation through time (BPTT): the loop over steps, unrolled,
is one deep network whose layers share W_ih and W_hh, so the gradient of W_hh
sums a contribution from every step, and the gradient of an early step is a
product of one Jacobian per later step. It happens in the backward of the
sequence primitives in ``glassbox.ops.recurrent`` (one graph node per layer and
direction, computing the loop on raw arrays); the cells in ``rnn_cells`` are
the same equations composed from Tensor ops, and the reference they are tested against.

Shapes (PyTorch's): input (T, N, input_size), or (N, T, input_size) with
``batch_first``, or (T, input_size) unbatched, or a ``PackedSequence``;
h0 and h_n (num_layers · num_directions, N, H); output (T, N, num_directions · H).
Sequences of different lengths: pass a ``PackedSequence`` (``rnn_utils``) or,
a glassbox shortcut, ``lengths=`` with the padded batch: each sequence's h_n is
its state at its own last step, the outputs past its end are zero, and the
reverse direction starts at its own last step.
"""

from __future__ import annotations

import math
import numbers
import warnings

from glassbox import creation, dtypes
from glassbox.ops.movement import cat, stack
from glassbox.ops.recurrent import GRUSequence, LSTMSequence, RNNSequence
from glassbox.tensor import Tensor

from . import init
from .dropout import dropout as dropout_function
from .module import Module
from .parameter import Parameter
from .rnn_utils import PackedSequence, pack_padded_sequence, pad_packed_sequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---- one layer, one direction: the functional form of the primitives in glassbox.ops.recurrent ----
def _sequence(function, name: str, gates: int, input: Tensor, states: tuple, weights: tuple, batch_sizes,
              reverse: bool, **options) -> tuple:
    """Check the arguments, apply the primitive, slice its one result into (output, *final states)."""
    weight_ih, weight_hh, bias_ih, bias_hh = weights
    if (bias_ih is None) != (bias_hh is None):
        raise ValueError(f"{name}: give both biases (bias_ih and bias_hh) or neither")
    hidden = weight_hh.shape[-1]
    if input.ndim == 3:
        batch, batch_sizes = input.shape[1], (input.shape[1],) * input.shape[0]
    elif input.ndim == 2 and batch_sizes is not None:
        batch_sizes = tuple(int(size) for size in batch_sizes)
        batch = batch_sizes[0] if batch_sizes else 0
        if sum(batch_sizes) != input.shape[0] or any(b > a for a, b in zip(batch_sizes, batch_sizes[1:], strict=False)):
            raise ValueError(f"{name}: batch_sizes {list(batch_sizes)} must be non-increasing and add up to the "
                             f"{input.shape[0]} rows of the packed input")
    else:
        raise ValueError(f"{name}: expected an input of shape (T, N, input), or packed (total, input) with "
                         f"batch_sizes, got shape {tuple(input.shape)}")
    state_labels = ("h0", "c0")[:len(states)]
    expected = {"weight_ih": (gates * hidden, input.shape[-1]), "weight_hh": (gates * hidden, hidden)}
    expected.update({label: (batch, hidden) for label in state_labels})
    given = {"weight_ih": weight_ih, "weight_hh": weight_hh, **dict(zip(state_labels, states, strict=True))}
    if bias_ih is not None:
        expected.update(bias_ih=(gates * hidden,), bias_hh=(gates * hidden,))
        given.update(bias_ih=bias_ih, bias_hh=bias_hh)
    for label, tensor in given.items():
        if tuple(tensor.shape) != expected[label]:
            raise ValueError(f"{name}: {label} has shape {tuple(tensor.shape)}, expected {expected[label]} "
                             f"for an input of shape {tuple(input.shape)} and hidden size {hidden}")
    arrays = (weight_ih, weight_hh) if bias_ih is None else weights
    result = function.apply(input, *states, *arrays, batch_sizes=batch_sizes, reverse=reverse, **options)
    if input.ndim == 3:  # (T + states, N, H)
        steps = input.shape[0]
        return (result[:steps],) + tuple(result[steps + k] for k in range(len(states)))
    total = input.shape[0]  # (total + states · N, H)
    return (result[:total],) + tuple(result[total + k * batch:total + (k + 1) * batch] for k in range(len(states)))


def rnn_sequence(input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
                 bias_hh: Tensor | None = None, batch_sizes=None, reverse: bool = False,
                 nonlinearity: str = "tanh") -> tuple:
    """One direction of an Elman RNN layer over (T, N, input) or packed (total, input) → (output, h_n)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'")
    return _sequence(RNNSequence, "rnn_sequence", 1, input, (h0,), (weight_ih, weight_hh, bias_ih, bias_hh),
                     batch_sizes, reverse, nonlinearity=nonlinearity)


def lstm_sequence(input: Tensor, h0: Tensor, c0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                  bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, batch_sizes=None,
                  reverse: bool = False) -> tuple:
    """One direction of an LSTM layer over (T, N, input) or packed (total, input) → (output, h_n, c_n)."""
    return _sequence(LSTMSequence, "lstm_sequence", 4, input, (h0, c0), (weight_ih, weight_hh, bias_ih, bias_hh),
                     batch_sizes, reverse)


def gru_sequence(input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
                 bias_hh: Tensor | None = None, batch_sizes=None, reverse: bool = False) -> tuple:
    """One direction of a GRU layer over (T, N, input) or packed (total, input) → (output, h_n)."""
    return _sequence(GRUSequence, "gru_sequence", 3, input, (h0,), (weight_ih, weight_hh, bias_ih, bias_hh),
                     batch_sizes, reverse)



class RNNBase(Module):
    """Parameters, shapes and the loop over layers and directions shared by RNN, LSTM and GRU.

    For layer k and direction d (suffix "" or "_reverse"), PyTorch's names and layouts:
    weight_ih_l{k}{d} (G·H, input of the layer), weight_hh_l{k}{d} (G·H, H), bias_ih_l{k}{d} and
    bias_hh_l{k}{d} (G·H,), for G gates stacked in PyTorch's order; all drawn from U[-1/√H, 1/√H].
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the probability "
                             f"of an element being zeroed, got {dropout!r}")
        for label, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: {label} must be a positive integer, got {value!r}")
        if proj_size:
            if mode != "LSTM":
                raise ValueError(f"{name}: proj_size is only supported for LSTM, not RNN or GRU")
            raise NotImplementedError("LSTM: proj_size (LSTM with projections) is not implemented in glassbox; "
                                      "use proj_size=0")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        dtype = dtypes.as_dtype(dtype) or dtypes.default_float
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, Parameter(creation.zeros(*shape, dtype=dtype, device=device or "cpu")))
                    self._flat_weights_names.append(kind + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch packs the weights for cuDNN here; kept so that PyTorch code runs unchanged."""

    @property
    def all_weights(self) -> list:
        """The parameters of every layer and direction: [[W_ih, W_hh, b_ih, b_hh], …]."""
        per_layer = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[k:k + per_layer]] for k in range(0, len(names), per_layer)]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        for label, value, default in (("bias", self.bias, True), ("batch_first", self.batch_first, False),
                                      ("dropout", self.dropout, 0.0), ("bidirectional", self.bidirectional, False)):
            if value != default:
                text += f", {label}={value}"
        return text

    # ---- forward ------------------------------------------------------------------------------------------
    def forward(self, input, hx=None, lengths=None):
        """(output, h_n), or (output, (h_n, c_n)) for the LSTM; ``lengths`` marks a padded batch's real steps."""
        name = type(self).__name__
        padded_steps = None
        if lengths is not None:
            if isinstance(input, PackedSequence):
                raise ValueError(f"{name}: lengths= is for a padded batch; a PackedSequence carries its own")
            if input.ndim != 3:
                raise ValueError(f"{name}: lengths= needs a batched (3-D) input, got shape {tuple(input.shape)}")
            padded_steps = input.shape[1 if self.batch_first else 0]
            try:
                input = pack_padded_sequence(input, lengths, self.batch_first, enforce_sorted=False)
            except ValueError as error:
                raise ValueError(f"{name}, lengths=: {error}") from None
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batch_sizes_tuple = tuple(int(size) for size in batch_sizes.tolist())
            x, batch, unbatched = data, batch_sizes_tuple[0], False
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: expected a 3-D (batched) or 2-D (unbatched) input, got shape "
                                 f"{tuple(input.shape)}")
            unbatched = input.ndim == 2
            x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
            batch, batch_sizes_tuple, sorted_indices = x.shape[1], None, None  # x: (T, N, input_size)
            if x.shape[0] == 0:
                raise RuntimeError(f"{name}: expected a sequence of at least one step, got input shape "
                                   f"{tuple(input.shape)}")
        self._check_input(x, input)
        states = self._initial_states(hx, x, batch, unbatched)
        if sorted_indices is not None:  # the packed batch is sorted longest first; so must the states be
            states = [state.index_select(1, sorted_indices) for state in states]

        output, finals = self._run_layers(x, states, batch_sizes_tuple)
        if isinstance(input, PackedSequence):
            if sorted_indices is not None:
                finals = [final.index_select(1, unsorted_indices) for final in finals]
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
            if padded_steps is not None:
                output, _ = pad_packed_sequence(output, self.batch_first, total_length=padded_steps)
        elif unbatched:
            output, finals = output.squeeze(1), [final.squeeze(1) for final in finals]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, tuple(finals)) if self.mode == "LSTM" else (output, finals[0])

    def _run_layers(self, x, states, batch_sizes):
        """Every layer and direction in turn; returns the last layer's output and the stacked final states."""
        directions = 2 if self.bidirectional else 1
        per_direction = len(self._flat_weights_names) // (self.num_layers * directions)
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                weights = [getattr(self, n) for n in self._flat_weights_names[index * per_direction:
                                                                               (index + 1) * per_direction]]
                if not self.bias:
                    weights += [None, None]
                initial = [state[index] for state in states]
                reverse = direction == 1
                if self.mode == "LSTM":
                    result = lstm_sequence(x, *initial, *weights, batch_sizes=batch_sizes, reverse=reverse)
                elif self.mode == "GRU":
                    result = gru_sequence(x, *initial, *weights, batch_sizes=batch_sizes, reverse=reverse)
                else:
                    result = rnn_sequence(x, *initial, *weights, batch_sizes=batch_sizes, reverse=reverse,
                                          nonlinearity="tanh" if self.mode == "RNN_TANH" else "relu")
                outputs.append(result[0])
                for k, final in enumerate(result[1:]):
                    finals[k].append(final)
            x = outputs[0] if directions == 1 else cat(outputs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout_function(x, self.dropout, training=True)
        return x, [stack(final) for final in finals]

    def _check_input(self, x: Tensor, input) -> None:
        name = type(self).__name__
        shown = tuple(input.data.shape) if isinstance(input, PackedSequence) else tuple(input.shape)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has {x.shape[-1]} features in its last dimension (shape {shown}), "
                               f"expected input_size = {self.input_size}")
        if x.dtype != self.weight_ih_l0.dtype:
            raise RuntimeError(f"{name}: input dtype {x.dtype} differs from the weights' {self.weight_ih_l0.dtype}; "
                               f"convert one of them (module.double() or input.float())")

    def _initial_states(self, hx, x: Tensor, batch: int, unbatched: bool) -> list:
        """[h0] or [h0, c0], each (num_layers · num_directions, N, H); zeros where not given."""
        name = type(self).__name__
        labels = ("h0", "c0") if self.mode == "LSTM" else ("h0",)
        if self.mode == "LSTM" and hx is not None and not (isinstance(hx, tuple | list) and len(hx) == 2):
            raise TypeError(f"{name}: hx must be a tuple (h0, c0), got {type(hx).__name__}")
        given = (hx if self.mode == "LSTM" else (hx,)) if hx is not None else (None,) * len(labels)
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        states = []
        for label, state in zip(labels, given, strict=True):
            if state is None:
                states.append(creation.zeros(*expected, dtype=x.dtype, device=x.device))
                continue
            want = (expected[0], expected[2]) if unbatched else expected
            if tuple(state.shape) != want:
                raise RuntimeError(f"{name}: {label} has shape {tuple(state.shape)}, expected {want} = "
                                   f"(num_layers · num_directions, {'' if unbatched else 'batch, '}hidden_size)")
            if state.dtype != x.dtype:
                raise RuntimeError(f"{name}: {label} dtype {state.dtype} differs from the input's {x.dtype}")
            states.append(state.unsqueeze(1) if unbatched else state)
        return states


class RNN(RNNBase):
    """Elman RNN, each layer and direction:

        h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)          (``nonlinearity='relu'``: ReLU)

    The notes' o_t = f(x_t w + o_{t-1} w'), with the biases PyTorch adds. Returns (output, h_n).
    Trained by backpropagation through time, in the backward of ``glassbox.ops.recurrent.RNNSequence``:
    dL/dh_{t-1} = (dL/dh_t ⊙ act'(a_t)) W_hh, one factor W_hh per step, which is why the gradient
    of early steps vanishes (or explodes) over long sequences.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)


class LSTM(RNNBase):
    """Long short-term memory, each layer and direction (gates stacked i, f, g, o, as PyTorch):

        i = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate: how much of the candidate to write
        f = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate: how much of the old cell to keep
        g = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate
        o = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
        c_t = f ⊙ c_{t-1} + i ⊙ g                         h_t = o ⊙ tanh(c_t)

    The cell path is additive: dc_{t-1} = f ⊙ dc_t, with no weight matrix and no squashing in
    between, so while the forget gate stays open the gradient reaches early steps instead of
    vanishing. BPTT runs in the backward of ``glassbox.ops.recurrent.LSTMSequence``, one reverse
    loop over the steps. Returns (output, (h_n, c_n)); ``proj_size`` is not implemented.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit. The notes write it (update gate z_t, reset gate r_t, candidate h̃_t):

        z_t = σ(W_z x_t + U_z h_{t-1} + b_z)          r_t = σ(W_r x_t + U_r h_{t-1} + b_r)
        h̃_t = tanh(W_h x_t + U_h (r_t ⊙ h_{t-1}) + b_h)
        h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t

    PyTorch, and so glassbox (for PyTorch weights to load unchanged), computes with gates stacked
    r, z, n:

        r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)      z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    How they map: n is the candidate h̃_t; PyTorch's z is the notes' 1 - z_t (it weighs the old
    state, not the candidate), so both say "h_t interpolates between h_{t-1} and the candidate";
    and the reset gate multiplies the hidden product, r ⊙ (W_hn h + b_hn), instead of the state
    inside it, U_h (r ⊙ h) (the variant cuDNN uses: W_hh h_{t-1} is then one product for all three
    gates). Two biases per gate (b_i·, b_h·) where the notes have one; for r and z only their sum
    matters. Returns (output, h_n).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)
