"""Attention: an average of values, weighted by how well each key matches the query.

The notes' seq2seq attention: a decoder step i looks at every encoder annotation
h_j, scores it, turns the scores into weights with a softmax and averages:

    e_ij = a(s_{i-1}, h_j)                       how well h_j fits what the decoder needs
    α_ij = exp(e_ij) / Σ_k exp(e_ik)             the weights of step i sum to 1
    c_i  = Σ_j α_ij h_j                          the context vector

Scaled dot-product attention (Vaswani et al., 2017, "Attention is all you need")
scores a query q_i against a key k_j by their dot product and averages values v_j:

    Attention(Q, K, V) = softmax(Q Kᵀ · scale + M) V          scale = 1/√d_k by default

Q: (…, L, d_k) queries, K: (…, S, d_k) keys, V: (…, S, d_v) values; the mask M
(…, L, S) adds -inf where a query may not look (padding, the future) and any
learned bias elsewhere. Self-attention is the case Q, K, V all computed from the
same sequence. A query whose keys are all masked attends to nothing: its weights
are 0 and its output 0 (PyTorch's ``scaled_dot_product_attention`` does the same).

The whole of it (two batched matrix products, the masked softmax and dropout on
the weights) is one primitive with the analytic backward, with W the weights and
W' = dropout(W) the ones that multiplied V:

    dV = W'ᵀ dO      dW = (dO Vᵀ) ⊙ keep / (1 - p)      dS = W ⊙ (dW - rowsum(dW ⊙ W))
    dQ = dS K · scale      dK = dSᵀ Q · scale      dM = dS   (for a float mask that is learned)

so the (…, L, S) score matrix is stored once (as W) rather than once per
composed op. Masks follow ``torch.nn.functional.scaled_dot_product_attention``:
a boolean ``attn_mask`` is True where a query MAY attend (the opposite of
``MultiheadAttention``'s masks), a float one is added to the scores.
"""

from __future__ import annotations

import math

import numpy

from glassbox import backend
from glassbox import random as gb_random
from glassbox.autograd import Function
from glassbox.ops import movement
from glassbox.ops.reduce import extremum_along
from glassbox.tensor import Tensor

from .dropout import dropout as dropout_function

_NEGATIVE_INFINITY = float("-inf")


# ---- the masked softmax, on arrays ---------------------------------------------------------------------
def softmax_rows_(scores, bias=None):
    """``scores`` ← softmax(scores + bias) over the last axis, in place; rows whose every entry is -inf
    (a query with all its keys masked) become 0 rather than 0/0."""
    xp = backend.module_of(scores)
    if bias is not None:
        scores += bias
    row_max = extremum_along(scores, scores.ndim - 1)
    masked_rows = row_max == _NEGATIVE_INFINITY
    any_masked_row = bool(masked_rows.any())
    if any_masked_row:
        row_max[masked_rows] = 0.0  # exp(-inf - 0) = 0 everywhere in the row
    scores -= row_max
    xp.exp(scores, out=scores)
    row_sum = scores.sum(axis=-1, keepdims=True)
    if any_masked_row:
        row_sum[masked_rows] = 1.0
    scores *= 1.0 / row_sum  # one reciprocal per row, then a multiply per element
    return scores


def softmax_rows_backward_(grad_weights, weights):
    """dS = W ⊙ (dW - rowsum(dW ⊙ W)), written into ``grad_weights``."""
    row_dot = (grad_weights * weights).sum(axis=-1, keepdims=True)
    grad_weights -= row_dot
    grad_weights *= weights
    return grad_weights


class MaskedSoftmax(Function):
    """softmax(scores + bias) over the last axis, bias an additive mask (0 or -inf, or any float)."""

    def forward(self, scores, *learned_bias, bias):
        weights = scores + bias if bias is not None else scores.copy()
        if learned_bias:
            weights += learned_bias[0]
        self.weights = softmax_rows_(weights)
        return self.weights

    def backward(self, grad):
        grad_scores = softmax_rows_backward_(grad.copy(), self.weights)
        if len(self.needs_input_grad) == 1:
            return grad_scores
        return grad_scores, grad_scores  # d(scores + bias)/d bias = 1; the engine sums it to the bias's shape


def masked_softmax(scores: Tensor, bias=None) -> Tensor:
    """softmax(scores + bias) over the last dimension, rows with every entry masked (-inf) giving 0.

    ``bias``: None, an additive float mask (array or tensor, broadcast against ``scores``; a tensor that
    requires grad receives dL/dbias), or a boolean tensor/array that is True where an entry is masked out.
    """
    if bias is None:
        return MaskedSoftmax.apply(scores, bias=None)
    bias = additive_mask(bias, scores.dtype, masked_value=True, device=scores.device)
    try:
        broadcast = numpy.broadcast_shapes(tuple(bias.shape), tuple(scores.shape))
    except ValueError:
        broadcast = None
    if broadcast != tuple(scores.shape):
        raise RuntimeError(f"masked_softmax: mask of shape {tuple(bias.shape)} does not broadcast to the scores' "
                           f"shape {tuple(scores.shape)}")
    if bias.requires_grad:
        return MaskedSoftmax.apply(scores, bias, bias=None)
    return MaskedSoftmax.apply(scores, bias=bias.data)


# ---- masks ---------------------------------------------------------------------------------------------
def additive_mask(mask, dtype, masked_value: bool, device: str = "cpu") -> Tensor:
    """A mask as a float tensor to add to the scores: booleans become -inf where ``mask == masked_value`` and
    0 elsewhere; float masks are kept (so a learned one keeps its gradient), cast to ``dtype`` if need be.
    A mask given as an array or a list is put on ``device`` (the scores'); a tensor must already be there."""
    if isinstance(mask, Tensor):
        if mask.device != device:
            raise RuntimeError(f"attention: the mask is on {mask.device}, the scores on {device}: create it with "
                               f"device={device!r} or move it with .to({device!r})")
        array = mask.data
    else:
        array = backend.to_device(backend.module_of(mask).asarray(mask), device)
    xp = backend.module_of(array)
    if array.dtype == bool:
        masked = array if masked_value else ~array
        return Tensor._wrap(xp.where(masked, xp.asarray(_NEGATIVE_INFINITY, dtype=dtype), xp.asarray(0, dtype=dtype)))
    if array.dtype.kind != "f":
        raise TypeError(f"attention masks must be boolean or floating point, got dtype {array.dtype}")
    if isinstance(mask, Tensor) and mask.requires_grad:
        return mask if mask.dtype == dtype else mask.to(dtype)
    return Tensor._wrap(array.astype(dtype, copy=False))


def causal_bias(target_length: int, source_length: int, dtype, device: str = "cpu"):
    """(L, S) array: 0 where key j ≤ query i (the past and present), -inf above the diagonal (the future)."""
    xp = backend.array_module(device)
    future = xp.triu(xp.ones((target_length, source_length), dtype=bool), k=1)
    return xp.where(future, xp.asarray(_NEGATIVE_INFINITY, dtype=dtype), xp.asarray(0, dtype=dtype))


# ---- the fused primitive -------------------------------------------------------------------------------
class ScaledDotProductAttentionFunction(Function):
    """O = dropout(softmax(Q Kᵀ · scale + bias)) V over all leading (batch, head) dimensions at once.

    ``groups`` says how the inputs carry Q, K, V: (1, 1, 1) three tensors; (3,) one tensor stacking all
    three on a new leading axis (self-attention's packed projection, whose gradient is then written into
    one array in the projection's own memory layout); (1, 2) Q, then K and V stacked. A float mask that
    needs a gradient comes last among the inputs; any other mask is the array ``bias``. ``output_order``
    is the memory order of the output's axes (multi-head attention asks for heads next to features, so
    that merging the heads is a free reshape).
    """

    def forward(self, *inputs, groups, bias, scale, dropout_p, output_order):
        query, key, value = _unpack(inputs, groups)
        xp = backend.module_of(query)
        self.groups, self.scale, self.stacked = groups, scale, inputs[:len(groups)]
        # contiguous operands (a scaled copy of Q, copies of K and V when they are views of a packed
        # projection): the batched products run markedly faster on them than on strided views
        scaled_query = query * scale  # (…, L, d_k)
        key, value = xp.ascontiguousarray(key), xp.ascontiguousarray(value)
        scores = scaled_query @ key.swapaxes(-1, -2)  # (…, L, S)
        if len(inputs) > len(groups):
            scores += inputs[-1]
        weights = softmax_rows_(scores, bias)
        kept = weights
        self.keep = None
        if dropout_p > 0.0:
            draws = gb_random.generator(backend.device_of(weights)).random(weights.shape, dtype=weights.dtype)
            self.keep = (draws >= dropout_p) * weights.dtype.type(1.0 / (1.0 - dropout_p))
            kept = weights * self.keep
        shape = kept.shape[:-1] + value.shape[-1:]  # (…, L, d_v)
        if output_order is None or len(output_order) != len(shape):
            output = kept @ value
        else:
            layout = xp.empty(tuple(shape[axis] for axis in output_order), dtype=weights.dtype)
            output = layout.transpose(tuple(output_order.index(axis) for axis in range(len(shape))))
            xp.matmul(kept, value, out=output)
        self.scaled_query, self.key, self.value, self.weights, self.kept = scaled_query, key, value, weights, kept
        return output

    def backward(self, grad):
        xp = backend.module_of(grad)
        grad = xp.ascontiguousarray(grad)
        grad_kept = grad @ self.value.swapaxes(-1, -2)  # (…, L, S)
        if self.keep is not None:
            grad_kept *= self.keep
        grad_scores = softmax_rows_backward_(grad_kept, self.weights)
        # stacked inputs get one gradient array in their own memory layout, the products written straight in
        grads, destinations = [], []
        for array, count in zip(self.stacked, self.groups, strict=True):
            if count == 1:
                grads.append(None)
                destinations.append(None)
            else:
                grads.append(xp.empty_like(array))
                destinations.extend(grads[-1][i] for i in range(count))
        grad_query = xp.matmul(grad_scores, self.key, out=destinations[0])
        grad_query *= self.scale
        grad_key = xp.matmul(grad_scores.swapaxes(-1, -2), self.scaled_query, out=destinations[1])
        grad_value = xp.matmul(self.kept.swapaxes(-1, -2), grad, out=destinations[2])
        position = 0
        for index, count in enumerate(self.groups):
            if count == 1:
                grads[index] = (grad_query, grad_key, grad_value)[position]
            position += count
        if len(self.needs_input_grad) > len(self.groups):
            grads.append(grad_scores)
        return tuple(grads)


def _unpack(inputs, groups):
    """Q, K, V from inputs that carry one each, or several stacked on a leading axis (same shapes then)."""
    arrays = []
    for array, count in zip(inputs, groups, strict=False):
        arrays.extend([array] if count == 1 else [array[i] for i in range(count)])
    return arrays


def attention_core(inputs, groups, mask: Tensor | None, scale: float, dropout_p: float,
                   output_order=None) -> Tensor:
    """Run the fused primitive; ``mask`` is an additive float tensor (learned or not) or None."""
    if mask is not None and mask.requires_grad:
        return ScaledDotProductAttentionFunction.apply(*inputs, mask, groups=groups, bias=None, scale=scale,
                                                       dropout_p=dropout_p, output_order=output_order)
    return ScaledDotProductAttentionFunction.apply(*inputs, groups=groups, bias=None if mask is None else mask.data,
                                                   scale=scale, dropout_p=dropout_p, output_order=output_order)


# ---- the functional form -------------------------------------------------------------------------------
def _check_inputs(query, key, value):
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"scaled_dot_product_attention: {name} must be a glassbox Tensor, got "
                            f"{type(tensor).__name__}")
        if tensor.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention: {name} needs at least 2 dimensions (…, length, "
                               f"features), got shape {tuple(tensor.shape)}")
        if tensor.dtype.kind != "f":
            raise TypeError(f"scaled_dot_product_attention: {name} must be floating point, got {tensor.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query (…, L, E) = {tuple(query.shape)} and key "
                           f"(…, S, E) = {tuple(key.shape)} need the same feature size E")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key (…, S, E) = {tuple(key.shape)} and value "
                           f"(…, S, Ev) = {tuple(value.shape)} need the same length S")
    if not query.dtype == key.dtype == value.dtype:
        raise TypeError(f"scaled_dot_product_attention: query, key and value must have one dtype, got "
                        f"{query.dtype}, {key.dtype} and {value.dtype}")


def _repeat_heads(tensor: Tensor, heads: int) -> Tensor:
    """(…, H_kv, S, E) → (…, H, S, E), each key/value head shared by H / H_kv consecutive query heads."""
    groups = heads // tensor.shape[-3]
    leading = tensor.shape[:-3]
    expanded = movement.expand(movement.unsqueeze(tensor, -3), *leading, tensor.shape[-3], groups,
                               *tensor.shape[-2:])
    return movement.reshape(expanded, *leading, heads, *tensor.shape[-2:])


def _combined_mask(attn_mask, is_causal, scores_shape, dtype, device) -> Tensor | None:
    """The additive (…, L, S) mask of ``scaled_dot_product_attention``'s arguments, checked against the scores."""
    target_length, source_length = scores_shape[-2:]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both "
                               "(is_causal builds the lower-triangular mask itself)")
        return Tensor._wrap(causal_bias(target_length, source_length, dtype, device))
    if attn_mask is None:
        return None
    mask = additive_mask(attn_mask, dtype, masked_value=False, device=device)
    try:
        broadcast = numpy.broadcast_shapes(tuple(mask.shape), tuple(scores_shape))
    except ValueError:
        broadcast = None
    if broadcast != tuple(scores_shape):
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {tuple(mask.shape)} does not "
                           f"broadcast to the attention scores' shape (…, L, S) = {tuple(scores_shape)}")
    return mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None, enable_gqa: bool = False, *,
                                 need_weights: bool = False):
    """softmax(Q Kᵀ · scale + M) V, as ``torch.nn.functional.scaled_dot_product_attention``.

    query (…, L, E), key (…, S, E), value (…, S, Ev) → (…, L, Ev). ``attn_mask`` broadcasts to (…, L, S):
    boolean True where a query may attend, or float added to the scores. ``is_causal``: query i sees keys
    0…i only. ``scale`` defaults to 1/√E. ``dropout_p`` is always applied (pass 0.0 in evaluation).
    ``enable_gqa``: key and value may have fewer heads (dimension -3) than query, each shared by a group.

    ``need_weights=True`` (glassbox's addition) returns ``(output, weights)``, the weights (…, L, S) being
    those that multiplied V (after dropout) and differentiable; it composes the same formula from
    differentiable ops instead of the fused primitive.
    """
    _check_inputs(query, key, value)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must lie in [0, 1], got {dropout_p}")
    if enable_gqa and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, key_heads = query.shape[-3], key.shape[-3]
        if heads % key_heads or value.shape[-3] != key_heads:
            raise RuntimeError(f"scaled_dot_product_attention: with enable_gqa the query's {heads} heads must be "
                               f"a multiple of the key's and value's heads, got {key_heads} and {value.shape[-3]}")
        key, value = _repeat_heads(key, heads), _repeat_heads(value, heads)
    try:
        batch = numpy.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise RuntimeError(f"scaled_dot_product_attention: the leading (batch, head) dimensions of query "
                           f"{tuple(query.shape)}, key {tuple(key.shape)} and value {tuple(value.shape)} do not "
                           f"broadcast") from None
    scores_shape = tuple(batch) + (query.shape[-2], key.shape[-2])
    mask = _combined_mask(attn_mask, is_causal, scores_shape, query.dtype, query.device)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    if not need_weights:
        return attention_core((query, key, value), (1, 1, 1), mask, scale, dropout_p)
    weights = attention_weights(query, key, mask, scale)
    if dropout_p > 0.0:
        weights = dropout_function(weights, dropout_p, training=True)
    return weights @ value, weights


def attention_weights(query: Tensor, key: Tensor, mask: Tensor | None, scale: float) -> Tensor:
    """softmax(Q Kᵀ · scale + M) from differentiable ops: (…, L, S) weights, every unmasked row summing to 1."""
    scores = (query * scale) @ movement.transpose(key, -2, -1)  # (…, L, S)
    return masked_softmax(scores, mask)
