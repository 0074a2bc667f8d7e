import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.nn.conv import conv_output_size
from oracle import check, check_module

CONV2D_CASES = [
    # constructor arguments shared by nn.Conv2d and torch.nn.Conv2d, input shape
    (dict(in_channels=1, out_channels=4, kernel_size=3, padding=1), (2, 1, 8, 8)),
    (dict(in_channels=3, out_channels=5, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)), (2, 3, 9, 7)),
    (dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, dilation=2, groups=2, bias=False), (2, 4, 11, 9)),
    (dict(in_channels=4, out_channels=4, kernel_size=3, padding=1, groups=4), (2, 4, 6, 5)),  # depthwise
    (dict(in_channels=3, out_channels=4, kernel_size=4, padding="same"), (2, 3, 7, 6)),  # even kernel: 1 + 2
    (dict(in_channels=3, out_channels=4, kernel_size=(2, 3), padding="same", dilation=(3, 1)), (1, 3, 7, 6)),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding="valid"), (1, 3, 5, 5)),  # batch 1
    (dict(in_channels=2, out_channels=3, kernel_size=1), (2, 2, 4, 3)),
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=(1, 2), padding_mode="replicate"), (2, 2, 5, 6)),
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="circular", stride=2), (2, 2, 5, 6)),
    (dict(in_channels=2, out_channels=2, kernel_size=2, padding="same", padding_mode="reflect"), (1, 2, 5, 4)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("arguments, shape", CONV2D_CASES, ids=str)
def test_conv2d_matches_torch(arguments, shape, dtype):
    check_module(nn.Conv2d(**arguments), torch.nn.Conv2d(**arguments), [shape], dtype=dtype, steps=2)


CONV1D_CASES = [
    (dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 9)),
    (dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=2, dilation=2, groups=2), (1, 4, 12)),
    (dict(in_channels=3, out_channels=3, kernel_size=4, padding="same", groups=3), (2, 3, 7)),
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="circular", bias=False), (2, 2, 6)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("arguments, shape", CONV1D_CASES, ids=str)
def test_conv1d_matches_torch(arguments, shape, dtype):
    check_module(nn.Conv1d(**arguments), torch.nn.Conv1d(**arguments), [shape], dtype=dtype)


TRANSPOSE_CASES = [
    (dict(in_channels=3, out_channels=2, kernel_size=3), (2, 3, 4, 5)),
    (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1, output_padding=1), (2, 3, 4, 4)),
    (dict(in_channels=4, out_channels=6, kernel_size=(2, 3), stride=(2, 1), groups=2, dilation=(1, 2)), (1, 4, 3, 4)),
    (dict(in_channels=2, out_channels=2, kernel_size=4, stride=2, padding=1, bias=False), (2, 2, 5, 5)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("arguments, shape", TRANSPOSE_CASES, ids=str)
def test_conv_transpose2d_matches_torch(arguments, shape, dtype):
    check_module(nn.ConvTranspose2d(**arguments), torch.nn.ConvTranspose2d(**arguments), [shape], dtype=dtype)


def test_conv_transpose2d_output_size_picks_the_output_padding():
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    check_module(ours, theirs, [(1, 2, 4, 4)], forward_kwargs=dict(output_size=(8, 7)))
    with pytest.raises(ValueError, match="valid sizes range from 7 to 8"):
        ours(gb.randn(1, 2, 4, 4), output_size=(9, 7))


def test_unbatched_input():
    check_module(nn.Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(2, 3, 3, padding=1), [(2, 5, 4)])
    check_module(nn.Conv1d(2, 3, 2), torch.nn.Conv1d(2, 3, 2), [(2, 5)])
    check_module(nn.ConvTranspose2d(2, 3, 2, stride=2), torch.nn.ConvTranspose2d(2, 3, 2, stride=2), [(2, 3, 3)])


@pytest.mark.parametrize("padding", [0, 1, (2, 0), "same", "valid"])
def test_functional_conv2d_matches_torch(padding):
    def run(x, w, b):
        functional = F if isinstance(x, gb.Tensor) else TF
        return functional.conv2d(x, w, b, stride=1, padding=padding, dilation=(1, 2), groups=2)

    check(run, [(2, 4, 7, 8), (6, 2, 2, 3), (6,)], dtype="float64")


def test_functional_conv1d_and_transposes_match_torch():
    def run(x, w, b):
        functional = F if isinstance(x, gb.Tensor) else TF
        return functional.conv1d(x, w, b, stride=2, padding=1, dilation=2)

    check(run, [(2, 3, 11), (4, 3, 3), (4,)], dtype="float64")

    def run_transpose(x, w, b):
        functional = F if isinstance(x, gb.Tensor) else TF
        return functional.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2)

    check(run_transpose, [(2, 3, 5), (3, 2, 4), (2,)], dtype="float64")


def test_larger_layers_match_torch_in_float32():
    """The benchmark network's shapes: a long GEMM K dimension in the weight gradient."""
    check_module(nn.Conv2d(8, 16, 3, padding=1), torch.nn.Conv2d(8, 16, 3, padding=1), [(8, 8, 14, 14)],
                 atol=1e-4, rtol=1e-4)


WINOGRAD_CASES = [
    # 3×3, stride 1, many channels: the Winograd primitive; input shapes with odd and even sides
    (dict(in_channels=64, out_channels=64, kernel_size=3, padding=1), (2, 64, 6, 5)),
    (dict(in_channels=64, out_channels=96, kernel_size=3, padding="same", bias=False), (1, 64, 5, 8)),
    (dict(in_channels=128, out_channels=128, kernel_size=3, groups=2), (2, 128, 7, 6)),  # no padding, groups
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("arguments, shape", WINOGRAD_CASES, ids=str)
def test_winograd_layers_match_torch(arguments, shape, dtype):
    layer = nn.Conv2d(**arguments)
    assert type(layer(gb.randn(*shape)).grad_fn).__name__ == "WinogradConvolution"
    check_module(layer, torch.nn.Conv2d(**arguments), [shape], dtype=dtype, low=-1, high=1, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("arguments", [dict(stride=2), dict(dilation=2), dict(kernel_size=5), dict(in_channels=8)],
                         ids=str)
def test_convolutions_winograd_cannot_do_take_im2col(arguments):
    """Stride 2, dilation 2, a 5×5 kernel or few channels: the general primitive, still equal to PyTorch."""
    arguments = dict(dict(in_channels=64, out_channels=64, kernel_size=3, padding=2), **arguments)
    layer = nn.Conv2d(**arguments)
    assert type(layer(gb.randn(1, arguments["in_channels"], 9, 8)).grad_fn).__name__ == "Convolution"
    check_module(layer, torch.nn.Conv2d(**arguments), [(2, arguments["in_channels"], 9, 8)], dtype="float64")


def test_conv_output_size_formula():
    assert conv_output_size(28, 3, 1, 1) == 28
    assert conv_output_size(28, 5, 0, 1) == 24
    assert conv_output_size(224, 11, 2, 4) == 55
    assert conv_output_size(10, 3, 0, 1, dilation=3) == 4  # floor((10 − 3·2 − 1) / 1) + 1


def test_error_quotes_the_output_size_formula():
    layer = nn.Conv2d(1, 32, kernel_size=5)
    expected = ("Conv2d(1, 32, kernel_size=(5, 5)): input of height 3 is too small: "
                "output height = floor((3 + 2·0 - 5) / 1) + 1 = -1 < 1")
    with pytest.raises(RuntimeError, match=rf"^{re.escape(expected)}$"):
        layer(gb.zeros(8, 1, 3, 10))
    with pytest.raises(RuntimeError, match=re.escape("input of width 4 is too small: output width = "
                                                   "floor((4 + 2·1 - 2·(5 - 1) - 1) / 2) + 1 = -1 < 1")):
        F.conv2d(gb.zeros(1, 1, 9, 4), gb.zeros(1, 1, 5, 5), stride=2, padding=1, dilation=2)
    with pytest.raises(RuntimeError, match="input of length 2 is too small"):
        nn.Conv1d(1, 1, 3)(gb.zeros(1, 1, 2))


def test_error_names_the_channels_expected():
    with pytest.raises(RuntimeError, match=re.escape("Conv2d expected input with 1 channel, got shape (8, 3, 28, 28)")):
        nn.Conv2d(1, 32, 3)(gb.zeros(8, 3, 28, 28))
    with pytest.raises(RuntimeError, match=re.escape("with 6 channels (groups=3), got shape (2, 4, 5, 5)")):
        nn.Conv2d(6, 3, 3, groups=3)(gb.zeros(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match="expected a 3-D \\(unbatched\\) or 4-D \\(batched\\) input"):
        nn.Conv2d(1, 2, 3)(gb.zeros(5, 5))
    with pytest.raises(RuntimeError, match="dtype float64 differs"):
        nn.Conv2d(1, 2, 3)(gb.zeros(1, 1, 5, 5, dtype=gb.float64))


def test_argument_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(gb.zeros(1, 1, 3, 3), gb.zeros(1, 1, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="bias of shape"):
        F.conv2d(gb.zeros(1, 1, 3, 3), gb.zeros(2, 1, 3, 3), gb.zeros(3))


def test_reprs_match_torch():
    for ours, theirs in [
        (nn.Conv2d(1, 32, 3, padding=1), torch.nn.Conv2d(1, 32, 3, padding=1)),
        (nn.Conv2d(4, 8, (3, 5), stride=2, dilation=2, groups=2, bias=False),
         torch.nn.Conv2d(4, 8, (3, 5), stride=2, dilation=2, groups=2, bias=False)),
        (nn.Conv1d(1, 32, 3, padding="same", padding_mode="reflect"),
         torch.nn.Conv1d(1, 32, 3, padding="same", padding_mode="reflect")),
        (nn.ConvTranspose2d(3, 4, 3, 2, output_padding=1, bias=False),
         torch.nn.ConvTranspose2d(3, 4, 3, 2, output_padding=1, bias=False)),
    ]:
        assert repr(ours) == repr(theirs)


def test_weights_have_torch_layout_and_init():
    layer = nn.Conv2d(16, 32, 3, groups=2)
    assert layer.weight.shape == (32, 8, 3, 3) and layer.bias.shape == (32,)
    assert list(layer.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(8 * 9)  # kaiming_uniform_(a=√5) over fan_in = 8·3·3
    weight = layer.weight.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.05 * bound  # U[-a, a] has σ = a/√3
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    transposed = nn.ConvTranspose2d(4, 6, 3, groups=2, dtype=gb.float64)
    assert transposed.weight.shape == (4, 3, 3, 3) and transposed.weight.dtype == np.float64
