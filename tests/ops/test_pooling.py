import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from glassbox.ops.pooling import adaptive_bounds, pool_output_size
from oracle import check, finite_difference_check


def _both(name, **options):
    """The same pooling call on glassbox tensors (glassbox.nn.functional) and torch tensors."""
    return lambda x: getattr(F if isinstance(x, gb.Tensor) else TF, name)(x, **options)


MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=2, stride=1, dilation=2, ceil_mode=True),
    dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1)),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", MAX_CASES, ids=str)
def test_max_pool2d_matches_torch(options, dtype):
    check(_both("max_pool2d", **options), [(2, 3, 9, 8)], dtype=dtype)
    check(_both("max_pool2d", return_indices=True, **options), [(1, 2, 7, 10)], dtype=dtype)


@pytest.mark.parametrize("options", MAX_CASES, ids=str)
def test_max_pool2d_ties_go_where_torch_sends_them(options):
    """Integer-valued inputs tie in almost every window: forward, indices and gradient must still match."""
    values = np.random.default_rng(1).integers(0, 3, size=(2, 3, 9, 8)).astype(np.float32)
    check(_both("max_pool2d", return_indices=True, **options), inputs=[values])


def test_max_pool2d_nan_wins_its_window_as_in_torch():
    values = np.random.default_rng(2).normal(size=(2, 2, 6, 6)).astype(np.float32)
    values[0, 0, 1, 1] = values[0, 0, 0, 1] = values[1, 1, 4, 5] = np.nan
    ours, theirs = gb.tensor(values), torch.tensor(values)
    for options in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        (out, index), (expected, expected_index) = (F.max_pool2d(ours, return_indices=True, **options),
                                                    TF.max_pool2d(theirs, return_indices=True, **options))
        np.testing.assert_array_equal(out.numpy(), expected.numpy())  # NaNs in the same places
        np.testing.assert_array_equal(index.numpy(), expected_index.numpy())


def _forward_and_gradient(values, function, torch_function):
    """Outputs and input gradients (from a fixed output gradient) of a pooling, in glassbox and in torch."""
    ours = gb.as_tensor(values).requires_grad_()  # as_tensor keeps the memory order (gb.tensor copies to C order)
    theirs = torch.tensor(np.ascontiguousarray(values), requires_grad=True)
    (out, index), (expected, expected_index) = function(ours), torch_function(theirs)
    grad = np.random.default_rng(0).normal(size=expected.shape).astype(values.dtype)
    out.backward(gb.tensor(grad))
    expected.backward(torch.tensor(grad))
    return (out.detach().numpy(), index.numpy(), ours.grad.numpy()), (
        expected.detach().numpy(), expected_index.numpy(), theirs.grad.numpy())


def test_max_pool2d_all_minus_infinity_window_picks_first_position_inside():
    values = np.full((1, 1, 4, 4), -np.inf, dtype=np.float32)
    values[0, 0, 3, 3] = 1.0
    ours, theirs = _forward_and_gradient(
        values, lambda x: F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True),
        lambda x: TF.max_pool2d(x, 3, stride=2, padding=1, return_indices=True))
    for mine, expected in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine, expected)


def test_max_pool2d_of_integers_matches_torch():
    values = np.random.default_rng(3).integers(-5, 5, size=(2, 2, 7, 7))
    out = F.max_pool2d(gb.tensor(values), 3, stride=2, padding=1)
    expected = TF.max_pool2d(torch.tensor(values), 3, stride=2, padding=1)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_pooling_reads_any_memory_order():
    """A convolution's output is an (N, C, H, W) view of a batch-innermost block; pooling must not care."""
    batch_innermost = np.random.default_rng(4).normal(size=(3, 6, 8, 2)).transpose(3, 0, 1, 2)  # (N, C, H, W)
    assert not gb.as_tensor(batch_innermost).data.flags.c_contiguous
    for options in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)):
        ours, theirs = _forward_and_gradient(batch_innermost,
                                             lambda x, o=options: F.max_pool2d(x, return_indices=True, **o),
                                             lambda x, o=options: TF.max_pool2d(x, return_indices=True, **o))
        for mine, expected in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(mine, expected, rtol=1e-12)
        ours, theirs = _forward_and_gradient(batch_innermost, lambda x, o=options: (F.avg_pool2d(x, **o), gb.zeros(1)),
                                             lambda x, o=options: (TF.avg_pool2d(x, **o), torch.zeros(1)))
        for mine, expected in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(mine, expected, rtol=1e-12)


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), ceil_mode=True),
    dict(kernel_size=2, divisor_override=3),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", AVG_CASES, ids=str)
def test_avg_pool2d_matches_torch(options, dtype):
    check(_both("avg_pool2d", **options), [(2, 3, 9, 8)], dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output_size", [(3, 4), (4, 8), 1, (5, 3), (7, None), (9, 8), (11, 10)], ids=str)
def test_adaptive_pools_match_torch(output_size, dtype):
    check(_both("adaptive_avg_pool2d", output_size=output_size), [(2, 3, 9, 8)], dtype=dtype)
    check(_both("adaptive_max_pool2d", output_size=output_size, return_indices=True), [(2, 3, 9, 8)], dtype=dtype)


def test_adaptive_max_pool2d_ties_match_torch():
    values = np.random.default_rng(5).integers(0, 2, size=(2, 2, 9, 7)).astype(np.float32)
    check(_both("adaptive_max_pool2d", output_size=(4, 3), return_indices=True), inputs=[values])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_1d_pools_match_torch(dtype):
    check(_both("max_pool1d", kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True), [(2, 3, 10)],
          dtype=dtype)
    check(_both("max_pool1d", kernel_size=2, dilation=2), [(2, 3, 9)], dtype=dtype)
    check(_both("avg_pool1d", kernel_size=3, stride=2, padding=1, count_include_pad=False), [(2, 3, 10)], dtype=dtype)
    check(_both("avg_pool1d", kernel_size=4, ceil_mode=True), [(2, 3, 10)], dtype=dtype)


@pytest.mark.parametrize("name, options", [
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", dict(kernel_size=(2, 3), dilation=(2, 1))),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True)),
    ("adaptive_avg_pool2d", dict(output_size=(3, 4))),
    ("adaptive_max_pool2d", dict(output_size=(3, 4))),
])
def test_pooling_finite_difference(name, options):
    finite_difference_check(lambda x: getattr(F, name)(x, **options), [(2, 2, 7, 9)])


def test_pool_output_size_matches_torch_shapes():
    for n in range(2, 12):
        for k, s, p in [(2, 2, 0), (3, 2, 1), (3, 3, 1), (4, 3, 2), (2, 1, 1), (5, 4, 2)]:
            for ceil_mode in (False, True):
                if n + 2 * p < k:
                    continue
                expected = TF.max_pool2d(torch.zeros(1, 1, n, n), k, s, p, ceil_mode=ceil_mode).shape[-1]
                assert pool_output_size(n, k, p, s, ceil_mode=ceil_mode) == expected, (n, k, s, p, ceil_mode)


def test_adaptive_bounds_are_torch_windows():
    assert adaptive_bounds(10, 3) == [(0, 4), (3, 7), (6, 10)]  # floor(i·n/m) … ceil((i+1)·n/m)
    assert adaptive_bounds(8, 4) == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert adaptive_bounds(3, 5) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]


def test_two_by_two_windows_equal_the_general_scan(monkeypatch):
    """The 2×2 stride-2 shortcut (three maxima, three comparisons) gives the general path's maxima and winners,
    ties (integer values), infinities and odd sides (the last row and column dropped) included."""
    from glassbox.ops.pooling import PoolingWindows, window_max

    values = np.random.default_rng(5).integers(-2, 3, size=(2, 3, 9, 7)).astype(np.float32)
    values[0, 0, :2, :2] = -np.inf
    values[1, 2, 2:4, 4:6] = [[np.inf, 1], [np.inf, np.inf]]
    values = values.transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2)  # batch innermost, as a conv's output
    windows = PoolingWindows(values.shape, (2, 2), (2, 2), (0, 0), (1, 1), (4, 3))
    assert windows.halves_each_side()
    maxima, winners = window_max(values, windows)
    monkeypatch.setattr(PoolingWindows, "halves_each_side", lambda self: False)
    expected_maxima, expected_winners = window_max(values, windows)
    np.testing.assert_array_equal(maxima, expected_maxima)
    np.testing.assert_array_equal(winners, expected_winners)
    assert winners.dtype == expected_winners.dtype
    for kernel, stride, padding in [((2, 2), (1, 1), (0, 0)), ((3, 3), (2, 2), (0, 0)), ((2, 2), (2, 2), (1, 1))]:
        assert not PoolingWindows(values.shape, kernel, stride, padding, (1, 1), (2, 2)).halves_each_side()


@pytest.mark.parametrize("layout", ["batch innermost", "nchw", "one image"])
def test_two_by_two_spread_equals_the_general_spread(layout, monkeypatch):
    """The 2×2 stride-2 backward (a share per window position, one copy into place) sends each gradient where the
    general spread does: odd sides (the last row and column get 0), either memory order, inf and NaN gradients."""
    from glassbox.ops.pooling import PoolingWindows, window_max

    rng = np.random.default_rng(6)
    n = 1 if layout == "one image" else 2
    values = rng.integers(-2, 3, size=(n, 3, 9, 7)).astype(np.float64)
    if layout != "nchw":
        values = values.transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2)
    windows = PoolingWindows(values.shape, (2, 2), (2, 2), (0, 0), (1, 1), (4, 3))
    _, winners = window_max(values, windows)
    gradients = rng.normal(size=(n, 3, 4, 3))
    like = values[:1, :1, :1, :1]
    spread = windows.spread(gradients, like, winners)
    with_infinities = gradients.copy()
    with_infinities[0, 1, 2, 1], with_infinities[-1, 2, 0, 0] = np.inf, np.nan
    spread_infinities = windows.spread(with_infinities, like, winners)
    monkeypatch.setattr(PoolingWindows, "halves_each_side", lambda self: False)
    np.testing.assert_array_equal(spread, windows.spread(gradients, like, winners))
    np.testing.assert_array_equal(spread_infinities, windows.spread(with_infinities, like, winners))
    assert np.isinf(spread_infinities).sum() == 1 and np.isnan(spread_infinities).sum() == 1
    assert spread.flags.c_contiguous == (layout != "batch innermost")  # laid out like the input
