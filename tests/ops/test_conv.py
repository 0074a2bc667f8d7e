import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
from glassbox.ops.conv import (
    Convolution,
    TransposedConvolution,
    col2im,
    conv_output_size,
    im2col,
    transposed_output_size,
)
from oracle import check, finite_difference_check


def _conv(stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """The primitive on glassbox tensors, F.pad + F.conv2d on torch tensors."""

    def run(*args):
        if isinstance(args[0], gb.Tensor):
            return Convolution.apply(*args, stride=stride, padding=padding, dilation=dilation, groups=groups)
        top, bottom, left, right = padding
        x = TF.pad(args[0], (left, right, top, bottom))
        return TF.conv2d(x, *args[1:], stride=stride, dilation=dilation, groups=groups)

    return run


CONV_CASES = [
    # (input shape, weight shape, stride, padding (top, bottom, left, right), dilation, groups)
    ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    ((2, 3, 8, 9), (5, 3, 3, 2), (2, 3), (1, 1, 0, 0), (1, 1), 1),
    ((1, 4, 9, 7), (6, 2, 3, 3), (1, 2), (2, 2, 1, 1), (2, 1), 2),
    ((2, 4, 6, 6), (4, 1, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 4),  # depthwise
    ((2, 4, 6, 6), (8, 1, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 4),  # depthwise, channel multiplier 2
    ((2, 3, 5, 5), (2, 3, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),  # 1×1
    ((2, 3, 6, 7), (2, 3, 1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1),  # strided 1×1
    ((2, 2, 7, 8), (3, 2, 4, 2), (1, 1), (1, 2, 0, 1), (1, 1), 1),  # asymmetric ('same' for an even kernel)
    ((3, 2, 5, 5), (3, 2, 5, 5), (1, 1), (0, 0, 0, 0), (1, 1), 1),  # kernel covers the whole input
    ((2, 3, 10, 4), (4, 3, 3, 1), (3, 1), (0, 0, 0, 0), (3, 1), 1),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_convolution_matches_torch(case, dtype):
    x_shape, w_shape, stride, padding, dilation, groups = case
    check(_conv(stride, padding, dilation, groups), [x_shape, w_shape, (w_shape[0],)], dtype=dtype)


@pytest.mark.parametrize("case", CONV_CASES[:6], ids=str)
def test_convolution_without_bias_or_input_gradient(case):
    x_shape, w_shape, stride, padding, dilation, groups = case
    run = _conv(stride, padding, dilation, groups)
    check(run, [x_shape, w_shape], dtype="float64")
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[1, 2])  # frozen input
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[0])  # frozen weights
    # the bias gradient comes out of the weight gradient's product, or, with frozen weights, from a sum
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[0, 2])
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[1, 2])


@pytest.mark.parametrize("case", [CONV_CASES[2], CONV_CASES[3], CONV_CASES[5], CONV_CASES[8]], ids=str)
def test_convolution_finite_difference(case):
    x_shape, w_shape, stride, padding, dilation, groups = case
    finite_difference_check(_conv(stride, padding, dilation, groups), [x_shape, w_shape, (w_shape[0],)])


def _conv_transpose(stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
    def run(*args):
        if isinstance(args[0], gb.Tensor):
            return TransposedConvolution.apply(*args, stride=stride, padding=(padding[0],) * 2 + (padding[1],) * 2,
                                               output_padding=output_padding, dilation=dilation, groups=groups)
        return TF.conv_transpose2d(*args, stride=stride, padding=padding, output_padding=output_padding,
                                   groups=groups, dilation=dilation)

    return run


TRANSPOSE_CASES = [
    # (input shape, weight shape (in, out/groups, kH, kW), stride, padding, output_padding, dilation, groups)
    ((2, 3, 4, 5), (3, 2, 3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((2, 3, 4, 5), (3, 2, 3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 3, 4), (4, 3, 2, 3), (2, 3), (0, 1), (1, 2), (1, 1), 2),
    ((2, 2, 4, 3), (2, 2, 3, 2), (1, 2), (1, 0), (1, 0), (2, 1), 1),
    ((2, 4, 3, 3), (4, 1, 4, 4), (2, 2), (1, 1), (0, 0), (1, 1), 4),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=str)
def test_transposed_convolution_matches_torch(case, dtype):
    x_shape, w_shape, stride, padding, output_padding, dilation, groups = case
    run = _conv_transpose(stride, padding, output_padding, dilation, groups)
    check(run, [x_shape, w_shape, (w_shape[1] * groups,)], dtype=dtype)
    check(run, [x_shape, w_shape], dtype=dtype, grad_inputs=[0])


@pytest.mark.parametrize("case", TRANSPOSE_CASES[1:4], ids=str)
def test_transposed_convolution_finite_difference(case):
    x_shape, w_shape, stride, padding, output_padding, dilation, groups = case
    run = _conv_transpose(stride, padding, output_padding, dilation, groups)
    finite_difference_check(run, [x_shape, w_shape, (w_shape[1] * groups,)])


def test_conv_output_size_is_the_notes_formula():
    assert conv_output_size(6, 3, 0, 1) == 4  # the notes: n − f + 1
    assert conv_output_size(6, 3, 1, 1) == 6  # n + 2p − f + 1
    assert conv_output_size(227, 11, 0, 4) == 55  # AlexNet's first layer
    assert conv_output_size(224, 3, 1, 1) == 224  # VGG16's "same" convolutions
    assert conv_output_size(7, 3, 0, 2, dilation=2) == 2  # floor((7 − 2·2 − 1) / 2) + 1
    assert conv_output_size(3, 5, 0, 1) == -1  # too small: the caller reports it
    assert transposed_output_size(4, 3, 1, 2, output_padding=1) == 8


def test_col2im_is_the_adjoint_of_im2col():
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every geometry: the backward is the exact transpose of the forward."""
    rng = np.random.default_rng(0)
    for shape, kernel, stride, padding, dilation in [((2, 3, 7, 6), (3, 2), (2, 1), (1, 0, 2, 1), (1, 2)),
                                                      ((1, 2, 5, 5), (1, 1), (1, 1), (0, 0, 0, 0), (1, 1)),
                                                      ((2, 1, 6, 6), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1))]:
        oh = conv_output_size(shape[2] + padding[0] + padding[1], kernel[0], 0, stride[0], dilation[0])
        ow = conv_output_size(shape[3] + padding[2] + padding[3], kernel[1], 0, stride[1], dilation[1])
        x = rng.normal(size=shape)
        columns = im2col(x, kernel, stride, padding, dilation, (oh, ow))
        assert columns.shape == (shape[1] * kernel[0] * kernel[1], shape[0] * oh * ow)
        c = rng.normal(size=columns.shape)
        back = col2im(c, shape, kernel, stride, padding, dilation, (oh, ow))
        assert back.shape == shape
        np.testing.assert_allclose((columns * c).sum(), (x * back).sum(), rtol=1e-12)


def test_output_is_batch_innermost_and_gradient_flows_through_views():
    """The output is an (N, O, H, W) view of an (O, H, W, N) block; consumers see ordinary values."""
    x = gb.randn(2, 3, 5, 5, requires_grad=True)
    w = gb.randn(4, 3, 3, 3, requires_grad=True)
    y = Convolution.apply(x, w, stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1)
    assert y.shape == (2, 4, 5, 5)
    assert y.data.transpose(1, 2, 3, 0).flags.c_contiguous
    expected = TF.conv2d(torch.tensor(x.detach().numpy()), torch.tensor(w.detach().numpy()), padding=1)
    np.testing.assert_allclose(y.detach().numpy(), expected.numpy(), atol=1e-5)
    (y * y).sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


def test_float32_stays_float32():
    x, w, b = gb.randn(1, 2, 4, 4, requires_grad=True), gb.randn(3, 2, 3, 3, requires_grad=True), gb.randn(3)
    y = Convolution.apply(x, w, b, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_inference_by_row_blocks_matches_torch(case, monkeypatch):
    """Without a graph, large inputs are unfolded a block of output rows at a time; force one-row blocks."""
    import glassbox.ops.conv as conv_module

    monkeypatch.setattr(conv_module, "WORKSPACE_BYTES", 1)
    x_shape, w_shape, stride, padding, dilation, groups = case
    with gb.no_grad():
        check(_conv(stride, padding, dilation, groups), [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad=False)
    # frozen weights: the input gradient needs no columns either
    check(_conv(stride, padding, dilation, groups), [x_shape, w_shape, (w_shape[0],)], dtype="float64",
          grad_inputs=[0])


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_products_in_slices_match_torch(case, monkeypatch):
    """Products with a short side run in slices of the long one; force slices of a few elements, so that the
    small grid cases take both the sliced forward and the sliced weight gradient."""
    monkeypatch.setattr(importlib.import_module("glassbox.ops.matmul"), "SLICE_ELEMENTS", 8)
    x_shape, w_shape, stride, padding, dilation, groups = case
    check(_conv(stride, padding, dilation, groups), [x_shape, w_shape, (w_shape[0],)], dtype="float64")


def _conv_max_pool(stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1, relu=False):
    """The primitive followed by 2×2 max pooling (and a ReLU) in one; torch's conv2d, max_pool2d(2) (and relu)."""

    def run(*args):
        if isinstance(args[0], gb.Tensor):
            return Convolution.apply(*args, stride=stride, padding=padding, dilation=dilation, groups=groups,
                                     pool=True, relu=relu)
        pooled = TF.max_pool2d(_conv(stride, padding, dilation, groups)(*args), 2)
        return torch.relu(pooled) if relu else pooled

    return run


def _conv_output(case):
    x_shape, w_shape, stride, padding, dilation, _ = case
    return [conv_output_size(n + before + after, f, 0, s, d) for n, f, before, after, s, d in
            zip(x_shape[2:], w_shape[2:], padding[::2], padding[1::2], stride, dilation, strict=True)]


POOLED_CASES = [case for case in CONV_CASES if min(_conv_output(case)) >= 2]


@pytest.mark.parametrize("relu", [False, True], ids=["pool", "pool+relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", POOLED_CASES, ids=str)
def test_convolution_then_max_pool_matches_torch(case, dtype, relu):
    """Strides, dilations, groups, uneven padding, odd output sides (the last row or column in no window)."""
    x_shape, w_shape, stride, padding, dilation, groups = case
    check(_conv_max_pool(stride, padding, dilation, groups, relu), [x_shape, w_shape, (w_shape[0],)], dtype=dtype)


@pytest.mark.parametrize("case", POOLED_CASES[:4], ids=str)
def test_convolution_then_max_pool_frozen_parts_and_row_blocks(case, monkeypatch):
    x_shape, w_shape, stride, padding, dilation, groups = case
    run = _conv_max_pool(stride, padding, dilation, groups)
    check(run, [x_shape, w_shape], dtype="float64")
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[1, 2])
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[0])
    monkeypatch.setattr(importlib.import_module("glassbox.ops.conv"), "WORKSPACE_BYTES", 1)
    with gb.no_grad():  # inference unfolds a row of outputs at a time
        check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad=False)


@pytest.mark.parametrize("case", POOLED_CASES, ids=str)
def test_convolution_then_max_pool_a_window_row_at_a_time(case, monkeypatch):
    """The product, the pooling and the backward go a slice of window rows at a time: force one row per slice."""
    monkeypatch.setattr(importlib.import_module("glassbox.ops.conv"), "POOL_SLICE_ELEMENTS", 1)
    x_shape, w_shape, stride, padding, dilation, groups = case
    run = _conv_max_pool(stride, padding, dilation, groups, relu=True)
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64")
    check(run, [x_shape, w_shape], dtype="float64", grad_inputs=[0])  # no bias, frozen weights


@pytest.mark.parametrize("relu", [False, True], ids=["pool", "pool+relu"])
def test_convolution_then_max_pool_ties_and_nan_go_where_torch_sends_them(relu, monkeypatch):
    """Integer values make ties in most windows (and maxima of exactly 0, where a ReLU passes nothing); a NaN
    wins every window it reaches, the last one in scan order where there are several (found once the slices of
    window rows are done, which then run again with the scan)."""
    monkeypatch.setattr(importlib.import_module("glassbox.ops.conv"), "POOL_SLICE_ELEMENTS", 1)
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 2, size=(2, 3, 8, 7)).astype(np.float64)
    w = rng.integers(-1, 2, size=(4, 3, 3, 3)).astype(np.float64)
    x[1, 2, 3, 3] = np.nan
    ours_x, ours_w = gb.tensor(x, requires_grad=True), gb.tensor(w, requires_grad=True)
    ours = Convolution.apply(ours_x, ours_w, stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1,
                             pool=True, relu=relu)
    gradient = rng.normal(size=ours.shape)
    ours.backward(gb.tensor(gradient))
    theirs_x, theirs_w = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    theirs = TF.max_pool2d(TF.conv2d(theirs_x, theirs_w, padding=1), 2)
    theirs = torch.relu(theirs) if relu else theirs
    theirs.backward(torch.tensor(gradient))
    assert np.isnan(ours.detach().numpy()).sum() == 16  # the NaN reaches 2 × 2 windows of each output channel
    pairs = [(ours.detach(), theirs.detach()), (ours_x.grad, theirs_x.grad), (ours_w.grad, theirs_w.grad)]
    for mine, expected in pairs:
        np.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)



def test_convolution_then_max_pool_sends_an_infinite_gradient_to_its_winner_only(monkeypatch):
    """An inf in the incoming gradient reaches its window's winner; the positions that lost get 0, not NaN. Several
    slices of window rows, so that the finiteness is decided once for all of them."""
    monkeypatch.setattr(importlib.import_module("glassbox.ops.conv"), "POOL_SLICE_ELEMENTS", 1)
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(2, 3, 8, 8)), rng.normal(size=(4, 3, 3, 3))
    ours_x = gb.tensor(x, requires_grad=True)
    ours = Convolution.apply(ours_x, gb.tensor(w), stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1,
                             pool=True)
    gradient = rng.normal(size=ours.shape)
    gradient[1, 2, 3, 1] = np.inf
    ours.backward(gb.tensor(gradient))
    theirs_x = torch.tensor(x, requires_grad=True)
    TF.max_pool2d(TF.conv2d(theirs_x, torch.tensor(w), padding=1), 2).backward(torch.tensor(gradient))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.isnan(ours_x.grad.numpy()).sum() == np.isnan(theirs_x.grad.numpy()).sum()
