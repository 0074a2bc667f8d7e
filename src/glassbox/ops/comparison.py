"""Comparisons, logical operators and rounding: values only, never a gradient.

Their results are boolean (or integral) tensors that no gradient flows through, so
they are plain functions on the arrays rather than ``Function``s.
"""

from __future__ import annotations

from glassbox import backend
from glassbox.tensor import Tensor


def _comparison(numpy_name):
    def compare(a, b) -> Tensor:
        a_data = a.data if isinstance(a, Tensor) else a
        b_data = b.data if isinstance(b, Tensor) else b
        return Tensor._wrap(getattr(backend.module_of(a_data if isinstance(a, Tensor) else b_data), numpy_name)(
            a_data, b_data
        ))

    compare.__name__ = numpy_name
    return compare


eq = _comparison("equal")
ne = _comparison("not_equal")
lt = _comparison("less")
le = _comparison("less_equal")
gt = _comparison("greater")
ge = _comparison("greater_equal")
logical_and = _comparison("logical_and")
logical_or = _comparison("logical_or")
logical_xor = _comparison("logical_xor")


def logical_not(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).logical_not(a.data))


def isnan(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).isnan(a.data))


def isinf(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).isinf(a.data))


def isfinite(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).isfinite(a.data))


def floor(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).floor(a.data))


def ceil(a: Tensor) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).ceil(a.data))


def round(a: Tensor, decimals: int = 0) -> Tensor:
    return Tensor._wrap(backend.module_of(a.data).round(a.data, decimals))
