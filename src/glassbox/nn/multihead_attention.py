"""Multi-head attention (Vaswani et al., 2017): h scaled dot-product attentions side by side, each on its own
learned projection of the queries, keys and values, their results concatenated and projected back:

    head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)            W_i^Q, W_i^K, W_i^V: (E, E/h)
    MultiHead(Q, K, V) = Concat(head_1, …, head_h) W^O        W^O: (E, E)

Each head can attend to something different (one to the previous word, one to the subject …) at the cost
of one attention of full width: the h projections are one matrix product and the h attentions one batched
product over (batch · heads).

Parameters and their layout are PyTorch's, so its weights load unchanged: ``in_proj_weight`` (3E, E) holds
[W^Q; W^K; W^V] as rows (in each, rows i·E/h … (i+1)·E/h are head i's), ``in_proj_bias`` (3E,), and
``out_proj`` a Linear(E, E). When the keys or values have another width (``kdim``, ``vdim``) the three
projections are separate: ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim).

Masks follow ``torch.nn.MultiheadAttention``: boolean masks are True where attention is NOT allowed
(``key_padding_mask`` (N, S): padded keys; ``attn_mask`` (L, S) or (N·h, L, S)), float masks are added
to the scores. A query whose keys are all masked gets weights 0 and output ``out_proj.bias`` (PyTorch gives
that with ``need_weights=False``, NaN with ``need_weights=True``).
"""

from __future__ import annotations

from glassbox import creation, dtypes
from glassbox.ops import movement, reduce
from glassbox.tensor import Tensor

from . import init
from .attention import additive_mask, attention_core, attention_weights, causal_bias
from .dropout import dropout as dropout_function
from .linear import Linear, linear
from .module import Module
from .parameter import Parameter


def _split_heads(projection: Tensor, count: int, heads: int, batch_first: bool) -> Tensor:
    """(N, T, count·E) or (T, N, count·E) → (N, h, T, E/h), or (count, N, h, T, E/h) stacked when count > 1:
    views of the projection, so nothing is copied."""
    first, second, width = projection.shape
    head_dim = width // (count * heads)
    if count == 1:
        split = movement.reshape(projection, first, second, heads, head_dim)
        return movement.permute(split, (0, 2, 1, 3) if batch_first else (1, 2, 0, 3))
    split = movement.reshape(projection, first, second, count, heads, head_dim)
    return movement.permute(split, (2, 0, 3, 1, 4) if batch_first else (2, 1, 3, 0, 4))


def _check_mask_shape(mask, expected: tuple, name: str) -> None:
    if mask is not None and tuple(mask.shape) not in expected:
        wanted = " or ".join(str(shape) for shape in expected)
        raise RuntimeError(f"MultiheadAttention: {name} has shape {tuple(mask.shape)}, expected {wanted}")


def _projections(query, key, value, embed_dim, in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight,
                 v_proj_weight):
    """The Q, K, V projections, each (…, E); one GEMM when query, key and value are one tensor."""
    if in_proj_weight is not None:
        weights = (in_proj_weight[:embed_dim], in_proj_weight[embed_dim:2 * embed_dim],
                   in_proj_weight[2 * embed_dim:])
    else:
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    if in_proj_bias is None:
        biases = (None, None, None)
    else:
        biases = (in_proj_bias[:embed_dim], in_proj_bias[embed_dim:2 * embed_dim], in_proj_bias[2 * embed_dim:])
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases, strict=True))


def multi_head_attention(query: Tensor, key: Tensor, value: Tensor, embed_dim: int, num_heads: int,
                         in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                         bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
                         out_proj_bias: Tensor | None, training: bool = True, key_padding_mask=None,
                         need_weights: bool = True, attn_mask=None, q_proj_weight: Tensor | None = None,
                         k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
                         average_attn_weights: bool = True, is_causal: bool = False, batch_first: bool = False):
    """MultiHead(Q, K, V) on (L, N, E) inputs, or (N, L, E) with ``batch_first``, or unbatched (L, E);
    returns ``(output, weights or None)`` as ``MultiheadAttention.forward``."""
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise RuntimeError(f"MultiheadAttention: expected query, key and value all 3-D (batched) or all 2-D "
                           f"(unbatched), got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    is_batched = query.ndim == 3
    heads = num_heads
    if not is_batched:  # one sequence: a batch of one, batch first
        same_kv, same_qkv = key is value, query is key and key is value
        query = movement.unsqueeze(query, 0)
        key = query if same_qkv else movement.unsqueeze(key, 0)
        value = key if same_kv else movement.unsqueeze(value, 0)
        if key_padding_mask is not None:
            _check_mask_shape(key_padding_mask, [(key.shape[1],)], "key_padding_mask (unbatched)")
            key_padding_mask = key_padding_mask.reshape(1, -1)
        batch_first = True
    batch_axis, sequence_axis = (0, 1) if batch_first else (1, 0)
    batch, target_length, source_length = query.shape[batch_axis], query.shape[sequence_axis], key.shape[sequence_axis]
    head_dim = embed_dim // heads
    if head_dim * heads != embed_dim:
        raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} is not divisible by num_heads {heads}")
    if query.shape[-1] != embed_dim:
        raise RuntimeError(f"MultiheadAttention: expected the query's last dimension to be embed_dim = {embed_dim}, "
                           f"got shape {tuple(query.shape)}")
    if key.shape[batch_axis] != batch or value.shape[batch_axis] != batch or value.shape[sequence_axis] != \
            source_length:
        layout = "(N, S, ·)" if batch_first else "(S, N, ·)"
        raise RuntimeError(f"MultiheadAttention: key {tuple(key.shape)} and value {tuple(value.shape)} must both be "
                           f"{layout} with the query's batch size N = {batch}")
    extra_keys = int(bias_k is not None) + int(add_zero_attn)
    if (bias_k is None) != (bias_v is None):
        raise RuntimeError("MultiheadAttention: bias_k and bias_v must be given together")

    # ---- masks: all additive, merged into one (N, h, L, S) bias (broadcast where a dimension is shared)
    if is_causal and attn_mask is None:
        raise RuntimeError("MultiheadAttention: is_causal=True needs attn_mask (the causal mask it hints at): "
                           "use Transformer.generate_square_subsequent_mask(L) to create it")
    _check_mask_shape(key_padding_mask, [(batch, source_length)], "key_padding_mask")
    _check_mask_shape(attn_mask, [(target_length, source_length), (batch * heads, target_length, source_length)],
                      "attn_mask")
    use_causal = is_causal and key_padding_mask is None and not need_weights
    merged = None
    if use_causal:  # attn_mask is only a hint here: PyTorch builds the causal mask itself
        merged = Tensor._wrap(causal_bias(target_length, source_length + extra_keys, query.dtype, query.device))
    elif attn_mask is not None:
        attention = additive_mask(attn_mask, query.dtype, masked_value=True, device=query.device)
        if extra_keys:
            attention = movement.pad(attention, (0, extra_keys))
        merged = movement.reshape(attention, (1, 1) + attention.shape if attention.ndim == 2 else
                                  (batch, heads) + attention.shape[1:])
    if key_padding_mask is not None:
        padding = additive_mask(key_padding_mask, query.dtype, masked_value=True, device=query.device)
        if extra_keys:
            padding = movement.pad(padding, (0, extra_keys))
        padding = movement.reshape(padding, batch, 1, 1, source_length + extra_keys)
        merged = padding if merged is None else merged + padding

    # ---- projections, split into heads (views)
    packed = in_proj_weight is not None and bias_k is None and not add_zero_attn
    if packed and query is key and key is value:
        projection = linear(query, in_proj_weight, in_proj_bias)  # (…, 3E): Q, K, V in one GEMM
        inputs, groups = (_split_heads(projection, 3, heads, batch_first),), (3,)
    elif packed and key is value:
        bias_q, bias_kv = (None, None) if in_proj_bias is None else (in_proj_bias[:embed_dim],
                                                                     in_proj_bias[embed_dim:])
        projected_query = linear(query, in_proj_weight[:embed_dim], bias_q)
        projected_kv = linear(key, in_proj_weight[embed_dim:], bias_kv)  # (…, 2E): K and V in one GEMM
        inputs = (_split_heads(projected_query, 1, heads, batch_first),
                  _split_heads(projected_kv, 2, heads, batch_first))
        groups = (1, 2)
    else:
        q, k, v = _projections(query, key, value, embed_dim, in_proj_weight, in_proj_bias, q_proj_weight,
                               k_proj_weight, v_proj_weight)
        if bias_k is not None:  # one more key and value, learned, that every query can attend to
            shape = (batch, 1, embed_dim) if batch_first else (1, batch, embed_dim)
            k = movement.cat([k, movement.expand(bias_k, *shape)], dim=sequence_axis)
            v = movement.cat([v, movement.expand(bias_v, *shape)], dim=sequence_axis)
        if add_zero_attn:  # and one of zeros
            shape = list(k.shape)
            shape[sequence_axis] = 1
            zeros = creation.zeros(*shape, dtype=k.dtype, device=k.device)
            k, v = movement.cat([k, zeros], dim=sequence_axis), movement.cat([v, zeros], dim=sequence_axis)
        inputs, groups = tuple(_split_heads(t, 1, heads, batch_first) for t in (q, k, v)), (1, 1, 1)

    # ---- attention over (N, h) at once, then the heads side by side and the output projection
    scale = head_dim ** -0.5
    dropout_p = dropout_p if training else 0.0
    weights = None
    if need_weights:
        q, k, v = [part for tensor, count in zip(inputs, groups, strict=True)
                   for part in ([tensor] if count == 1 else [tensor[i] for i in range(count)])]
        weights = attention_weights(q, k, merged, scale)  # (N, h, L, S)
        if dropout_p > 0.0:
            weights = dropout_function(weights, dropout_p, training=True)
        heads_output = weights @ v  # (N, h, L, E/h)
    else:
        # the output laid out (N, L, h, E/h) or (L, N, h, E/h) in memory: merging the heads is a free reshape
        heads_output = attention_core(inputs, groups, merged, scale, dropout_p,
                                      output_order=(0, 2, 1, 3) if batch_first else (2, 0, 1, 3))
    merged_heads = movement.permute(heads_output, (0, 2, 1, 3) if batch_first else (2, 0, 1, 3))
    first, second = merged_heads.shape[:2]
    output = linear(movement.reshape(merged_heads, first, second, embed_dim), out_proj_weight, out_proj_bias)
    if weights is not None and average_attn_weights:
        weights = reduce.mean(weights, 1)
    if not is_batched:
        output = movement.squeeze(output, 0)
        weights = movement.squeeze(weights, 0) if weights is not None else None
    return output, weights


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """``torch.nn.functional.multi_head_attention_forward``: sequence-first (L, N, E) or unbatched (L, E)."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k and static_v are not supported; "
                                  "pass the keys and values themselves")
    if use_separate_proj_weight:
        in_proj_weight = None
    elif in_proj_weight is None:
        raise RuntimeError("multi_head_attention_forward: use_separate_proj_weight is False but in_proj_weight "
                           "is None")
    return multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
                                key_padding_mask, need_weights, attn_mask, q_proj_weight, k_proj_weight,
                                v_proj_weight, average_attn_weights, is_causal, batch_first=False)


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's arguments, parameters and masks (see the module docstring).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``: the weights (N, L, S)
    averaged over the heads, or (N, h, L, S) per head, or None when ``need_weights=False`` (the fast
    path: one fused primitive for the attention). ``dropout`` drops attention weights in training.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be positive, got embed_dim="
                             f"{embed_dim} and num_heads={num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads "
                             f"{num_heads} (each head gets embed_dim / num_heads features)")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        dtype = dtypes.as_dtype(dtype) or dtypes.default_float
        device = device or "cpu"

        def parameter(*shape):
            return Parameter(creation.zeros(*shape, dtype=dtype, device=device))

        if not self._qkv_same_embed_dim:
            self.q_proj_weight = parameter(embed_dim, embed_dim)
            self.k_proj_weight = parameter(embed_dim, self.kdim)
            self.v_proj_weight = parameter(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = parameter(3 * embed_dim, embed_dim)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = parameter(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = parameter(1, 1, embed_dim)
            self.bias_v = parameter(1, 1, embed_dim)
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's initialisation: Xavier-uniform projections, zero biases (the output projection's too)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        expected_key, expected_value = self.kdim, self.vdim
        if key.shape[-1:] != (expected_key,) or value.shape[-1:] != (expected_value,):
            raise RuntimeError(f"MultiheadAttention: expected key (…, kdim = {expected_key}) and value (…, vdim = "
                               f"{expected_value}), got shapes {tuple(key.shape)} and {tuple(value.shape)}")
        return multi_head_attention(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights, is_causal=is_causal,
            batch_first=self.batch_first)

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")
