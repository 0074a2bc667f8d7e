"""Transformer layers and stacks against torch.nn's, loaded with the same weights through state_dict."""

import warnings

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox import nn
from oracle import check_module, load_torch_weights, make_inputs

DTYPES = ["float32", "float64"]
SMALL = {"d_model": 16, "nhead": 2, "dim_feedforward": 32}
TOLERANCE = {"float32": {"atol": 1e-4, "rtol": 1e-4}, "float64": {}}  # float32 rounding grows through the layers


def _quiet_torch(factory, *args, **kwargs):
    """Build a torch module without its note that the nested-tensor fast path is off for this configuration."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return factory(*args, **kwargs)


def _masks(library, masks, device):
    return {name: library.tensor(value, device=device) if isinstance(value, np.ndarray) else value
            for name, value in masks.items()}


def _wrapped(gb_module, torch_module, masks):
    """Modules named 'model' whose forward passes the given masks (NumPy arrays) as each library's tensors."""

    class Ours(gb.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = gb_module

        def forward(self, *inputs):
            return self.model(*inputs, **_masks(gb, masks, inputs[0].device))

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = torch_module

        def forward(self, *inputs):
            return self.model(*inputs, **_masks(torch, masks, inputs[0].device))

    return Ours(), Theirs()


def compare(gb_module, torch_module, shapes, dtype, training=True, masks=None):
    masks = {name: value.astype(dtype) if isinstance(value, np.ndarray) and value.dtype.kind == "f" else value
             for name, value in (masks or {}).items()}
    ours, theirs = _wrapped(gb_module, torch_module, masks)
    return check_module(ours, theirs, shapes, dtype=dtype, training=training, **TOLERANCE[dtype])


def _padding(batch, length, additive=False):
    """Sequence b has b padded positions at its end: True there, or -inf with ``additive`` (to go with a float
    attention mask: torch deprecates mixing the two kinds)."""
    padded = np.zeros((batch, length), dtype=bool)
    for row in range(batch):
        padded[row, length - row:] = True
    return np.where(padded, -np.inf, 0.0) if additive else padded


def _causal(length):
    return np.triu(np.full((length, length), -np.inf), k=1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(dtype, norm_first, activation, batch_first):
    options = {**SMALL, "dropout": 0.0, "activation": activation, "batch_first": batch_first, "norm_first": norm_first}
    torch.manual_seed(0)
    compare(nn.TransformerEncoderLayer(**options), torch.nn.TransformerEncoderLayer(**options),
            [(3, 5, 16)] if batch_first else [(5, 3, 16)], dtype,
            masks={"src_key_padding_mask": _padding(3, 5, additive=True), "src_mask": _causal(5)})


@pytest.mark.parametrize("training", [True, False])
def test_encoder_layer_masks_and_modes_match_torch(training):
    """Eval mode with dropout > 0 (torch's regular path, since gradients are recorded) and train mode with 0."""
    options = {**SMALL, "dropout": 0.0 if training else 0.3, "batch_first": True}
    rng = np.random.default_rng(0)
    blocked = rng.random((5, 5)) > 0.6
    blocked[:, 0] = False
    for masks in [{}, {"src_mask": blocked}, {"src_key_padding_mask": _padding(3, 5)},
                  {"src_mask": _causal(5), "is_causal": True}]:
        torch.manual_seed(1)
        compare(nn.TransformerEncoderLayer(**options), torch.nn.TransformerEncoderLayer(**options), [(3, 5, 16)],
                "float64", training=training, masks=masks)


def test_encoder_layer_callable_activation_and_no_bias():
    options = {**SMALL, "dropout": 0.0, "bias": False}
    torch.manual_seed(2)
    ours = nn.TransformerEncoderLayer(**options, activation=gb.nn.functional.silu)
    theirs = torch.nn.TransformerEncoderLayer(**options, activation=torch.nn.functional.silu)
    compare(ours, theirs, [(5, 2, 16)], "float64")
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_encoder_layer_inference_agrees_with_torch_fast_path():
    """Under no_grad in eval mode torch takes its fused fast path; the results agree all the same."""
    torch.manual_seed(3)
    theirs = torch.nn.TransformerEncoderLayer(**SMALL, batch_first=True).eval()
    ours = nn.TransformerEncoderLayer(**SMALL, batch_first=True).eval()
    load_torch_weights(ours, theirs)
    x = make_inputs([(3, 5, 16)])[0]
    with torch.no_grad(), gb.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
        actual = ours(gb.tensor(x)).numpy()
    np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_matches_torch(dtype, norm_first, batch_first):
    options = {**SMALL, "dropout": 0.0, "batch_first": batch_first, "norm_first": norm_first, "activation": "gelu"}
    torch.manual_seed(4)
    shapes = [(2, 4, 16), (2, 6, 16)] if batch_first else [(4, 2, 16), (6, 2, 16)]
    compare(nn.TransformerDecoderLayer(**options), torch.nn.TransformerDecoderLayer(**options), shapes, dtype,
            masks={"tgt_mask": _causal(4), "tgt_key_padding_mask": _padding(2, 4, additive=True),
                   "memory_key_padding_mask": _padding(2, 6, additive=True), "memory_mask": np.zeros((4, 6))})


def test_decoder_layer_causal_hint_matches_torch():
    torch.manual_seed(5)
    compare(nn.TransformerDecoderLayer(**SMALL, dropout=0.0), torch.nn.TransformerDecoderLayer(**SMALL, dropout=0.0),
            [(4, 2, 16), (6, 2, 16)], "float64", masks={"tgt_mask": _causal(4), "tgt_is_causal": True})


@pytest.mark.parametrize("training", [True, False])
def test_encoder_stack_with_final_norm_matches_torch(training):
    torch.manual_seed(6)
    theirs = _quiet_torch(torch.nn.TransformerEncoder, torch.nn.TransformerEncoderLayer(**SMALL, dropout=0.0), 2,
                          torch.nn.LayerNorm(16))
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(**SMALL, dropout=0.0), 2, nn.LayerNorm(16))
    compare(ours, theirs, [(5, 3, 16)], "float64", training=training,
            masks={"mask": _causal(5), "src_key_padding_mask": _padding(3, 5, additive=True)})
    assert ours.layers[0].linear1.weight is not ours.layers[1].linear1.weight


def test_encoder_stack_padded_inference_agrees_with_torch_nested_tensor_path():
    """torch's nested-tensor path writes zeros at padded positions; everywhere else the outputs agree."""
    torch.manual_seed(7)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**SMALL, batch_first=True), 2).eval()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(**SMALL, batch_first=True), 2).eval()
    load_torch_weights(ours, theirs)
    x, padding = make_inputs([(3, 5, 16)])[0], _padding(3, 5)
    with torch.no_grad(), gb.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: "nested tensors are in prototype stage"
        expected = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(padding)).numpy()
        actual = ours(gb.tensor(x), src_key_padding_mask=gb.tensor(padding)).numpy()
    np.testing.assert_allclose(actual[~padding], expected[~padding], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
def test_full_transformer_matches_torch(dtype, norm_first):
    options = {**SMALL, "num_encoder_layers": 2, "num_decoder_layers": 2, "dropout": 0.0, "norm_first": norm_first}
    torch.manual_seed(8)
    theirs = _quiet_torch(torch.nn.Transformer, **options)
    ours = nn.Transformer(**options)
    masks = {"tgt_mask": _causal(4), "src_key_padding_mask": _padding(2, 5),
             "memory_key_padding_mask": _padding(2, 5), "tgt_key_padding_mask": _padding(2, 4, additive=True)}
    compare(ours, theirs, [(5, 2, 16), (4, 2, 16)], dtype, masks=masks)
    compare(ours, theirs, [(5, 2, 16), (4, 2, 16)], dtype, training=False, masks=masks)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "encoder.norm.weight" in ours.state_dict() and "decoder.layers.1.multihead_attn.in_proj_weight" in \
        ours.state_dict()


def test_full_transformer_batch_first_unbatched_and_initialisation():
    torch.manual_seed(9)
    options = {**SMALL, "num_encoder_layers": 1, "num_decoder_layers": 1, "dropout": 0.0, "batch_first": True}
    theirs = _quiet_torch(torch.nn.Transformer, **options)
    ours = nn.Transformer(**options)
    compare(ours, theirs, [(2, 5, 16), (2, 4, 16)], "float64", masks={"tgt_mask": _causal(4)})
    compare(ours, theirs, [(5, 16), (4, 16)], "float64", masks={"tgt_mask": _causal(4)})
    fresh = nn.Transformer(**options)
    weight = fresh.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 32))  # Xavier-uniform, as torch's Transformer re-initialises every matrix
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.8 * bound


def test_generate_square_subsequent_mask_matches_torch():
    ours = nn.Transformer.generate_square_subsequent_mask(5)
    np.testing.assert_array_equal(ours.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
    assert ours.dtype == np.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=gb.float64).dtype == np.float64


def test_clear_errors():
    model = nn.Transformer(**SMALL, num_encoder_layers=1, num_decoder_layers=1)
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        model(gb.zeros(5, 2, 16), gb.zeros(4, 3, 16))
    with pytest.raises(RuntimeError, match="must be equal to d_model = 16"):
        model(gb.zeros(5, 2, 16), gb.zeros(4, 2, 8))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(16, 2, activation="tanh")
    with pytest.raises(ValueError, match="embed_dim 16 must be divisible by num_heads 3"):
        nn.TransformerEncoderLayer(16, 3)
    layer = nn.TransformerEncoderLayer(**SMALL)
    with pytest.raises(RuntimeError, match=r"attn_mask has shape \(4, 4\), expected \(5, 5\) or \(4, 5, 5\)"):
        layer(gb.zeros(5, 2, 16), src_mask=gb.zeros(4, 4))


def test_causal_mask_detection_like_torch():
    from torch.nn.modules.transformer import _detect_is_causal_mask as torch_detect

    from glassbox.nn.transformer import _detect_is_causal_mask

    blocked = np.triu(np.ones((4, 4), dtype=bool), k=1)
    for mask in [blocked, _causal(4).astype(np.float32), np.zeros((4, 4), dtype=np.float32), ~blocked,
                 np.triu(np.ones((3, 3), dtype=bool), k=1)]:
        for hint in (None, True, False):
            assert _detect_is_causal_mask(gb.tensor(mask), hint, 4) == torch_detect(torch.tensor(mask), hint, 4)
    torch.manual_seed(10)  # a boolean causal mask left to detection gives torch's result
    compare(nn.TransformerEncoder(nn.TransformerEncoderLayer(**SMALL, dropout=0.0), 2),
            _quiet_torch(torch.nn.TransformerEncoder, torch.nn.TransformerEncoderLayer(**SMALL, dropout=0.0), 2),
            [(4, 2, 16)], "float64", masks={"mask": blocked})
