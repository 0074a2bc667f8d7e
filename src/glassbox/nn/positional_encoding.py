"""Positional encodings: telling a transformer where each token is.

Attention by itself treats its input as a set: shuffle the tokens and the outputs shuffle with them. The
order has to be written into the input, by adding to each token's embedding a vector for its position.

Sinusoidal (Vaswani et al., 2017), fixed, for position pos and feature pair i:

    PE(pos, 2i)   = sin(pos / 10000^(2i/d))
    PE(pos, 2i+1) = cos(pos / 10000^(2i/d))

Each pair of features is a clock turning at its own speed, wavelengths 2π … 10000·2π. PE(pos + k) is a
rotation of PE(pos), the same for every pos, so attending to a relative offset is easy; and any length
has an encoding, even one never seen in training.

Learned (BERT, GPT-2): a table of ``max_len`` vectors, one per position, trained with the rest of the
model, like word embeddings; it knows no position beyond ``max_len``.

Both add their vectors to the input, ``x + P[offset : offset + L]`` (``offset``: the position of the
first token, for a sequence that continues an earlier one), then apply dropout.
"""

from __future__ import annotations

import numpy

from glassbox import backend, creation, dtypes
from glassbox.ops import movement
from glassbox.tensor import Tensor

from . import init
from .dropout import Dropout
from .module import Module
from .parameter import Parameter


def sinusoidal_positional_encoding(length: int, d_model: int, dtype=None, device="cpu") -> Tensor:
    """The (length, d_model) table PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)).

    Computed in float64 and then cast, so float32 tables are correctly rounded. An odd ``d_model`` ends
    with a sine column.
    """
    if length < 0 or d_model <= 0:
        raise ValueError(f"sinusoidal_positional_encoding: needs length >= 0 and d_model > 0, got length={length}, "
                         f"d_model={d_model}")
    position = numpy.arange(length, dtype=numpy.float64)[:, None]  # (L, 1)
    pair = numpy.arange(0, d_model, 2, dtype=numpy.float64)  # 2i for every pair
    angle = position / 10000.0 ** (pair / d_model)  # (L, ceil(d/2))
    table = numpy.empty((length, d_model), dtype=numpy.float64)
    table[:, 0::2] = numpy.sin(angle)
    table[:, 1::2] = numpy.cos(angle[:, : d_model // 2])
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    return Tensor._wrap(backend.to_device(table.astype(dtype), backend.normalize_device(device)))


def _positions(table: Tensor, input: Tensor, offset: int, batch_first: bool, name: str) -> Tensor:
    """Rows offset … offset + L of the (max_len, d) ``table``, shaped to broadcast against ``input``."""
    if input.ndim not in (2, 3):
        raise ValueError(f"{name}: expected an input (L, N, d), (N, L, d) with batch_first, or (L, d), got shape "
                         f"{tuple(input.shape)}")
    max_len, d_model = table.shape
    if input.shape[-1] != d_model:
        raise ValueError(f"{name}: expected inputs with d_model = {d_model} features, got shape {tuple(input.shape)}")
    length = input.shape[1] if input.ndim == 3 and batch_first else input.shape[0]
    if offset < 0 or offset + length > max_len:
        raise ValueError(f"{name}: positions {offset} … {offset + length - 1} asked for, the table holds 0 … "
                         f"{max_len - 1} (max_len = {max_len}); build it with a larger max_len")
    rows = table[offset:offset + length]  # (L, d)
    if input.ndim == 3 and not batch_first:
        rows = movement.unsqueeze(rows, 1)  # (L, 1, d): the same vector for every sequence of the batch
    return rows


class SinusoidalPositionalEncoding(Module):
    """Adds the fixed sinusoidal encodings (see the module docstring) to (L, N, d), (N, L, d) or (L, d) inputs.

    The table is the buffer ``pe`` of shape (max_len, 1, d_model), as in PyTorch's transformer tutorial
    (``PositionalEncoding``), so a state_dict saved from that module loads here unchanged.
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0, batch_first: bool = False,
                 device=None, dtype=None):
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        table = sinusoidal_positional_encoding(max_len, d_model, dtype=dtype, device=device)
        self.register_buffer("pe", movement.unsqueeze(table, 1))
        self.dropout = Dropout(dropout)

    def forward(self, input: Tensor, offset: int = 0) -> Tensor:
        table = movement.squeeze(self.pe, 1)  # (max_len, d)
        return self.dropout(input + _positions(table, input, offset, self.batch_first, "SinusoidalPositionalEncoding"))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEmbedding(Module):
    """Adds a learned vector per position: ``weight`` (max_len, d_model), row p for position p.

    Initialised N(0, 0.02²) as in BERT and GPT-2: small beside unit-scale word embeddings, so that the
    positions do not drown the words at the start of training.
    """

    def __init__(self, max_len: int, d_model: int, dropout: float = 0.0, batch_first: bool = False, device=None,
                 dtype=None):
        super().__init__()
        self.max_len, self.d_model, self.batch_first = max_len, d_model, batch_first
        dtype = dtypes.as_dtype(dtype) or dtypes.default_float
        self.weight = Parameter(creation.zeros(max_len, d_model, dtype=dtype, device=device or "cpu"))
        self.dropout = Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight, std=0.02)

    def forward(self, input: Tensor, offset: int = 0) -> Tensor:
        return self.dropout(input + _positions(self.weight, input, offset, self.batch_first,
                                               "LearnedPositionalEmbedding"))

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, d_model={self.d_model}, batch_first={self.batch_first}"

