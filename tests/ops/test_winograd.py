
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassbox as gb
import glassbox.ops.winograd as winograd
from glassbox.ops.conv import Convolution
from glassbox.ops.winograd import (
    MIN_CHANNELS,
    WinogradConvolution,
    filter_gradient,
    split_padded_input,
    transform_filters,
    unsplit_input_gradient,
    winograd_fits,
)
from oracle import check, finite_difference_check


def _winograd(padding=(0, 0, 0, 0), groups=1):
    """The primitive on glassbox tensors, F.pad + F.conv2d on torch tensors."""

    def run(*args):
        if isinstance(args[0], gb.Tensor):
            return WinogradConvolution.apply(*args, padding=padding, groups=groups)
        top, bottom, left, right = padding
        return TF.conv2d(TF.pad(args[0], (left, right, top, bottom)), *args[1:], groups=groups)

    return run


CASES = [
    # (input shape, weight shape, padding (top, bottom, left, right), groups)
    ((2, 3, 6, 8), (4, 3, 3, 3), (1, 1, 1, 1), 1),  # even output sides: whole tiles
    ((2, 3, 7, 5), (4, 3, 3, 3), (1, 1, 1, 1), 1),  # odd sides: the last tiles overhang
    ((2, 3, 7, 6), (5, 3, 3, 3), (0, 0, 0, 0), 1),  # no padding, odd output height
    ((1, 2, 5, 5), (3, 2, 3, 3), (2, 2, 2, 2), 1),  # padding 2, batch 1
    ((2, 2, 3, 3), (2, 2, 3, 3), (0, 0, 0, 0), 1),  # a single output
    ((2, 2, 6, 7), (3, 2, 3, 3), (0, 1, 2, 0), 1),  # uneven padding
    ((2, 4, 6, 5), (6, 2, 3, 3), (1, 1, 1, 1), 2),  # groups
    ((2, 4, 5, 6), (4, 1, 3, 3), (1, 1, 1, 1), 4),  # depthwise
    ((3, 8, 9, 10), (6, 8, 3, 3), (1, 1, 1, 1), 1),
    ((2, 3, 2, 1), (2, 3, 3, 3), (1, 1, 1, 1), 1),  # one column: the even padded columns hold only zeros
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_winograd_matches_torch(case, dtype):
    x_shape, w_shape, padding, groups = case
    check(_winograd(padding, groups), [x_shape, w_shape, (w_shape[0],)], dtype=dtype)


@pytest.mark.parametrize("case", CASES[:4], ids=str)
def test_winograd_without_bias_or_some_gradients(case):
    x_shape, w_shape, padding, groups = case
    run = _winograd(padding, groups)
    check(run, [x_shape, w_shape], dtype="float64")
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[1, 2])  # frozen input
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[0])  # frozen weights
    with gb.no_grad():
        check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad=False)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_winograd_by_blocks_of_tile_rows(case, monkeypatch):
    """Force one tile row per block: neighbouring blocks share two input rows in the backward's overlap-add."""
    monkeypatch.setattr(winograd, "WORKSPACE_BYTES", 1)
    monkeypatch.setattr(winograd, "MIN_BLOCK_TILES", 1)
    x_shape, w_shape, padding, groups = case
    check(_winograd(padding, groups), [x_shape, w_shape, (w_shape[0],)], dtype="float64")


def _winograd_max_pool(padding=(0, 0, 0, 0), groups=1, relu=False):
    """The primitive followed by 2×2 max pooling (and a ReLU) in one; torch's conv2d, max_pool2d(2) (and relu)."""

    def run(*args):
        if isinstance(args[0], gb.Tensor):
            return WinogradConvolution.apply(*args, padding=padding, groups=groups, pool=True, relu=relu)
        top, bottom, left, right = padding
        pooled = TF.max_pool2d(TF.conv2d(TF.pad(args[0], (left, right, top, bottom)), *args[1:], groups=groups), 2)
        return torch.relu(pooled) if relu else pooled

    return run


POOLED_CASES = [case for case in CASES if min(case[0][2] + case[2][0] + case[2][1], case[0][3] + case[2][2]
                                              + case[2][3]) >= 4]  # an output of at least 2×2


@pytest.mark.parametrize("relu", [False, True], ids=["pool", "pool+relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", POOLED_CASES, ids=str)
def test_winograd_then_max_pool_matches_torch(case, dtype, relu):
    """Odd output sides (the last row or column in no window), groups, uneven padding; forward and every
    gradient, with and without bias."""
    x_shape, w_shape, padding, groups = case
    check(_winograd_max_pool(padding, groups, relu), [x_shape, w_shape, (w_shape[0],)], dtype=dtype)
    check(_winograd_max_pool(padding, groups, relu), [x_shape, w_shape], dtype="float64")


@pytest.mark.parametrize("case", POOLED_CASES[:3], ids=str)
def test_winograd_then_max_pool_by_blocks_and_frozen_parts(case, monkeypatch):
    monkeypatch.setattr(winograd, "WORKSPACE_BYTES", 1)
    monkeypatch.setattr(winograd, "MIN_BLOCK_TILES", 1)
    x_shape, w_shape, padding, groups = case
    run = _winograd_max_pool(padding, groups)
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64")
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[1, 2])
    check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad_inputs=[0])
    with gb.no_grad():
        check(run, [x_shape, w_shape, (w_shape[0],)], dtype="float64", grad=False)


def test_winograd_then_max_pool_ties_go_where_torch_sends_them():
    """Integer-valued inputs and weights make ties in most windows (Winograd's transforms are exact on them:
    their only fractions are halves)."""
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 2, size=(2, 3, 8, 6)).astype(np.float64)
    w = rng.integers(-1, 2, size=(4, 3, 3, 3)).astype(np.float64)
    ours_x, ours_w = gb.tensor(x, requires_grad=True), gb.tensor(w, requires_grad=True)
    ours = WinogradConvolution.apply(ours_x, ours_w, padding=(1, 1, 1, 1), groups=1, pool=True)
    gradient = rng.normal(size=ours.shape)
    ours.backward(gb.tensor(gradient))
    theirs_x, theirs_w = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    theirs = TF.max_pool2d(TF.conv2d(theirs_x, theirs_w, padding=1), 2)
    theirs.backward(torch.tensor(gradient))
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours_w.grad.numpy(), theirs_w.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_winograd_then_max_pool_with_nan_equals_the_two_steps(monkeypatch):
    """A NaN in the input: Winograd's transforms spread it over whole tiles (so torch's direct convolution is no
    reference here), and the pooled primitive must pick the winners glassbox's own max pooling picks on the
    unpooled output. One tile row per block, so that the NaN is found after the blocks, which run again."""
    monkeypatch.setattr(winograd, "WORKSPACE_BYTES", 1)
    monkeypatch.setattr(winograd, "MIN_BLOCK_TILES", 1)
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(2, 3, 8, 6)), rng.normal(size=(4, 3, 3, 3))
    x[1, 2, 3, 3] = np.nan
    results = []
    for fused in (True, False):
        ours_x, ours_w = gb.tensor(x, requires_grad=True), gb.tensor(w, requires_grad=True)
        if fused:
            out = WinogradConvolution.apply(ours_x, ours_w, padding=(1, 1, 1, 1), groups=1, pool=True)
        else:
            out = gb.nn.functional.max_pool2d(
                WinogradConvolution.apply(ours_x, ours_w, padding=(1, 1, 1, 1), groups=1), 2)
        out.backward(gb.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape)))
        results.append((out.detach().numpy(), ours_x.grad.numpy(), ours_w.grad.numpy()))
    assert np.isnan(results[0][0]).any()
    for mine, expected in zip(*results, strict=True):
        np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_winograd_transforms_in_slices(case, monkeypatch):
    """The output transform and its adjoint are products with a short side: force slices of a few columns, with
    and without the pooling."""
    monkeypatch.setattr(winograd, "TRANSFORM_SLICE_ELEMENTS", 40)
    x_shape, w_shape, padding, groups = case
    check(_winograd(padding, groups), [x_shape, w_shape, (w_shape[0],)], dtype="float64")
    if case in POOLED_CASES:
        check(_winograd_max_pool(padding, groups, True), [x_shape, w_shape, (w_shape[0],)], dtype="float64")


@pytest.mark.parametrize("channels", [64, 512])
def test_winograd_float32_error_on_many_channels(channels):
    """Summed over hundreds of channels in the transformed domain, float32 stays as close to the exact (float64)
    result as PyTorch's own float32 convolution: within 1e-6 of the largest value, for outputs and gradients."""
    rng = np.random.default_rng(4)
    x, w, b = (rng.uniform(-1, 1, size=shape) for shape in [(2, channels, 6, 6), (8, channels, 3, 3), (8,)])
    upstream = rng.uniform(-1, 1, size=(2, 8, 6, 6))
    exact = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    TF.conv2d(exact[0], exact[1], exact[2], padding=1).backward(torch.tensor(upstream))
    ours = [gb.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w, b)]
    y = WinogradConvolution.apply(*ours, padding=(1, 1, 1, 1), groups=1)
    y.backward(gb.tensor(upstream.astype(np.float32)))
    reference = TF.conv2d(*(t.detach() for t in exact), padding=1).numpy()
    gradients = [(o.grad.numpy(), e.grad.numpy()) for o, e in zip(ours, exact, strict=True)]
    pairs = [(y.detach().numpy(), reference), *gradients]
    for value, expected in pairs:
        assert np.abs(value - expected).max() <= 1e-6 * np.abs(expected).max()


def test_blocks_cover_the_tile_rows_once():
    assert winograd._blocks(7, 1 << 19, 448) == [(0, 4), (4, 7)]  # 2 MB: four rows of 512 KB
    assert winograd._blocks(7, 1 << 30, 448) == [(first, first + 1) for first in range(7)]  # ≥ 256 tiles: a row
    assert winograd._blocks(7, 1 << 30, 100) == [(0, 3), (3, 6), (6, 7)]  # ≥ 256 tiles: three rows of 100
    assert winograd._blocks(3, 1, 4096) == [(0, 3)]


def test_winograd_finite_differences():
    finite_difference_check(_winograd((1, 0, 2, 1)), [(2, 2, 5, 4), (3, 2, 3, 3), (3,)])


def test_winograd_equals_im2col_on_a_plain_nchw_input():
    """An input that is not batch-innermost (a fresh (N, C, H, W) array) takes the general copy."""
    rng = np.random.default_rng(0)
    x, w, b = (gb.tensor(rng.normal(size=shape)) for shape in [(3, 4, 7, 8), (5, 4, 3, 3), (5,)])
    ours = WinogradConvolution.apply(x, w, b, padding=(1, 1, 1, 1), groups=1)
    reference = Convolution.apply(x, w, b, stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1)
    np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=1e-12, atol=1e-12)
    assert ours.data.transpose(1, 2, 3, 0).flags.c_contiguous  # (N, O, H, W) view of an (O, H, W, N) block


def test_filter_transform_and_its_adjoint():
    """U = G W Gᵀ tile by tile, and ⟨U(W), dU⟩ = ⟨W, Uᵀ(dU)⟩ (filter_gradient is the adjoint)."""
    rng = np.random.default_rng(1)
    weight = rng.normal(size=(6, 2, 3, 3))
    g = np.array(winograd.FILTER_TRANSFORM)
    u = transform_filters(weight, groups=3)  # (16, 3, 2, 2)
    expected = np.einsum("xi,ocij,yj->xyoc", g, weight, g).reshape(16, 3, 2, 2)
    np.testing.assert_allclose(u, expected, rtol=1e-12)
    grad_u = rng.normal(size=u.shape)
    np.testing.assert_allclose((u * grad_u).sum(), (weight * filter_gradient(grad_u, weight.shape)).sum(), rtol=1e-12)


@pytest.mark.parametrize("padding", [(0, 0, 0, 0), (1, 1, 1, 1), (2, 1, 0, 3)])
def test_split_columns_round_trip(padding):
    """Padded input with even and odd columns apart, and back: the input's share is the input itself."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 5, 7))
    top, bottom, left, right = padding
    width = 7 + left + right + (7 + left + right) % 2
    split = split_padded_input(x, padding, (3, 5 + top + bottom, 2, width // 2, 2))
    padded = np.pad(x.transpose(1, 2, 3, 0), ((0, 0), (top, bottom), (left, width - 7 - left), (0, 0)))
    np.testing.assert_array_equal(split[:, :, 0], padded[:, :, 0::2])
    np.testing.assert_array_equal(split[:, :, 1], padded[:, :, 1::2])
    np.testing.assert_array_equal(unsplit_input_gradient(split, padding, x.shape), x)


def test_winograd_fits_only_three_by_three_stride_one_with_many_channels():
    many = MIN_CHANNELS
    assert winograd_fits((many, many, 3, 3), 1, (1, 1), (1, 1))
    assert winograd_fits((2 * many, 2 * many, 3, 3), 2, (1, 1), (1, 1))
    assert not winograd_fits((many, many, 3, 3), 1, (2, 2), (1, 1))  # stride 2
    assert not winograd_fits((many, many, 3, 3), 1, (1, 1), (2, 2))  # dilation 2
    assert not winograd_fits((many, many, 5, 5), 1, (1, 1), (1, 1))  # 5×5
    assert not winograd_fits((many, many, 1, 3), 1, (1, 1), (1, 1))  # a conv1d's kernel
    assert not winograd_fits((many, 1, 3, 3), many, (1, 1), (1, 1))  # depthwise: one channel per group
    assert not winograd_fits((many // 2, many, 3, 3), 1, (1, 1), (1, 1))
    assert not winograd_fits((many, many, 3, 3), 1, (1, 1), (1, 1), "cuda")  # on a GPU im2col is faster


def test_float32_stays_float32():
    x, w = gb.randn(1, 2, 4, 4, requires_grad=True), gb.randn(3, 2, 3, 3, requires_grad=True)
    b = gb.randn(3, requires_grad=True)
    y = WinogradConvolution.apply(x, w, b, padding=(1, 1, 1, 1), groups=1)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert b.grad.dtype == np.float32


def test_gradient_laid_out_as_plain_nchw():
    """The backward takes any layout of dL/dy (here a fresh (N, O, H, W) array, batch outermost)."""
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(4, 3, 3, 3))
    gx, gw = gb.tensor(x, requires_grad=True), gb.tensor(w, requires_grad=True)
    y = WinogradConvolution.apply(gx, gw, padding=(1, 1, 1, 1), groups=1)
    upstream = rng.normal(size=y.shape)
    y.backward(gb.tensor(upstream))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    TF.conv2d(tx, tw, padding=1).backward(torch.tensor(upstream))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
