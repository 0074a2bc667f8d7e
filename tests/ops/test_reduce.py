import numpy as np
import pytest
import torch

import glassbox as gb
from oracle import check, finite_difference_check

SHAPE = (3, 4, 5)
REDUCTIONS = {
    "sum_all": lambda x: x.sum(),
    "sum_dim": lambda x: x.sum(1),
    "sum_negative_dim": lambda x: x.sum(-1),
    "sum_dims_keepdim": lambda x: x.sum((0, 2), keepdim=True),
    "mean_all": lambda x: x.mean(),
    "mean_dim": lambda x: x.mean(0),
    "mean_dims": lambda x: x.mean((1, 2)),
    "mean_keepdim": lambda x: x.mean(2, keepdim=True),
    "amax": lambda x: x.amax(1),
    "amin_keepdim": lambda x: x.amin((0, 1), keepdim=True),
    "max_all": lambda x: x.max(),
    "min_all": lambda x: x.min(),
    "max_dim": lambda x: tuple(x.max(1)),
    "min_dim_keepdim": lambda x: tuple(x.min(-1, keepdim=True)),
    "var_all": lambda x: x.var(),
    "var_dim": lambda x: x.var(1),
    "var_biased": lambda x: x.var(1, unbiased=False),
    "var_correction": lambda x: x.var(dim=(0, 2), correction=0, keepdim=True),
    "std_dim": lambda x: x.std(2),
    "std_all": lambda x: x.std(),
    "logsumexp": lambda x: x.logsumexp(1),
    "norm": lambda x: x.norm(),
    "norm_dim": lambda x: x.norm(dim=1),
    "prod": lambda x: x.prod(1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_matches_torch(name, dtype):
    check(REDUCTIONS[name], [SHAPE], dtype=dtype)


@pytest.mark.parametrize("name", [n for n in REDUCTIONS if not n.startswith(("max", "min", "amax", "amin"))])
def test_reduction_finite_difference(name):
    finite_difference_check(REDUCTIONS[name], [(2, 3, 2)])


def test_max_with_ties_shares_gradient_like_torch():
    values = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=np.float32)
    check(lambda x: x.max(), inputs=[values])
    check(lambda x: x.amax(1), inputs=[values])


def test_argmax_and_argmin():
    check(lambda x: x.argmax(1), [SHAPE], grad=False)
    check(lambda x: x.argmin(), [SHAPE], grad=False)
    check(lambda x: x.argmax(-1, keepdim=True), [SHAPE], grad=False)


def test_reductions_of_scalars_and_integers():
    check(lambda x: x.sum(), [()])
    check(lambda x: x.sum(), inputs=[np.array([1, 2, 3], dtype=np.int32)], grad=False)
    check(lambda x: x.sum(), inputs=[np.array([True, False, True])], grad=False)


def test_sum_over_empty_tensor():
    check(lambda x: x.sum(0), [(0, 3)])


def test_norm_gradient_at_zero_is_zero():
    x = gb.zeros(3, requires_grad=True)
    x.norm().backward()
    assert np.all(x.grad.numpy() == 0)


def test_dimension_out_of_range():
    with pytest.raises(IndexError, match="range of \\[-3, 2\\], but got 3"):
        gb.ones(2, 3, 4).sum(3)


def test_mean_of_integers_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        gb.arange(4).mean()


def test_torch_also_rejects_mean_of_integers():
    with pytest.raises(RuntimeError):
        torch.arange(4).mean()


# Large contiguous float inputs take sum_array's cascade (rows cut into blocks summed by a product with ones,
# block sums added pairwise)
LARGE_REDUCTIONS = {
    "sum_last": ((64, 100), lambda x: x.sum(-1)),
    "sum_trailing_keepdim": ((4, 30, 50), lambda x: x.sum((1, 2), keepdim=True)),
    "sum_all_blocks_and_tail": ((3, 9001), lambda x: x.sum()),
    "sum_all_trailing_rows": ((8, 16, 20, 10), lambda x: x.sum()),  # rows of 16 x 20 x 10, then their sums
    "sum_all_short_rows": ((5000, 4), lambda x: x.sum()),  # rows too short for the product: one long row
    "sum_rows_blocks_and_tail": ((3, 9001), lambda x: x.sum(1)),
    "sum_rows_whole_blocks": ((2, 8192), lambda x: x.sum(1)),
    "sum_leading_axis": ((100, 64), lambda x: x.sum(0)),
    "mean_all": ((200, 300), lambda x: x.mean()),
    "mean_last_keepdim": ((50, 5000), lambda x: x.mean(-1, keepdim=True)),
    "mean_middle": ((20, 30, 40), lambda x: x.mean(1)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LARGE_REDUCTIONS)
def test_large_reduction_matches_torch(name, dtype):
    shape, fn = LARGE_REDUCTIONS[name]
    check(fn, [shape], dtype=dtype)


def test_large_sum_of_strided_input_matches_torch():
    check(lambda x: x.t().sum(1), [(300, 200)])
    # a whole sum of a transposed or permuted block is read in memory order; of a stepped view, as it is
    check(lambda x: x.t().sum(), [(300, 200)])
    check(lambda x: x.permute(2, 0, 1).mean(), [(20, 30, 40)], dtype="float64")
    check(lambda x: x.permute(1, 0, 2).sum((0, 1, 2), keepdim=True), [(20, 30, 40)])
    check(lambda x: x[:, ::2].sum(), [(300, 200)])


def test_sum_array_of_permuted_and_broadcast_arrays():
    from glassbox.ops.reduce import sum_array

    values = np.random.default_rng(4).standard_normal((30, 40, 50)).astype(np.float32)
    for view in (values.transpose(2, 0, 1), values.T, values[::-1], np.broadcast_to(values[:1], values.shape)):
        for keepdims in (False, True):
            ours = sum_array(view, None if keepdims else tuple(range(3)), keepdims)
            assert ours.dtype == np.float32 and ours.shape == view.sum(keepdims=keepdims).shape
            np.testing.assert_allclose(ours, np.full(ours.shape, view.astype(np.float64).sum()), rtol=1e-5)


def test_sum_array_equals_numpy_to_rounding():
    from glassbox.ops.reduce import sum_array

    values = np.random.default_rng(3).standard_normal((7, 20_001)).astype(np.float32)
    exact = values.astype(np.float64)
    for axes, keepdims in (((1,), False), (None, False), ((0, 1), True)):
        ours = sum_array(values, axes, keepdims)
        assert ours.dtype == np.float32 and ours.shape == values.sum(axis=axes, keepdims=keepdims).shape
        np.testing.assert_allclose(ours, exact.sum(axis=axes, keepdims=keepdims), rtol=1e-5, atol=2e-3)
    special = values.copy()
    special[0, 5], special[1, 19_000], special[2, :2] = np.inf, np.nan, (np.inf, -np.inf)
    np.testing.assert_array_equal(sum_array(special, (1,))[:3], [np.inf, np.nan, np.nan])  # and no warning
    huge = np.full((2, 5000), 1e35, dtype=np.float32)
    np.testing.assert_array_equal(sum_array(huge, None), np.float32(np.inf))
    rows = np.ones((100, 300), dtype=np.float32)  # a whole sum by rows of the trailing axis
    rows[3, 7], rows[50, 0] = np.inf, -np.inf
    np.testing.assert_array_equal(sum_array(rows, None), np.float32(np.nan))
    np.testing.assert_array_equal(sum_array(np.full((100, 300), 1e35, np.float32), None), np.float32(np.inf))


# Rows of 64 to 2048 values in a contiguous float array take extremum_along's argmax path (the value at the
# index argmax gives); other shapes reduce with maximum / minimum.
@pytest.mark.parametrize("shape", [(64, 64), (3, 40, 130), (100, 2048), (70, 2049), (63, 100), (200, 63)])
@pytest.mark.parametrize("name", ["amax", "amin", "max_dim", "softmax", "log_softmax"])
def test_row_extrema_of_many_rows_match_torch(name, shape):
    fn = {
        "amax": lambda x: x.amax(-1),
        "amin": lambda x: x.amin(-1, keepdim=True),
        "max_dim": lambda x: tuple(x.max(-1)),
        "softmax": lambda x: x.softmax(-1),
        "log_softmax": lambda x: x.log_softmax(-1),
    }[name]
    check(fn, [shape], dtype="float32")


def test_extremum_along_keeps_nan_and_infinities():
    from glassbox.ops.reduce import extremum_along

    values = np.random.default_rng(0).standard_normal((80, 100)).astype(np.float32)
    values[3, 50], values[4, 0], values[5, 99] = np.nan, -np.nan, np.inf
    values[6] = -np.inf
    for largest, reducer in ((True, torch.amax), (False, torch.amin)):
        ours = extremum_along(values, 1, largest=largest)
        theirs = reducer(torch.from_numpy(values), 1, keepdim=True).numpy()
        assert ours.shape == (80, 1)
        np.testing.assert_array_equal(ours, theirs)  # NaN where torch has NaN: rows 3 and 4
    for array in (values.T, values[:, ::2], values.astype(np.float64)):  # other layouts and the second dtype
        np.testing.assert_array_equal(extremum_along(array, array.ndim - 1), np.max(array, axis=-1, keepdims=True))


def test_extremum_along_needs_no_copy_of_a_large_input():
    from glassbox.ops.reduce import extremum_along

    values = np.arange(64 * 1000, dtype=np.float32).reshape(64, 1000)
    values.flags.writeable = False  # read-only input: the picks are read, never written
    np.testing.assert_array_equal(extremum_along(values, 1)[:, 0], values[:, -1])
    np.testing.assert_array_equal(extremum_along(values, 1, largest=False)[:, 0], values[:, 0])


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_and_min_along_a_dim_match_torch_with_ties_nan_and_empty_rows(op):
    values = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, np.nan, 2.0, np.nan], [-5.0, -5.0, -5.0, -5.0]], np.float32)
    check(lambda x: tuple(getattr(x, op)(1)), inputs=[values])  # the gradient goes to the picked entry alone
    check(lambda x: tuple(getattr(x, op)(0, keepdim=True)), inputs=[values])
    check(lambda x: tuple(getattr(x, op)(1)), [(0, 3)])
    with pytest.raises(IndexError, match=f"{op}: cannot reduce over dim 1 of size 0"):
        getattr(gb.zeros(3, 0), op)(1)
