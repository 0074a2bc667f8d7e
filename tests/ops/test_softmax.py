import numpy as np
import pytest

import glassbox as gb
from oracle import check, finite_difference_check


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_matches_torch(dim, dtype):
    check(lambda x: x.softmax(dim), [(3, 4, 5)], dtype=dtype)
    check(lambda x: x.log_softmax(dim), [(3, 4, 5)], dtype=dtype)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_finite_difference(fn):
    finite_difference_check(lambda x: getattr(x, fn)(1), [(2, 4)])


def test_softmax_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [1e4, 1e4, 1e4]], dtype=np.float32)
    check(lambda x: x.softmax(1), inputs=[logits])
    check(lambda x: x.log_softmax(1), inputs=[logits])


def test_softmax_needs_dim():
    with pytest.raises(TypeError, match="dim"):
        gb.softmax(gb.ones(3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim", [-1, 0, 1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_large_softmax_matches_torch(name, dim, dtype):
    check(lambda x: getattr(x, name)(dim), [(40, 6000 if dim == -1 else 200)], dtype=dtype, low=-30, high=30)


@pytest.mark.parametrize("shape", [(3, 4, 5), (40, 6000)])
def test_softmax_backward_of_a_broadcast_gradient(shape):
    # Summing the output hands softmax a gradient broadcast along the summed dims (a stride-0 view), which its
    # backward handles apart from a full one.
    check(lambda x: x.softmax(-1).sum(-1), [shape], low=-30, high=30)
    check(lambda x: x.softmax(0).sum(), [shape], low=-30, high=30)
