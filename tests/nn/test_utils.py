"""Gradient clipping: clipped gradients and returned total norms equal torch.nn.utils'."""

import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn

SHAPES = [(3, 4), (4,), (2, 3, 2), ()]
TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-7}, "float64": {"rtol": 1e-12, "atol": 1e-14}}


def parameters_with_gradients(lib, dtype, scale=1.0, seed=0, without_grad=True):
    """Seeded parameters with gradients; one more parameter without a gradient (skipped by clipping)."""
    rng = np.random.default_rng(seed)
    params = []
    for shape in SHAPES:
        p = lib.tensor(rng.normal(size=shape).astype(dtype), requires_grad=True)
        p.grad = lib.tensor((scale * rng.normal(size=shape)).astype(dtype))
        params.append(p)
    if without_grad:
        params.append(lib.tensor(np.ones(2, dtype=dtype), requires_grad=True))
    return params


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clipped", "not clipped"])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    ours, theirs = parameters_with_gradients(gb, dtype), parameters_with_gradients(torch, dtype)
    our_norm = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    their_norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(our_norm, gb.Tensor) and our_norm.shape == () and str(our_norm.dtype) == dtype
    np.testing.assert_allclose(our_norm.numpy(), their_norm.numpy(), **TOLERANCE[dtype])
    for a, b in zip(ours, theirs, strict=True):
        if b.grad is None:
            assert a.grad is None
            continue
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOLERANCE[dtype])


def test_clipped_gradients_have_the_max_norm():
    params = parameters_with_gradients(gb, "float64", scale=10.0)
    before = nn.utils.clip_grad_norm_(params, max_norm=2.0)
    after = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in params if p.grad is not None))
    assert float(before) > 2.0
    assert after == pytest.approx(2.0, rel=1e-6)


def test_clip_grad_norm_accepts_a_single_tensor_and_a_generator():
    ours, theirs = parameters_with_gradients(gb, "float64"), parameters_with_gradients(torch, "float64")
    np.testing.assert_allclose(nn.utils.clip_grad_norm_(ours[0], 0.1).numpy(),
                               torch.nn.utils.clip_grad_norm_(theirs[0], 0.1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(nn.utils.clip_grad_norm_((p for p in ours), 0.1).numpy(),
                               torch.nn.utils.clip_grad_norm_((p for p in theirs), 0.1).numpy(), rtol=1e-12)
    for a, b in zip(ours[:4], theirs[:4], strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_without_gradients_returns_zero_like_torch():
    norm = nn.utils.clip_grad_norm_([gb.zeros(3, requires_grad=True)], 1.0)
    their_norm = torch.nn.utils.clip_grad_norm_([torch.zeros(3, requires_grad=True)], 1.0)
    assert float(norm) == float(their_norm) == 0.0 and str(norm.dtype) == "float32"


def test_clip_grad_norm_keeps_the_gradient_objects():
    params = parameters_with_gradients(gb, "float32")
    grads = [p.grad for p in params]
    nn.utils.clip_grad_norm_(params, 0.1)
    assert all(p.grad is g for p, g in zip(params, grads, strict=True))


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_error_if_nonfinite_raises(bad):
    params = parameters_with_gradients(gb, "float32")
    params[1].grad.data[2] = bad
    before = params[0].grad.numpy().copy()
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad.numpy(), before)


def test_nonfinite_norm_without_the_error_scales_like_torch():
    ours, theirs = parameters_with_gradients(gb, "float64"), parameters_with_gradients(torch, "float64")
    ours[1].grad.data[0] = math.inf
    theirs[1].grad[0] = math.inf
    our_norm = nn.utils.clip_grad_norm_(ours, 1.0)
    their_norm = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isinf(float(our_norm)) and math.isinf(float(their_norm))
    for a, b in zip(ours[:4], theirs[:4], strict=True):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_get_total_norm_and_clip_grads_with_norm_match_torch(norm_type):
    ours, theirs = parameters_with_gradients(gb, "float64"), parameters_with_gradients(torch, "float64")
    our_norm = nn.utils.get_total_norm([p.grad for p in ours if p.grad is not None], norm_type)
    their_norm = torch.nn.utils.get_total_norm([p.grad for p in theirs if p.grad is not None], norm_type)
    np.testing.assert_allclose(our_norm.numpy(), their_norm.numpy(), rtol=1e-12)
    nn.utils.clip_grads_with_norm_(ours, 0.3, our_norm)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.3, their_norm)
    for a, b in zip(ours[:4], theirs[:4], strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("clip_value", [0.1, 0.5, 5.0])
def test_clip_grad_value_matches_torch(dtype, clip_value):
    ours, theirs = parameters_with_gradients(gb, dtype), parameters_with_gradients(torch, dtype)
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for a, b in zip(ours, theirs, strict=True):
        if b.grad is None:
            assert a.grad is None
            continue
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
        assert np.abs(a.grad.numpy()).max() <= clip_value


def test_clip_grad_norm_between_backward_and_step():
    w = gb.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()  # grad (6, 8), norm 10
    total = nn.utils.clip_grad_norm_([w], max_norm=1.0)
    assert float(total) == pytest.approx(10.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
