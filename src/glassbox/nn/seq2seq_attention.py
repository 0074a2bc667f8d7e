"""Attention for encoder-decoder RNNs: which source words should the decoder look at now?

The notes (seq2seq with a bidirectional-LSTM encoder): at output step i the decoder scores every encoder
annotation h_j against its state s, turns the scores into weights that sum to one and reads the
weighted average, the context vector:

    e_ij = score(s_i, h_j)                    α_ij = exp(e_ij) / Σ_k exp(e_ik)            c_i = Σ_j α_ij h_j

The two classic scores:

    additive (Bahdanau et al., 2015):         e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j)      a small feed-forward net
    multiplicative (Luong et al., 2015):      dot:     e_ij = s_iᵀ h_j
                                              general: e_ij = s_iᵀ W_a h_j

Bahdanau scores with the previous decoder state s_{i-1} and feeds c_i into the step; Luong scores with
the new state s_i and combines c_i with it after the step. The modules only compute (c, α); which state
is passed in is the decoder's choice.

Padded source positions (``key_padding_mask`` True, as in ``MultiheadAttention``) get weight exactly 0,
and the weights of the others still sum to 1. The backward pass is the softmax's, α ⊙ (g - Σ g α),
composed with the score's own ops.
"""

from __future__ import annotations

from glassbox.ops import movement, unary
from glassbox.tensor import Tensor

from .attention import masked_softmax
from .linear import Linear
from .module import Module


def _prepare(name: str, query: Tensor, keys: Tensor, values: Tensor | None, key_padding_mask,
             query_size: int, key_size: int):
    """Checks shapes; returns the query as (N, T, ·) with a flag to squeeze T back, values and the mask (N, 1, S)."""
    if query.ndim not in (2, 3) or query.shape[-1] != query_size:
        raise ValueError(f"{name}: expected a query (N, {query_size}) or (N, T, {query_size}), got shape "
                         f"{tuple(query.shape)}")
    if keys.ndim != 3 or keys.shape[-1] != key_size or keys.shape[0] != query.shape[0]:
        raise ValueError(f"{name}: expected keys (N, S, {key_size}) with the query's N = {query.shape[0]}, got shape "
                         f"{tuple(keys.shape)}")
    values = keys if values is None else values
    if values.ndim != 3 or values.shape[:2] != keys.shape[:2]:
        raise ValueError(f"{name}: expected values (N, S, ·) = ({keys.shape[0]}, {keys.shape[1]}, ·) like the keys, "
                         f"got shape {tuple(values.shape)}")
    single_step = query.ndim == 2
    if single_step:
        query = movement.unsqueeze(query, 1)  # (N, 1, Q)
    mask = None
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != tuple(keys.shape[:2]):
            raise ValueError(f"{name}: key_padding_mask should have shape (N, S) = {tuple(keys.shape[:2])}, got "
                             f"{tuple(key_padding_mask.shape)}")
        mask = key_padding_mask.reshape(keys.shape[0], 1, keys.shape[1])  # (N, 1, S): the same for every step
    return query, values, mask, single_step


def _weigh(scores: Tensor, values: Tensor, mask, single_step: bool):
    """α = softmax over the source (padding masked), c = α V; squeezes the step axis for a single query."""
    weights = masked_softmax(scores, mask)  # (N, T, S)
    context = weights @ values  # (N, T, V)
    if single_step:
        return movement.squeeze(context, 1), movement.squeeze(weights, 1)
    return context, weights


class BahdanauAttention(Module):
    """Additive attention: e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j) (+ b_a inside the tanh with ``bias=True``).

    W_a is ``query_projection`` (query_size → hidden_size), U_a ``key_projection`` (key_size → hidden_size)
    and v_a ``score_vector`` (hidden_size → 1), all Linear layers (weights as PyTorch's Linear).

    ``forward(query, keys, values=None, key_padding_mask=None)``: query (N, query_size) for one decoder step
    or (N, T, query_size) for T steps at once; keys (N, S, key_size); values default to the keys. Returns
    ``(context, weights)``: (N, V) and (N, S), or (N, T, V) and (N, T, S).
    """

    def __init__(self, query_size: int, key_size: int, hidden_size: int, bias: bool = False, device=None,
                 dtype=None):
        super().__init__()
        self.query_size, self.key_size, self.hidden_size = query_size, key_size, hidden_size
        factory = {"device": device, "dtype": dtype}
        self.query_projection = Linear(query_size, hidden_size, bias=False, **factory)
        self.key_projection = Linear(key_size, hidden_size, bias=bias, **factory)
        self.score_vector = Linear(hidden_size, 1, bias=False, **factory)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None, key_padding_mask=None):
        query, values, mask, single_step = _prepare("BahdanauAttention", query, keys, values, key_padding_mask,
                                                    self.query_size, self.key_size)
        projected_query = movement.unsqueeze(self.query_projection(query), 2)  # (N, T, 1, H)
        projected_keys = movement.unsqueeze(self.key_projection(keys), 1)  # (N, 1, S, H)
        hidden = unary.tanh(projected_query + projected_keys)  # (N, T, S, H)
        scores = movement.squeeze(self.score_vector(hidden), -1)  # (N, T, S)
        return _weigh(scores, values, mask, single_step)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}, hidden_size={self.hidden_size}"


class LuongAttention(Module):
    """Multiplicative attention: ``score="dot"``: e_ij = s_iᵀ h_j (query_size = key_size, no parameters);
    ``score="general"``: e_ij = s_iᵀ W_a h_j, W_a being ``key_projection`` (key_size → query_size, no bias).

    ``forward`` as ``BahdanauAttention.forward``.
    """

    def __init__(self, query_size: int, key_size: int | None = None, score: str = "general", device=None,
                 dtype=None):
        super().__init__()
        key_size = query_size if key_size is None else key_size
        if score not in ("dot", "general"):
            raise ValueError(f"LuongAttention: score must be 'dot' or 'general', got {score!r}")
        if score == "dot" and key_size != query_size:
            raise ValueError(f"LuongAttention: the dot score needs query_size = key_size, got {query_size} and "
                             f"{key_size}; use score='general' to learn a map between them")
        self.query_size, self.key_size, self.score = query_size, key_size, score
        if score == "general":
            self.key_projection = Linear(key_size, query_size, bias=False, device=device, dtype=dtype)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None, key_padding_mask=None):
        query, values, mask, single_step = _prepare("LuongAttention", query, keys, values, key_padding_mask,
                                                    self.query_size, self.key_size)
        projected_keys = self.key_projection(keys) if self.score == "general" else keys  # (N, S, Q)
        scores = query @ movement.transpose(projected_keys, 1, 2)  # (N, T, S)
        return _weigh(scores, values, mask, single_step)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}, score={self.score!r}"
