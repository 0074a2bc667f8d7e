import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
import glassbox.nn.functional as F
from oracle import check, check_module, finite_difference_check, on_device

DTYPES = ["float32", "float64"]

BATCH_NORMS = [
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 6)),
    (nn.BatchNorm3d, torch.nn.BatchNorm3d, (2, 3, 2, 3, 4)),
]

OPTIONS = [
    {},
    {"momentum": None},
    {"momentum": 0.3, "eps": 1e-3},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("ours, theirs, shape", BATCH_NORMS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_batch_norm_matches_torch_over_training_steps_then_in_eval(ours, theirs, shape, options, dtype):
    gb_layer, torch_layer = ours(3, **options), theirs(3, **options)
    # four training steps on fresh batches: outputs, gradients and running statistics after each
    check_module(gb_layer, torch_layer, [shape], dtype=dtype, training=True, steps=4, low=-1.0, high=3.0)
    # then evaluation with the statistics gathered (weights reloaded from torch are the same ones)
    check_module(gb_layer, torch_layer, [shape], dtype=dtype, training=False, steps=2, seed=10)


def test_running_statistics_follow_the_formula():
    layer = nn.BatchNorm1d(2, momentum=0.25)
    batches = [np.random.default_rng(i).normal(i, 2.0, size=(6, 2)) for i in range(3)]
    mean, var = np.zeros(2), np.ones(2)
    for batch in batches:
        layer(gb.tensor(batch.astype(np.float32)))
        mean = 0.75 * mean + 0.25 * batch.mean(axis=0)
        var = 0.75 * var + 0.25 * batch.var(axis=0, ddof=1)  # unbiased: n / (n - 1)
    np.testing.assert_allclose(layer.running_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var.numpy(), var, rtol=1e-5)
    assert layer.num_batches_tracked.item() == 3 and layer.num_batches_tracked.dtype == np.int64


def test_eval_mode_uses_running_statistics_and_leaves_them_alone():
    layer = nn.BatchNorm1d(2)
    layer.running_mean.data[...] = [1.0, -1.0]
    layer.running_var.data[...] = [4.0, 0.25]
    layer.eval()
    out = layer(gb.tensor([[3.0, 0.0]]))  # a single sample is fine in eval mode
    np.testing.assert_allclose(out.detach().numpy(), [[2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]], rtol=1e-6)
    np.testing.assert_array_equal(layer.running_mean.numpy(), [1.0, -1.0])
    assert layer.num_batches_tracked.item() == 0


def test_batch_norm_state_dict_and_repr_match_torch():
    for options in ({}, {"affine": False}, {"track_running_stats": False}, {"bias": False, "momentum": None}):
        ours, theirs = nn.BatchNorm2d(4, **options), torch.nn.BatchNorm2d(4, **options)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert repr(ours) == repr(theirs)
        for name, value in theirs.state_dict().items():
            np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())
            assert ours.state_dict()[name].dtype == value.numpy().dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("normalized_shape, input_shape", [(5, (4, 5)), (5, (2, 3, 5)), ((3, 5), (2, 3, 5)),
                                                           ((2, 3, 4), (2, 3, 4)), (6, (6,))], ids=str)
@pytest.mark.parametrize("options", [{}, {"bias": False}, {"elementwise_affine": False}, {"eps": 1e-2}], ids=str)
def test_layer_norm_matches_torch(normalized_shape, input_shape, options, dtype):
    ours, theirs = nn.LayerNorm(normalized_shape, **options), torch.nn.LayerNorm(normalized_shape, **options)
    check_module(ours, theirs, [input_shape], dtype=dtype, steps=2, low=-1.0, high=3.0)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_forms_match_torch(dtype):
    check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(5, 3, 4), (3,), (3,)], dtype=dtype,
          torch_fn=lambda x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, training=True))
    check(lambda x, w, b: F.layer_norm(x, (4,), w, b), [(5, 3, 4), (4,), (4,)], dtype=dtype,
          torch_fn=lambda x, w, b: torch.nn.functional.layer_norm(x, (4,), w, b))
    check(lambda x: F.layer_norm(x, [3, 4]), [(5, 3, 4)], dtype=dtype,
          torch_fn=lambda x: torch.nn.functional.layer_norm(x, [3, 4]))


def test_gradients_by_finite_differences():
    finite_difference_check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                            [(4, 3, 2), (3,), (3,)])
    mean, var = on_device(np.array([0.5, -0.2, 0.1])), on_device(np.array([1.5, 0.7, 2.0]))  # float64
    finite_difference_check(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False), [(4, 3), (3,), (3,)])
    finite_difference_check(lambda x, w, b: F.layer_norm(x, (2, 3), w, b), [(4, 2, 3), (2, 3), (2, 3)])


def test_normalisation_is_stable_for_large_offsets():
    # x ≈ 1000 ± 0.01 in float32: the one-pass E[x²] − E[x]² would lose the variance (1e-4) entirely in the
    # rounding of E[x²] (≈ 1e6 · 6e-8); the two-pass mean((x − μ)²) keeps it to float32 resolution
    x = np.random.default_rng(0).normal(1000.0, 0.01, size=(64, 8)).astype(np.float32)
    wide = x.astype(np.float64)
    for layer, axis in ((nn.LayerNorm(8), 1), (nn.BatchNorm1d(8), 0)):
        exact = (wide - wide.mean(axis, keepdims=True)) / np.sqrt(wide.var(axis, keepdims=True) + 1e-5)
        np.testing.assert_allclose(layer(gb.tensor(x)).detach().numpy(), exact, atol=0.02)


def test_one_primitive_in_the_graph():
    x = gb.randn(4, 3, requires_grad=True)
    out = nn.BatchNorm1d(3)(x)
    assert type(out.grad_fn).__name__ == "BatchNormFunction" and out.grad_fn.parents[0] is x
    assert type(nn.LayerNorm(3)(x).grad_fn).__name__ == "LayerNormFunction"


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D"):
        nn.BatchNorm1d(3)(gb.ones(2, 3, 4, 4))
    with pytest.raises(ValueError, match="BatchNorm2d: expected 4D input"):
        nn.BatchNorm2d(3)(gb.ones(2, 3))
    with pytest.raises(ValueError, match="expected 3 channels"):
        nn.BatchNorm1d(3)(gb.ones(2, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(gb.ones(1, 3))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\]"):
        nn.LayerNorm(4)(gb.ones(2, 3))
    with pytest.raises(RuntimeError, match="needs running_mean"):
        F.batch_norm(gb.ones(2, 3), None, None, training=False)


def test_reset_and_dtype_conversion():
    layer = nn.BatchNorm1d(2)
    layer(gb.randn(5, 2))
    layer.weight.data[...] = 3.0
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.running_var.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(layer.weight.detach().numpy(), [1.0, 1.0])
    assert layer.num_batches_tracked.item() == 0
    layer.double()
    assert layer.running_mean.dtype == np.float64 and layer(gb.randn(3, 2, dtype=gb.float64)).dtype == np.float64
