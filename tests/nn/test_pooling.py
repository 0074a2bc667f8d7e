import re

import pytest
import torch

import glassbox as gb
from glassbox import nn
from oracle import check_module

MODULE_CASES = [
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 8, 8)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 3, 9, 7)),
    ("MaxPool2d", dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), return_indices=True), (1, 2, 7, 9)),
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1, return_indices=True), (2, 3, 10)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 3, 9, 7)),
    ("AvgPool2d", dict(kernel_size=2, divisor_override=2), (2, 3, 8, 6)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 5)), (2, 3, 8, 7)),
    ("AdaptiveAvgPool2d", dict(output_size=(4, None)), (2, 3, 8, 7)),
    ("AdaptiveAvgPool2d", dict(output_size=1), (2, 3, 8, 7)),
    ("AdaptiveMaxPool2d", dict(output_size=(3, 5), return_indices=True), (2, 3, 8, 7)),
    ("AdaptiveMaxPool2d", dict(output_size=(4, 7)), (2, 3, 8, 7)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, arguments, shape", MODULE_CASES, ids=str)
def test_pooling_modules_match_torch(name, arguments, shape, dtype):
    check_module(getattr(nn, name)(**arguments), getattr(torch.nn, name)(**arguments), [shape], dtype=dtype)


def test_unbatched_input():
    check_module(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), [(3, 6, 6)])
    check_module(nn.AvgPool1d(2), torch.nn.AvgPool1d(2), [(3, 6)])
    check_module(nn.AdaptiveMaxPool2d(2, return_indices=True), torch.nn.AdaptiveMaxPool2d(2, return_indices=True),
                 [(3, 5, 5)])


def test_reprs_match_torch():
    for name, arguments in [("MaxPool2d", dict(kernel_size=2)), ("MaxPool2d", dict(kernel_size=(2, 3), stride=1)),
                            ("MaxPool1d", dict(kernel_size=3, stride=2)), ("AvgPool2d", dict(kernel_size=3)),
                            ("AvgPool1d", dict(kernel_size=3)), ("AdaptiveAvgPool2d", dict(output_size=(7, None))),
                            ("AdaptiveMaxPool2d", dict(output_size=1, return_indices=True))]:
        assert repr(getattr(nn, name)(**arguments)) == repr(getattr(torch.nn, name)(**arguments))


def test_error_quotes_the_output_size_formula():
    expected = ("MaxPool2d(kernel_size=3): input of height 2 is too small: "
                "output height = floor((2 + 2·0 - 3) / 3) + 1 = 0 < 1")
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        nn.MaxPool2d(3)(gb.zeros(1, 1, 2, 5))
    with pytest.raises(RuntimeError, match=re.escape("input of length 1 is too small")):
        nn.AvgPool1d(2)(gb.zeros(1, 1, 1))
    with pytest.raises(RuntimeError, match=re.escape("expected a 3-D (unbatched) or 4-D (batched) input")):
        nn.MaxPool2d(2)(gb.zeros(4, 4))


def test_argument_errors():
    with pytest.raises(ValueError, match="pad should be at most half of effective kernel size"):
        nn.MaxPool2d(3, padding=2)(gb.zeros(1, 1, 5, 5))
    with pytest.raises(ValueError, match="pad should be at most half of kernel size"):
        nn.AvgPool2d(2, padding=2)(gb.zeros(1, 1, 5, 5))
    with pytest.raises(RuntimeError, match="output size"):
        nn.AdaptiveAvgPool2d(0)(gb.zeros(1, 1, 5, 5))
