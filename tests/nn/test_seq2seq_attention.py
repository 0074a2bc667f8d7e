"""Bahdanau and Luong attention against their formulas written out in NumPy, with finite-difference gradients."""

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from oracle import DEVICE, finite_difference_check, make_inputs, on_device


def _softmax_with_padding(scores, padded):
    """α_ij = exp(e_ij) / Σ_k exp(e_ik) over the unpadded k; α_ij = 0 where j is padding."""
    exponentials = np.where(padded, 0.0, np.exp(scores - scores.max(-1, keepdims=True)))
    return exponentials / exponentials.sum(-1, keepdims=True)


def bahdanau_formula(module, s, h, padded):
    """e_ij = v_aᵀ tanh(W_a s_i + U_a h_j);  α = softmax_j(e);  c_i = Σ_j α_ij h_j, one sample and step at a time."""
    W = module.query_projection.weight.detach().numpy()
    U = module.key_projection.weight.detach().numpy()
    b = module.key_projection.bias.detach().numpy() if module.key_projection.bias is not None else 0.0
    v = module.score_vector.weight.detach().numpy()[0]
    batch, steps, sources = s.shape[0], s.shape[1], h.shape[1]
    scores = np.zeros((batch, steps, sources))
    for n in range(batch):
        for i in range(steps):
            for j in range(sources):
                scores[n, i, j] = v @ np.tanh(W @ s[n, i] + U @ h[n, j] + b)
    alpha = _softmax_with_padding(scores, padded[:, None, :])
    return np.einsum("nij,njd->nid", alpha, h), alpha


def luong_formula(module, s, h, padded):
    """dot: e_ij = s_iᵀ h_j;  general: e_ij = s_iᵀ W_a h_j."""
    W = module.key_projection.weight.detach().numpy() if module.score == "general" else np.eye(h.shape[-1])
    scores = np.einsum("nid,de,nje->nij", s, W, h)
    alpha = _softmax_with_padding(scores, padded[:, None, :])
    return np.einsum("nij,njd->nid", alpha, h), alpha


def _padding():
    padded = np.zeros((3, 5), dtype=bool)
    padded[1, 3:] = True
    padded[2, 1:] = True  # only the first source word is real
    return padded


MODULES = [
    (lambda: nn.BahdanauAttention(4, 6, 5), bahdanau_formula),
    (lambda: nn.BahdanauAttention(4, 6, 5, bias=True), bahdanau_formula),
    (lambda: nn.LuongAttention(4, 6, score="general"), luong_formula),
    (lambda: nn.LuongAttention(6, score="dot"), luong_formula),
]


@pytest.mark.parametrize("make, formula", MODULES)
@pytest.mark.parametrize("steps", [None, 2])
def test_matches_the_formula_and_masks_padding(make, formula, steps):
    gb.manual_seed(0)
    module = make().double()
    query_size = 6 if isinstance(module, nn.LuongAttention) and module.score == "dot" else 4
    query_shape = (3, query_size) if steps is None else (3, steps, query_size)
    s, h = make_inputs([query_shape, (3, 5, 6)], "float64")
    padded = _padding()
    context, alpha = module(gb.tensor(s), gb.tensor(h), key_padding_mask=gb.tensor(padded))
    expected_context, expected_alpha = formula(module, s[:, None] if steps is None else s, h, padded)
    if steps is None:
        expected_context, expected_alpha = expected_context[:, 0], expected_alpha[:, 0]
    np.testing.assert_allclose(alpha.detach().numpy(), expected_alpha, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(context.detach().numpy(), expected_context, rtol=1e-10, atol=1e-14)
    weights = alpha.detach().numpy()
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-12)
    assert np.all(weights[np.broadcast_to(padded[:, None, :] if steps else padded, weights.shape)] == 0)


@pytest.mark.parametrize("make, formula", MODULES)
def test_input_gradients_by_finite_differences(make, formula):
    gb.manual_seed(1)
    module = make().double().to(DEVICE)
    query_size = 6 if isinstance(module, nn.LuongAttention) and module.score == "dot" else 4
    padded = on_device(_padding())
    finite_difference_check(lambda s, h, v: module(s, h, v, key_padding_mask=padded)[0],
                            [(3, 2, query_size), (3, 5, 6), (3, 5, 3)])
    finite_difference_check(lambda s, h: module(s, h, key_padding_mask=padded)[1], [(3, query_size), (3, 5, 6)])


@pytest.mark.parametrize("make", [MODULES[1][0], MODULES[2][0]])
def test_parameter_gradients_by_finite_differences(make):
    gb.manual_seed(2)
    module = make().double()
    s, h = (gb.tensor(a) for a in make_inputs([(3, 2, 4), (3, 5, 6)], "float64"))
    padded = gb.tensor(_padding())
    weight = np.random.default_rng(5).uniform(-1, 1, size=(3, 2, 6))

    def loss():
        return float((module(s, h, key_padding_mask=padded)[0].detach().numpy() * weight).sum())

    (module(s, h, key_padding_mask=padded)[0] * gb.tensor(weight)).sum().backward()
    for name, parameter in module.named_parameters():
        numeric = np.zeros(parameter.shape)
        for index in np.ndindex(*parameter.shape):
            original = parameter.data[index]
            parameter.data[index] = original + 1e-6
            plus = loss()
            parameter.data[index] = original - 1e-6
            minus = loss()
            parameter.data[index] = original
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(parameter.grad.numpy(), numeric, atol=1e-7, rtol=1e-5, err_msg=name)


def test_parameter_names_and_shapes():
    bahdanau = nn.BahdanauAttention(4, 6, 5)
    assert {name: tuple(p.shape) for name, p in bahdanau.named_parameters()} == {
        "query_projection.weight": (5, 4), "key_projection.weight": (5, 6), "score_vector.weight": (1, 5)}
    assert [name for name, _ in nn.LuongAttention(4, 6).named_parameters()] == ["key_projection.weight"]
    assert list(nn.LuongAttention(4, score="dot").parameters()) == []


def test_clear_errors():
    attention = nn.BahdanauAttention(4, 6, 5)
    with pytest.raises(ValueError, match=r"expected a query \(N, 4\) or \(N, T, 4\), got shape \(3, 5\)"):
        attention(gb.zeros(3, 5), gb.zeros(3, 5, 6))
    with pytest.raises(ValueError, match=r"expected keys \(N, S, 6\) with the query's N = 3"):
        attention(gb.zeros(3, 4), gb.zeros(2, 5, 6))
    with pytest.raises(ValueError, match=r"key_padding_mask should have shape \(N, S\) = \(3, 5\), got \(5, 3\)"):
        attention(gb.zeros(3, 4), gb.zeros(3, 5, 6), key_padding_mask=gb.tensor(np.zeros((5, 3), dtype=bool)))
    with pytest.raises(ValueError, match="the dot score needs query_size = key_size"):
        nn.LuongAttention(4, 6, score="dot")
    with pytest.raises(ValueError, match="score must be 'dot' or 'general'"):
        nn.LuongAttention(4, score="concat")
