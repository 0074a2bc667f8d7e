import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
import glassbox.nn.functional as F
from oracle import check_module


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_dropped_and_scaling(p):
    gb.manual_seed(0)
    x = gb.ones(400, 500)
    out = F.dropout(x, p).numpy()
    dropped = (out == 0).mean()
    # a binomial fraction over n = 200000 draws lies within 5 standard errors of p
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / out.size)
    survivors = out[out != 0]
    np.testing.assert_allclose(survivors, np.float32(1 / (1 - p)), rtol=1e-6)
    # inverted dropout keeps the expected value: E[y] = x
    assert abs(out.mean() - 1) < 5 * math.sqrt(p / (1 - p) / out.size)


def test_gradient_uses_the_same_mask_as_the_forward():
    gb.manual_seed(1)
    x = gb.randn(50, 40, requires_grad=True)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    mask = out.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-5)
    np.testing.assert_allclose(np.unique(x.grad.numpy()), [0.0, 1 / 0.6], rtol=1e-6)


@pytest.mark.parametrize("dtype", [gb.float32, gb.float64])
def test_dtype_is_kept(dtype):
    assert F.dropout(gb.ones(3, 3, dtype=dtype), 0.5).dtype == dtype


def test_eval_mode_and_p_zero_are_the_identity():
    x = gb.randn(4, 5, requires_grad=True)
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert F.dropout(x, 0.9, training=False) is x


def test_p_one_drops_everything_and_passes_no_gradient():
    x = gb.randn(4, 5, requires_grad=True)
    out = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(out.detach().numpy(), np.zeros((4, 5)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 5)))
    np.testing.assert_array_equal(torch.nn.Dropout(1.0)(torch.ones(4, 5)).numpy(), np.zeros((4, 5)))


def test_masks_repeat_with_the_seed():
    gb.manual_seed(3)
    first = F.dropout(gb.ones(10, 10), 0.5).numpy()
    second_draw = F.dropout(gb.ones(10, 10), 0.5).numpy()
    gb.manual_seed(3)
    np.testing.assert_array_equal(first, F.dropout(gb.ones(10, 10), 0.5).numpy())
    assert not np.array_equal(first, second_draw)


def test_probability_must_lie_in_zero_one():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(gb.ones(2), p)
    with pytest.raises(TypeError, match="floating point"):
        F.dropout(gb.ones(3, dtype=gb.int64), 0.5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch_where_deterministic(dtype):
    for layer, torch_layer in [(nn.Dropout(0.3), torch.nn.Dropout(0.3)), (nn.Dropout2d(0.3), torch.nn.Dropout2d(0.3))]:
        check_module(layer, torch_layer, [(2, 3, 4, 4)], dtype=dtype, training=False)
    check_module(nn.Dropout(0.0), torch.nn.Dropout(0.0), [(3, 4)], dtype=dtype, training=True)


def test_inplace_writes_into_the_input_when_no_graph_is_recorded():
    gb.manual_seed(4)
    x = gb.ones(20, 20)
    out = nn.Dropout(0.5, inplace=True)(x)
    assert out is x and (x.numpy() == 0).any()
    leaf = gb.ones(20, 20, requires_grad=True)
    out = F.dropout(leaf, 0.5, inplace=True)  # recording: computed out of place, gradient still right
    out.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), out.detach().numpy())
    np.testing.assert_array_equal(leaf.detach().numpy(), np.ones((20, 20)))


@pytest.mark.parametrize("layer, shape, channel_dims", [
    (nn.Dropout1d, (6, 8, 30), 2), (nn.Dropout2d, (6, 8, 5, 6), 2), (nn.Dropout3d, (6, 8, 2, 3, 5), 2),
    (nn.Dropout2d, (8, 5, 6), 1),  # unbatched (C, H, W)
])
def test_feature_dropout_drops_whole_channels(layer, shape, channel_dims):
    gb.manual_seed(5)
    out = layer(0.5)(gb.ones(*shape)).numpy()
    per_channel = out.reshape(*shape[:channel_dims], -1)
    constant = (per_channel == per_channel[..., :1]).all(axis=-1)
    assert constant.all()  # every channel entirely dropped or entirely kept
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    np.testing.assert_allclose(np.unique(per_channel), [0.0, 2.0])


def test_feature_dropout_checks_dimensions():
    with pytest.raises(RuntimeError, match="dropout2d"):
        nn.Dropout2d()(gb.ones(2, 3))


def test_repr_matches_torch():
    for ours, theirs in [(nn.Dropout(), torch.nn.Dropout()), (nn.Dropout(0.2, inplace=True),
                                                              torch.nn.Dropout(0.2, inplace=True)),
                         (nn.Dropout2d(0.1), torch.nn.Dropout2d(0.1))]:
        assert repr(ours) == repr(theirs)
