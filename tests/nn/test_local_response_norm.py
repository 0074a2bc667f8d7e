import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from oracle import check, check_module, finite_difference_check


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("arguments, shape", [
    (dict(size=5), (2, 7, 4, 3)),  # AlexNet's setting, as PyTorch's defaults
    (dict(size=5, alpha=1e-4, beta=0.75, k=2.0), (2, 96, 5, 5)),  # AlexNet's paper: k = 2
    (dict(size=4, alpha=0.1, beta=0.5, k=2.0), (2, 7, 5)),  # even size: one more neighbour after
    (dict(size=3, alpha=0.3), (2, 6, 3, 2, 2)),
    (dict(size=9, alpha=0.5), (1, 4, 3, 3)),  # window wider than the channels
    (dict(size=1, alpha=1.0, beta=1.0, k=0.5), (2, 3, 2, 2)),
], ids=str)
def test_local_response_norm_matches_torch(arguments, shape, dtype):
    check_module(nn.LocalResponseNorm(**arguments), torch.nn.LocalResponseNorm(**arguments), [shape], dtype=dtype)


def test_functional_form_and_finite_difference():
    def run(x):
        functional = F if isinstance(x, gb.Tensor) else torch.nn.functional
        return functional.local_response_norm(x, 3, alpha=0.2, beta=0.75, k=1.5)

    check(run, [(2, 5, 3, 3)], dtype="float64")
    finite_difference_check(run, [(2, 5, 2, 3)])


def test_formula_by_hand():
    """b_c = a_c · (k + α/n · Σ_{c' near c} a_{c'}²)^(−β) for one position, written out."""
    a = np.array([1.0, 2.0, 3.0, 4.0])
    size, alpha, beta, k = 3, 0.3, 0.75, 2.0
    out = nn.LocalResponseNorm(size, alpha, beta, k)(gb.tensor(a.reshape(1, 4, 1, 1))).numpy().ravel()
    neighbours = [[0, 1], [0, 1, 2], [1, 2, 3], [2, 3]]  # c − 1 … c + 1, inside the channels
    expected = [a[c] * (k + alpha / size * sum(a[j] ** 2 for j in near)) ** -beta for c, near in enumerate(neighbours)]
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_repr_and_errors():
    assert repr(nn.LocalResponseNorm(5)) == repr(torch.nn.LocalResponseNorm(5))
    assert repr(nn.LocalResponseNorm(3, 0.1, 0.5, 2.0)) == repr(torch.nn.LocalResponseNorm(3, 0.1, 0.5, 2.0))
    with pytest.raises(ValueError, match="3 or more dimensions"):
        nn.LocalResponseNorm(2)(gb.zeros(4, 3))
