import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from glassbox.ops.two_by_two import max_of_window_positions, rectify, scan_winners, window_shares


def _positions(maps):
    """The four positions of every 2×2 window of (N, C, H, W) maps, in scan order."""
    return [np.ascontiguousarray(maps[:, :, a::2, b::2]) for a in range(2) for b in range(2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maxima_and_winners_are_torchs(dtype):
    """Integer values make ties in most windows (the first in scan order wins); ±inf and a NaN (which wins, the
    last of several) are placed in some."""
    rng = np.random.default_rng(0)
    maps = rng.integers(-2, 3, size=(2, 3, 6, 8)).astype(dtype)
    maps[0, 0, 0:2, 0:2] = -np.inf
    maps[0, 1, 2, 2:4] = np.inf
    maps[1, 2, 4, 6], maps[1, 2, 5, 7] = np.nan, np.nan
    maxima, winners = max_of_window_positions(_positions(maps))
    expected, indices = TF.max_pool2d(torch.tensor(maps), 2, return_indices=True)
    np.testing.assert_array_equal(maxima, expected.numpy())
    rows, columns = np.divmod(indices.numpy(), maps.shape[3])
    np.testing.assert_array_equal(winners, (rows % 2) * 2 + columns % 2)
    assert max_of_window_positions(_positions(maps), need_winners=False)[1] is None


def test_scan_moves_to_greater_values_and_every_nan():
    views = [np.array([1.0, 5.0, np.nan]), np.array([2.0, 5.0, 0.0]), np.array([0.0, 4.0, np.nan])]
    np.testing.assert_array_equal(scan_winners(views, np.zeros(3, dtype=np.uint8)), [1, 0, 2])


def test_shares_send_each_gradient_to_its_winner_only():
    rng = np.random.default_rng(1)
    winners = rng.integers(0, 4, size=(3, 5)).astype(np.uint8)
    values = rng.normal(size=(3, 5))
    values[0, 0], values[1, 1] = np.inf, np.nan  # 0 · inf would be NaN: the other positions must still get 0
    shares = window_shares(values, winners, np.empty((2, 2, 3, 5)))
    for offset in range(4):
        share = shares[offset // 2, offset % 2]
        np.testing.assert_array_equal(share[winners == offset], values[winners == offset])
        assert (share[winners != offset] == 0).all()


def test_rectify_is_relu_with_its_gradient_in_the_winners():
    """Windows whose maximum is <= 0 get no position as winner, so no share; a NaN maximum passes its gradient, as
    PyTorch's ReLU does."""
    maxima = np.array([2.0, 0.0, -1.0, np.nan, 0.5])
    winners = np.array([0, 1, 2, 3, 3], dtype=np.uint8)
    rectify(maxima, winners)
    np.testing.assert_array_equal(maxima, [2.0, 0.0, 0.0, np.nan, 0.5])
    np.testing.assert_array_equal(winners, [0, 5, 6, 3, 3])
    shares = window_shares(np.ones(5), winners, np.empty((2, 2, 5)))
    np.testing.assert_array_equal(shares.reshape(4, 5).sum(axis=0), [1, 0, 0, 1, 1])
