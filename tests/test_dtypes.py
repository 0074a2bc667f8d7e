import numpy as np
import pytest

import glassbox as gb
from glassbox import dtypes


@pytest.mark.parametrize("given,expected", [
    (np.int64, gb.int64), (np.float64, gb.float64), ("float32", gb.float32), (float, gb.float32),
    (int, gb.int64), (bool, gb.bool), ("torch.float64", gb.float64), (gb.int32, gb.int32),
])
def test_as_dtype_accepts_the_spellings_users_write(given, expected):
    assert dtypes.as_dtype(given) == expected
    assert gb.zeros(2, dtype=given).dtype == expected


def test_unknown_dtype_is_a_clear_error():
    with pytest.raises(TypeError, match="unknown dtype"):
        dtypes.as_dtype("complex-ish")
