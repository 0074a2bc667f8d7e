import numpy as np
import pytest

import glassbox as gb
from glassbox.ops.matmul import product
from oracle import check, finite_difference_check

MATMUL_SHAPES = [
    [(3, 4), (4, 5)],
    [(4,), (4,)],
    [(4,), (4, 5)],
    [(3, 4), (4,)],
    [(2, 3, 4), (4, 5)],
    [(3, 4), (2, 4, 5)],
    [(2, 1, 3, 4), (5, 4, 2)],
    [(5,), (2, 5, 3)],
    [(2, 3, 5), (5,)],
    [(0, 4), (4, 3)],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes, dtype):
    check(lambda a, b: a @ b, shapes, dtype=dtype)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:9], ids=str)
def test_matmul_finite_difference(shapes):
    finite_difference_check(lambda a, b: a @ b, shapes)


def test_mm_and_bmm():
    check(lambda a, b: a.mm(b), [(3, 4), (4, 2)])
    check(lambda a, b: a.bmm(b), [(2, 3, 4), (2, 4, 2)])


def test_matmul_shape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(3, 4\) and \(5, 2\)"):
        gb.ones(3, 4) @ gb.ones(5, 2)


def test_large_matmul_matches_torch():
    check(lambda a, b: a @ b, [(128, 256), (256, 64)], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("shapes", [((32, 10), (10, 50_000)), ((10, 50_000), (50_000, 32)), ((3, 7), (7, 5)),
                                    ((64, 200), (200, 9000)), ((4, 16), (16, 90_000)), ((64, 9000), (9000, 3))])
def test_sliced_product_equals_one_product(shapes):
    """The short-side products (slices of columns, a sum over slices of the inner side) and the plain one."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(shape) for shape in shapes)
    np.testing.assert_allclose(product(a, b), a @ b, rtol=1e-12, atol=1e-12)


def test_sliced_product_takes_its_slice_size():
    """``slice_elements`` bounds each slice: 4 × 16 against 1000 columns in slices of ten columns (20 · 10 numbers),
    and a sum over an inner side of 1000 in slices of 28, equal the one product."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 16)), rng.standard_normal((16, 1000))
    np.testing.assert_allclose(product(a, b, slice_elements=200), a @ b, rtol=1e-12, atol=1e-12)
    c, d = rng.standard_normal((4, 1000)), rng.standard_normal((1000, 3))
    np.testing.assert_allclose(product(c, d, slice_elements=200), c @ d, rtol=1e-12, atol=1e-12)

