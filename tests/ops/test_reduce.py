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
