import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
import glassbox.nn.functional as F
from oracle import check, check_module, finite_difference_check

INPUT_SHAPES = [(4, 3), (3,), (2, 5, 3), (2, 1, 4, 3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", INPUT_SHAPES, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, dtype):
    check_module(nn.Linear(3, 2, bias=bias), torch.nn.Linear(3, 2, bias=bias), [shape], dtype=dtype, steps=2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_linear_matches_torch(dtype):
    check(lambda x, w, b: F.linear(x, w, b), [(5, 4), (3, 4), (3,)], dtype=dtype,
          torch_fn=lambda x, w, b: torch.nn.functional.linear(x, w, b))
    check(lambda x, w: F.linear(x, w), [(2, 5, 4), (3, 4)], dtype=dtype,
          torch_fn=lambda x, w: torch.nn.functional.linear(x, w))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_of_a_batch_innermost_input_matches_torch(bias):
    """A flattened convolution output is laid out batch innermost (Fortran order in 2-D): the product then runs
    as (W xᵀ)ᵀ; values and gradients as for any input."""
    rng = np.random.default_rng(2)
    x, w, b = np.asfortranarray(rng.normal(size=(6, 5))), rng.normal(size=(3, 5)), rng.normal(size=3)
    ours = [gb.as_tensor(x).requires_grad_()] + [gb.tensor(a, requires_grad=True) for a in (w, b)]
    theirs = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (x, w, b)]
    assert ours[0].data.flags.f_contiguous and not ours[0].data.flags.c_contiguous
    out = F.linear(ours[0], ours[1], ours[2] if bias else None)
    expected = torch.nn.functional.linear(theirs[0], theirs[1], theirs[2] if bias else None)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    gradient = rng.normal(size=(6, 3))
    out.backward(gb.tensor(gradient))
    expected.backward(torch.tensor(gradient))
    for mine, reference in zip(ours[:3 if bias else 2], theirs, strict=False):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_gradient_by_finite_differences():
    finite_difference_check(lambda x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)])


def test_linear_only_computes_the_gradients_that_are_needed():
    layer = nn.Linear(3, 2)
    layer.weight.requires_grad_(False)
    x = gb.randn(4, 3, requires_grad=True)
    layer(x).sum().backward()
    assert layer.weight.grad is None and layer.bias.grad is not None and x.grad is not None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias, dtype):
    check_module(nn.Bilinear(3, 4, 2, bias=bias), torch.nn.Bilinear(3, 4, 2, bias=bias), [(5, 3), (5, 4)],
                 dtype=dtype)
    check_module(nn.Bilinear(3, 4, 2, bias=bias), torch.nn.Bilinear(3, 4, 2, bias=bias), [(2, 5, 3), (2, 5, 4)],
                 dtype=dtype)


def test_identity_passes_input_through_and_ignores_arguments():
    x = gb.randn(2, 3, requires_grad=True)
    layer = nn.Identity(54, unused="argument")
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.Identity()) == "Identity()"


def test_linear_layout_and_repr_match_torch():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert repr(layer) == repr(torch.nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))
    assert repr(nn.Bilinear(2, 3, 4)) == repr(torch.nn.Bilinear(2, 3, 4))
    assert list(nn.Linear(3, 2, bias=False).state_dict()) == ["weight"]
    assert nn.Linear(3, 2, bias=False).bias is None
    assert nn.Linear(3, 2, dtype=gb.float64).weight.dtype == np.float64


def test_linear_default_initialisation_is_uniform_in_one_over_sqrt_fan_in():
    gb.manual_seed(0)
    fan_in = 400
    layer = nn.Linear(fan_in, 300)
    bound = 1 / math.sqrt(fan_in)
    for values in (layer.weight.detach().numpy(), layer.bias.detach().numpy()):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound
    weights = layer.weight.detach().numpy()
    # U[-b, b] has mean 0 and std b/√3; with 120000 draws the sample std is within 1%
    assert abs(weights.mean()) < 4 * bound / math.sqrt(3) / math.sqrt(weights.size)
    assert abs(weights.std() / (bound / math.sqrt(3)) - 1) < 0.01


def test_linear_initialisation_repeats_with_the_seed():
    gb.manual_seed(7)
    first = nn.Linear(5, 4).state_dict()
    gb.manual_seed(7)
    second = nn.Linear(5, 4).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name].numpy(), second[name].numpy())
    third = nn.Linear(5, 4).state_dict()
    assert not np.array_equal(second["weight"].numpy(), third["weight"].numpy())


def test_linear_errors_name_the_shapes():
    layer = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"input of shape \(4, 5\).*in_features = 3"):
        layer(gb.ones(4, 5))
    with pytest.raises(RuntimeError, match="dtype float64 differs"):
        layer(gb.ones(4, 3, dtype=gb.float64))
    with pytest.raises(RuntimeError, match="bias of shape"):
        F.linear(gb.ones(2, 3), gb.ones(2, 3), gb.ones(3))
    with pytest.raises(RuntimeError, match="bilinear"):
        nn.Bilinear(2, 3, 1)(gb.ones(4, 2), gb.ones(4, 2))


def test_linear_trains_a_regression():
    # y = 3x₁ − 2x₂ + 1, learned by plain gradient descent on the squared error
    gb.manual_seed(0)
    x = gb.randn(64, 2)
    y = x @ gb.tensor([[3.0], [-2.0]]) + 1.0
    layer = nn.Linear(2, 1)
    for _ in range(200):
        layer.zero_grad()
        ((layer(x) - y) ** 2).mean().backward()
        with gb.no_grad():
            for p in layer.parameters():
                p -= 0.1 * p.grad
    np.testing.assert_allclose(layer.weight.detach().numpy(), [[3.0, -2.0]], atol=1e-3)
    np.testing.assert_allclose(layer.bias.detach().numpy(), [1.0], atol=1e-3)
