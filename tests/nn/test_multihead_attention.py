"""MultiheadAttention against torch.nn.MultiheadAttention loaded with the same weights: outputs, attention
weights, gradients of the inputs and of every parameter, state_dict names, masks and errors."""

import math

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox import nn
from oracle import check_module, make_inputs

DTYPES = ["float32", "float64"]


class _Call:
    """Wraps an attention module so that check_module can drive it: ``inputs`` says which input feeds the
    query, key and value ("qqq" self-attention, "qkk" key = value, "qkv" three tensors); masks are NumPy
    arrays turned into the library's tensors."""

    def __init__(self, library, attention, inputs="qqq", masks=None, **options):
        self.library, self.attention, self.inputs, self.options = library, attention, inputs, options
        self.masks = masks or {}

    def __call__(self, *tensors):
        query = tensors[0]
        key = query if self.inputs == "qqq" else tensors[1]
        value = key if self.inputs in ("qqq", "qkk") else tensors[2]
        masks = {name: self.library.tensor(array, device=query.device) if isinstance(array, np.ndarray) else array
                 for name, array in self.masks.items()}
        return self.attention(query, key, value, **masks, **self.options)


def _pair(gb_class, torch_class, call_options):
    """A glassbox and a torch module (state dict key 'attention.*') that run ``_Call`` with the same options."""

    class Ours(gb.nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            self.attention = gb_class(*args, **kwargs)

        def forward(self, *tensors):
            return _Call(gb, self.attention, **call_options)(*tensors)

    class Theirs(torch.nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            self.attention = torch_class(*args, **kwargs)

        def forward(self, *tensors):
            return _Call(torch, self.attention, **call_options)(*tensors)

    return Ours, Theirs


def compare(constructor: dict, shapes, dtype="float32", training=True, inputs="qqq", masks=None, **options):
    ours, theirs = _pair(nn.MultiheadAttention, torch.nn.MultiheadAttention,
                         {"inputs": inputs, "masks": masks, **options})
    torch.manual_seed(0)
    return check_module(ours(**constructor), theirs(**constructor), shapes, dtype=dtype, training=training)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_self_attention_matches_torch(dtype, batch_first, need_weights):
    compare({"embed_dim": 8, "num_heads": 2, "batch_first": batch_first}, [(5, 3, 8)], dtype,
            need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
def test_weights_per_head_match_torch(dtype):
    out = compare({"embed_dim": 8, "num_heads": 4, "batch_first": True}, [(3, 5, 8)], dtype,
                  average_attn_weights=False)
    assert tuple(out[1].shape) == (3, 4, 5, 5)
    np.testing.assert_allclose(out[1].detach().numpy().sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("inputs", ["qkk", "qkv"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_cross_attention_matches_torch(dtype, inputs, need_weights):
    shapes = [(4, 2, 8), (6, 2, 8), (6, 2, 8)][: len(set(inputs))]
    compare({"embed_dim": 8, "num_heads": 2}, shapes, dtype, inputs=inputs, need_weights=need_weights)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_kdim_vdim_use_separate_projections_like_torch(dtype, batch_first):
    shapes = [(2, 4, 8), (2, 6, 5), (2, 6, 7)] if batch_first else [(4, 2, 8), (6, 2, 5), (6, 2, 7)]
    for need_weights in (True, False):
        compare({"embed_dim": 8, "num_heads": 2, "kdim": 5, "vdim": 7, "batch_first": batch_first}, shapes, dtype,
                inputs="qkv", need_weights=need_weights)
    attention = nn.MultiheadAttention(8, 2, kdim=5, vdim=7)
    assert list(attention.state_dict()) == list(torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=7).state_dict())
    assert attention.in_proj_weight is None and tuple(attention.k_proj_weight.shape) == (8, 5)


def _padding(batch, length, seed=3):
    padded = np.zeros((batch, length), dtype=bool)
    for row, count in enumerate(np.random.default_rng(seed).integers(0, length - 1, size=batch)):
        padded[row, length - count:] = True  # the last `count` keys of each sequence are padding
    return padded


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_masks_match_torch(dtype, need_weights):
    rng = np.random.default_rng(4)
    padding = _padding(3, 5)
    blocked = rng.random((5, 5)) > 0.7
    blocked[:, 0] = False  # every query keeps the first key, which is never padding
    per_head = np.repeat(blocked[None], 3 * 2, axis=0)
    per_head[1, :, 2] = True
    float_mask = rng.normal(size=(5, 5)).astype(dtype)
    for masks in [
        {"key_padding_mask": padding},
        {"key_padding_mask": np.where(padding, -np.inf, 0.0).astype(dtype)},
        {"attn_mask": blocked},
        {"attn_mask": per_head},
        {"attn_mask": float_mask},
        {"attn_mask": blocked, "key_padding_mask": padding},
        {"attn_mask": float_mask, "key_padding_mask": np.where(padding, -1e4, 0.0).astype(dtype)},
    ]:
        compare({"embed_dim": 8, "num_heads": 2, "batch_first": True}, [(3, 5, 8)], dtype, masks=masks,
                need_weights=need_weights)


@pytest.mark.parametrize("need_weights", [True, False])
def test_causal_hint_matches_torch(need_weights):
    causal = np.triu(np.full((5, 5), -np.inf), k=1)
    padding = np.where(_padding(2, 5), -np.inf, 0.0)
    for masks in [{"attn_mask": causal}, {"attn_mask": causal, "key_padding_mask": padding}]:
        compare({"embed_dim": 8, "num_heads": 2}, [(5, 2, 8)], "float64", masks=masks, is_causal=True,
                need_weights=need_weights)


def test_learned_float_masks_get_gradients_like_torch():
    class Ours(gb.nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.MultiheadAttention(8, 2)

        def forward(self, x, attn_mask, key_padding_mask):
            return self.attention(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                  need_weights=False)

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = torch.nn.MultiheadAttention(8, 2)

        def forward(self, x, attn_mask, key_padding_mask):
            return self.attention(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                  need_weights=False)

    check_module(Ours(), Theirs(), [(4, 3, 8), (4, 4), (3, 4)], dtype="float64")


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_false_and_bias_kv_and_zero_attn_match_torch(dtype):
    padding = _padding(3, 4)
    for constructor in [
        {"bias": False},
        {"add_bias_kv": True},
        {"add_zero_attn": True},
        {"add_bias_kv": True, "add_zero_attn": True},
    ]:
        for need_weights in (True, False):
            compare({"embed_dim": 8, "num_heads": 2, **constructor}, [(4, 3, 8)], dtype,
                    masks={"key_padding_mask": padding, "attn_mask": np.triu(np.ones((4, 4), dtype=bool), 1)},
                    need_weights=need_weights)


@pytest.mark.parametrize("need_weights", [True, False])
def test_dropout_in_eval_mode_matches_torch(need_weights):
    compare({"embed_dim": 8, "num_heads": 2, "dropout": 0.5}, [(5, 2, 8)], "float64", training=False,
            need_weights=need_weights)


def test_dropout_in_training_drops_and_rescales_weights():
    attention = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True).double()
    x = gb.tensor(make_inputs([(2, 5, 8)], "float64")[0])
    with gb.no_grad():
        attention.eval()
        _, weights = attention(x, x, x, average_attn_weights=False)
        attention.train()
        gb.manual_seed(0)
        _, dropped = attention(x, x, x, average_attn_weights=False)
    kept = dropped.numpy() != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(dropped.numpy()[kept], weights.numpy()[kept] * 2, rtol=1e-12)
    with gb.no_grad():  # the fused path drops too: the same seed gives the same output, unlike evaluation's
        runs = []
        for _ in range(2):
            gb.manual_seed(1)
            runs.append(attention(x, x, x, need_weights=False)[0].numpy())
        attention.eval()
        evaluation = attention(x, x, x, need_weights=False)[0].numpy()
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], evaluation)


@pytest.mark.parametrize("need_weights", [True, False])
def test_unbatched_input_matches_torch(need_weights):
    compare({"embed_dim": 8, "num_heads": 2}, [(5, 8)], "float64", masks={"key_padding_mask": _padding(1, 5)[0]},
            need_weights=need_weights)
    compare({"embed_dim": 8, "num_heads": 2}, [(4, 8), (6, 8)], "float64", inputs="qkk",
            masks={"attn_mask": np.zeros((2, 4, 6), dtype=bool)}, need_weights=need_weights)


def test_query_with_every_key_masked():
    """need_weights=False: zero weights, output = out_proj.bias, as torch; need_weights=True: the same finite
    result where torch gives NaN."""
    padding = np.zeros((2, 4), dtype=bool)
    padding[1] = True
    compare({"embed_dim": 8, "num_heads": 2}, [(3, 2, 8), (4, 2, 8)], "float64", inputs="qkk",
            masks={"key_padding_mask": padding}, need_weights=False)
    attention = nn.MultiheadAttention(8, 2).double()
    query, memory = (gb.tensor(a) for a in make_inputs([(3, 2, 8), (4, 2, 8)], "float64"))
    with gb.no_grad():
        output, weights = attention(query, memory, memory, key_padding_mask=gb.tensor(padding))
    assert np.all(weights.numpy()[1] == 0)
    np.testing.assert_allclose(output.numpy()[:, 1], np.broadcast_to(attention.out_proj.bias.detach().numpy(),
                                                                     (3, 8)))


def test_parameters_names_and_initialisation_like_torch():
    attention = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    theirs = torch.nn.MultiheadAttention(16, 4, add_bias_kv=True)
    assert list(attention.state_dict()) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        assert attention.state_dict()[name].shape == tuple(value.shape), name
    bound = math.sqrt(6 / (16 + 48))  # Xavier-uniform over the (3E, E) matrix
    weight = attention.in_proj_weight.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.8 * bound
    assert not attention.in_proj_bias.detach().numpy().any() and not attention.out_proj.bias.detach().numpy().any()


def test_clear_errors():
    with pytest.raises(ValueError, match="embed_dim 10 must be divisible by num_heads 4"):
        nn.MultiheadAttention(10, 4)
    attention = nn.MultiheadAttention(8, 2)
    x = gb.zeros(5, 3, 8)
    with pytest.raises(RuntimeError, match=r"key_padding_mask has shape \(5, 3\), expected \(3, 5\)"):
        attention(x, x, x, key_padding_mask=gb.tensor(np.zeros((5, 3), dtype=bool)))
    with pytest.raises(RuntimeError, match=r"attn_mask has shape \(4, 5\), expected \(5, 5\) or \(6, 5, 5\)"):
        attention(x, x, x, attn_mask=gb.tensor(np.zeros((4, 5), dtype=bool)))
    with pytest.raises(RuntimeError, match="is_causal=True needs attn_mask"):
        attention(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"embed_dim = 8, got shape \(5, 3, 6\)"):
        attention(gb.zeros(5, 3, 6), x, x)
    with pytest.raises(RuntimeError, match=r"key \(…, kdim = 8\)"):
        attention(x, gb.zeros(5, 3, 4), x)
    with pytest.raises(RuntimeError, match="all 3-D"):
        attention(x, gb.zeros(5, 8), gb.zeros(5, 8))
