"""Scaled dot-product attention and the masked softmax, against PyTorch and against the formula."""

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.nn.attention import masked_softmax
from oracle import check, finite_difference_check, make_inputs

DTYPES = ["float32", "float64"]


def _sdpa_both(**options):
    """The same call in glassbox and in PyTorch; a mask given as a NumPy array becomes each library's tensor."""
    mask = options.pop("attn_mask", None)

    def ours(q, k, v):
        ours_mask = None if mask is None else gb.tensor(mask, device=q.device)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=ours_mask, **options)

    def theirs(q, k, v):
        return torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=None if mask is None else torch.tensor(mask), **options)

    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [
    [(5, 4), (6, 4), (6, 3)],  # one sequence
    [(2, 5, 4), (2, 6, 4), (2, 6, 7)],  # a batch
    [(2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 2)],  # a batch of heads
])
def test_matches_torch(dtype, shapes):
    ours, theirs = _sdpa_both()
    check(ours, shapes, torch_fn=theirs, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_masks_scale_and_causal_match_torch(dtype):
    shapes = [(2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4)]
    rng = np.random.default_rng(1)
    allowed = rng.random((5, 6)) > 0.3
    allowed[:, 0] = True  # every query keeps a key
    for options in [
        {"attn_mask": allowed},  # boolean (L, S): True where a query may attend
        {"attn_mask": rng.normal(size=(2, 1, 5, 6)).astype(dtype)},  # float, broadcast over heads
        {"is_causal": True},
        {"scale": 0.3},
        {"attn_mask": allowed[None, None], "scale": 1.7},
    ]:
        ours, theirs = _sdpa_both(**options)
        check(ours, shapes, torch_fn=theirs, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_learned_float_mask_gets_gradient_like_torch(dtype):
    def ours(q, k, v, bias):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)

    def theirs(q, k, v, bias):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)

    check(ours, [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), (3, 5)], torch_fn=theirs, dtype=dtype)


def test_grouped_query_attention_matches_torch():
    def ours(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    def theirs(q, k, v):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    check(ours, [(2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)], torch_fn=theirs, dtype="float64")


def test_query_with_every_key_masked_gets_zero_output_and_gradient_as_torch():
    allowed = np.ones((3, 5), dtype=bool)
    allowed[1] = False
    ours, theirs = _sdpa_both(attn_mask=allowed)
    out = check(ours, [(1, 3, 4), (1, 5, 4), (1, 5, 4)], torch_fn=theirs, dtype="float64")[0]
    assert np.all(out.detach().numpy()[0, 1] == 0.0)


def test_finite_differences_with_masks():
    allowed = np.random.default_rng(2).random((4, 6)) > 0.4
    allowed[:, 2] = True
    finite_difference_check(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=gb.tensor(allowed, device=q.device)),
        [(2, 4, 3), (2, 6, 3), (2, 6, 5)])


def test_dropout_backward_is_exact_for_a_fixed_mask():
    """Reseeding before every call fixes the dropout mask, so central differences see the same function."""
    def attention(q, k, v):
        gb.manual_seed(7)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    finite_difference_check(attention, [(2, 4, 3), (2, 5, 3), (2, 5, 2)])
    q, k, v = (gb.tensor(a) for a in make_inputs([(2, 4, 3), (2, 5, 3), (2, 5, 2)], "float64"))
    assert not np.allclose(attention(q, k, v).numpy(), F.scaled_dot_product_attention(q, k, v).numpy())


def test_weights_variant_returns_the_weights_that_multiplied_the_values():
    q, k, v = (gb.tensor(a) for a in make_inputs([(2, 4, 3), (2, 5, 3), (2, 5, 2)], "float64"))
    output, weights = F.scaled_dot_product_attention(q, k, v, need_weights=True)
    expected = torch.softmax(torch.tensor(q.numpy()) @ torch.tensor(k.numpy()).transpose(1, 2) / np.sqrt(3), -1)
    np.testing.assert_allclose(weights.numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), F.scaled_dot_product_attention(q, k, v).numpy(), rtol=1e-12)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-12)

    gb.manual_seed(3)
    dropped_output, dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, need_weights=True)
    kept = dropped.numpy() != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped.numpy()[kept], weights.numpy()[kept] / 0.5, rtol=1e-12)
    np.testing.assert_allclose(dropped_output.numpy(), dropped.numpy() @ v.numpy(), rtol=1e-12)


def test_weights_variant_gradient_by_finite_differences():
    finite_difference_check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, need_weights=True)[1],
                            [(2, 4, 3), (2, 5, 3), (2, 5, 2)])


def test_masked_softmax_formula_and_fully_masked_rows():
    scores = np.random.default_rng(0).normal(size=(2, 3, 4))
    masked = np.zeros((2, 3, 4), dtype=bool)
    masked[0, :, 1] = True
    masked[1, 2] = True  # a row with nothing left
    weights = masked_softmax(gb.tensor(scores), gb.tensor(masked)).numpy()
    expected = np.where(masked, 0.0, np.exp(scores))
    with np.errstate(invalid="ignore"):
        expected = np.nan_to_num(expected / expected.sum(-1, keepdims=True))
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    assert np.all(weights[masked] == 0)
    np.testing.assert_allclose(weights[~masked.all(-1)].sum(-1), 1.0)
    finite_difference_check(lambda s: masked_softmax(s, gb.tensor(masked, device=s.device)), [(2, 3, 4)])


def test_masked_softmax_rejects_a_mask_that_does_not_broadcast():
    with pytest.raises(RuntimeError, match=r"mask of shape \(3, 5\) does not broadcast to the scores' shape"):
        masked_softmax(gb.zeros(2, 3, 4), gb.tensor(np.zeros((3, 5), dtype=bool)))


def test_clear_errors():
    q, k = gb.zeros(2, 3, 4), gb.zeros(2, 5, 4)
    with pytest.raises(RuntimeError, match=r"need the same feature size E"):
        F.scaled_dot_product_attention(q, gb.zeros(2, 5, 3), k)
    with pytest.raises(RuntimeError, match=r"need the same length S"):
        F.scaled_dot_product_attention(q, k, gb.zeros(2, 4, 4))
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(5, 3\) does not broadcast to the attention "
                                           r"scores' shape \(…, L, S\) = \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=gb.tensor(np.ones((5, 3), dtype=bool)))
    with pytest.raises(RuntimeError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=gb.tensor(np.ones((3, 5), dtype=bool)), is_causal=True)
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, k, k, dropout_p=1.5)
    with pytest.raises(TypeError, match="boolean or floating point"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=gb.tensor(np.ones((3, 5), dtype=np.int64)))
