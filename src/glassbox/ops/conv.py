"""Convolution as one primitive: unfold the input into patches (im2col), then one matrix product.

A filter f×f slides over an n×n input with padding p and stride s (the notes'
AlexNet chapter); every position gives one output value, the weighted sum of
the patch under the filter. The output has

    floor((n + 2p − f) / s) + 1                     positions per side (the notes' formula)
    floor((n + 2p − d·(f − 1) − 1) / s) + 1         with dilation d (PyTorch's form; d = 1 gives the above)

Written out, ``y[n, o, h, w] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x[n, c, h·s + i·d − p, w·s + j·d − p]``.
Computed that way it is six nested loops; computed as a matrix product it is
one call to BLAS. ``im2col`` copies every patch into a column, so that

    columns: (C·kH·kW, oH·oW·N)      W: (O, C·kH·kW)      y = W @ columns: (O, oH·oW·N)

and the three gradients are matrix products too:

    dL/dW = dL/dy @ columnsᵀ         dL/dcolumns = Wᵀ @ dL/dy         dL/db = Σ dL/dy

A bias rides along in the product as a row of ones under the columns, y = [W b] [columns; 1],
so that dL/db = Σ dL/dy comes out of the weight gradient's product as its last column.
``col2im`` adds every column of dL/dcolumns back onto the pixels it was copied
from (a pixel sits in up to kH·kW patches), giving dL/dx.

Layout: inside the convolution the batch is the innermost axis, (C, H, W, N) in
memory. The columns are then ordered (oh, ow, n), the product comes out as
(O, oH, oW, N), and is returned as an (N, O, oH, oW) view of that block rather
than copied; pooling and the elementwise layers keep whatever order they are
given, so the next convolution finds its input already laid out. The payoff:
for stride 1, a kernel offset's patch values are runs of oW·N consecutive
numbers, so im2col and col2im copy and add long contiguous runs instead of
rows of a few pixels. Groups split the channels into ``groups`` independent
convolutions: one batched product over the groups.

A transposed convolution swaps the two directions: its forward is the
convolution's input gradient (a product, then col2im) and its input gradient is
a convolution (im2col, then a product).
"""

from __future__ import annotations

import math

from glassbox import backend
from glassbox.autograd import Function

from .layout import empty_in_layout
from .matmul import product
from .two_by_two import max_of_window_positions, rectify, window_shares


def conv_output_size(n: int, f: int, p: int, s: int, dilation: int = 1) -> int:
    """floor((n + 2p − d·(f − 1) − 1) / s) + 1: positions of a size-f filter over n inputs, padding p, stride s.

    With dilation d = 1 this is the notes' floor((n + 2p − f) / s) + 1. May be < 1 for a too-small input.
    """
    return (n + 2 * p - dilation * (f - 1) - 1) // s + 1


def transposed_output_size(n: int, f: int, p: int, s: int, dilation: int = 1, output_padding: int = 0) -> int:
    """(n − 1)·s − 2p + d·(f − 1) + output_padding + 1: the size a convolution would have shrunk back to n."""
    return (n - 1) * s - 2 * p + dilation * (f - 1) + output_padding + 1


def pad_spatial(x, padding: tuple, value=0):
    """(N, C, H, W) padded by (top, bottom, left, right) with ``value``, in ``x``'s memory order; ``x`` itself
    when there is no padding."""
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    padded = empty_in_layout(backend.module_of(x), (n, c, h + top + bottom, w + left + right), x.dtype, x)
    _fill_padded(padded, x, padding, value)
    return padded


def _fill_padded(padded, x, padding: tuple, value) -> None:
    top, _, left, _ = padding
    h, w = x.shape[2:]
    # only the border is filled: the interior is about to be overwritten
    padded[:, :, :top] = value
    padded[:, :, top + h:] = value
    padded[:, :, top:top + h, :left] = value
    padded[:, :, top:top + h, left + w:] = value
    padded[:, :, top:top + h, left:left + w] = x


def batch_innermost(x, padding: tuple):
    """(N, C, H, W) → (C, H + top + bottom, W + left + right, N) zero-padded, batch innermost in memory.

    No copy when ``x`` is already such a block (a convolution's output) and needs no padding.
    """
    xp = backend.module_of(x)
    n, c, h, w = x.shape
    top, bottom, left, right = padding
    if not any(padding):
        moved = x.transpose(1, 2, 3, 0)
        return moved if moved.flags.c_contiguous else xp.ascontiguousarray(moved)
    padded = xp.empty((c, h + top + bottom, w + left + right, n), dtype=x.dtype)
    _fill_padded(padded.transpose(3, 0, 1, 2), x, padding, 0)
    return padded


def window_view(padded, kernel: tuple, stride: tuple, dilation: tuple, output_size: tuple):
    """(C, kH, kW, oH, oW, N) view of a padded (C, H, W, N) array: [c, i, j, h, w, n] is the input value that
    kernel offset (i, j) meets at output position (h, w) of image n. No data is copied."""
    xp = backend.module_of(padded)
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, output_size
    c, _, _, n = padded.shape
    channel_step, row_step, column_step, batch_step = padded.strides
    return xp.lib.stride_tricks.as_strided(
        padded, (c, kh, kw, oh, ow, n),
        (channel_step, dh * row_step, dw * column_step, sh * row_step, sw * column_step, batch_step))


def im2col(x, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple, output_size: tuple):
    """(N, C, H, W) → columns (C·kH·kW, oH·oW·N): column (h, w, n) holds the patch output (n, h, w) sees.

    Rows run (c, i, j), as the weight's (in, kH, kW), so ``W.reshape(O, -1) @ columns`` needs no
    transposition. One strided view of the padded input, one copy.
    """
    xp = backend.module_of(x)
    patches = window_view(batch_innermost(x, padding), kernel, stride, dilation, output_size)  # (C, kH, kW, oH, oW, N)
    n, c = x.shape[:2]
    return xp.ascontiguousarray(patches).reshape(c * kernel[0] * kernel[1], output_size[0] * output_size[1] * n)


def col2im(columns, input_shape: tuple, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
           output_size: tuple, by_windows: bool = False):
    """The adjoint of ``im2col``: (C·kH·kW, oH·oW·N) → (N, C, H, W), adding each column back onto its patch.

    One strided add per kernel offset (kH·kW of them), each over every channel, image and
    position at once. The result is an (N, C, H, W) view of a (C, H, W, N) block. With
    ``by_windows`` the columns run (i, a, b, j, n) for output (2i + a, 2j + b), as a convolution
    that feeds 2×2 max pooling orders them (``Convolution``), and each offset takes four adds.
    """
    xp = backend.module_of(columns)
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, output_size
    top, bottom, left, right = padding
    if by_windows:
        parts, phases = columns.reshape(c, kh, kw, oh // 2, 2, 2, ow // 2, n).transpose(0, 1, 2, 4, 5, 3, 6, 7), (2, 2)
    else:
        parts, phases = columns.reshape(c, kh, kw, 1, 1, oh, ow, n), (1, 1)
        if (kh, kw, sh, sw, oh, ow) == (1, 1, 1, 1, h, w) and not any(padding):
            return columns.reshape(c, h, w, n).transpose(3, 0, 1, 2)  # a 1×1 convolution's patches are the pixels
    rows, cols = parts.shape[5:7]
    row_step, column_step = phases[0] * sh, phases[1] * sw
    grad = xp.zeros((c, h + top + bottom, w + left + right, n), dtype=columns.dtype)
    for i in range(kh):
        for j in range(kw):
            for a in range(phases[0]):
                first_row = i * dh + a * sh
                for b in range(phases[1]):
                    first_column = j * dw + b * sw
                    grad[:, first_row:first_row + row_step * (rows - 1) + 1:row_step,
                         first_column:first_column + column_step * (cols - 1) + 1:column_step] += parts[:, i, j, a, b]
    return grad[:, top:top + h, left:left + w].transpose(3, 0, 1, 2)


def _matmul_groups(xp, a, b):
    """a @ b for (groups, M, K) and (groups, K, N): a single GEMM when there is one group."""
    if a.shape[0] == 1:
        return product(a[0], b[0])[None]
    return xp.matmul(a, b)


def _weight_gradient(xp, grad_rows, columns):
    """dL/dW = dL/dy @ columnsᵀ, (g, O/g, rows of columns), computed as (columns @ dL/dyᵀ)ᵀ: the same numbers,
    but BLAS splits this orientation (long rows of columns) between threads well, while the other one stalls on
    two threads."""
    return _matmul_groups(xp, columns, grad_rows.transpose(0, 2, 1)).transpose(0, 2, 1)


def _unfold(patches, groups: int, ones: bool):
    """(C, kH, kW, *positions) patches → columns (g, C/g·kH·kW, positions), with a last row of ones per group
    when ``ones``: a bias then rides along in the product, y = [W b] [columns; 1], and its gradient comes out of
    the weight gradient's, dL/dy [columns; 1]ᵀ, each saving a pass over the output."""
    xp = backend.module_of(patches)
    c, kh, kw = patches.shape[:3]
    positions = patches.shape[3:]
    length = math.prod(positions)
    depth = c // groups * kh * kw
    if not ones:
        return xp.ascontiguousarray(patches).reshape(groups, depth, length)
    columns = xp.empty((groups, depth + 1, length), dtype=patches.dtype)
    columns[:, depth] = 1
    grouped = (groups, c // groups, kh, kw) + positions
    columns[:, :depth].reshape(grouped)[...] = patches.reshape(grouped)  # both reshapes are views
    return columns


def _by_windows(patches):
    """(C, kH, kW, 2·pH, 2·pW, N) patches → a (C, kH, kW, pH, 2, 2, pW, N) view: output (2i + a, 2j + b) as
    [i, a, b, j], position (a, b) of 2×2 window (i, j). A row i of windows is then one run of columns, with its
    four positions as four blocks in it."""
    c, kh, kw, rows, cols, n = patches.shape
    return patches.reshape(c, kh, kw, rows // 2, 2, cols // 2, 2, n).transpose(0, 1, 2, 3, 4, 6, 5, 7)


# 2×2 max pooling after a convolution works through the output a few rows of windows at a time, each part of the
# product at most POOL_SLICE_ELEMENTS numbers, so that it is still in cache when its windows are compared (and in
# the backward, when its shares are made and multiplied): written out whole, the digits CNN's first layer's
# output (1.6M numbers) costs more to move through memory than to compute
POOL_SLICE_ELEMENTS = 1 << 18


def _window_row_slices(out_channels: int, window_rows: int, window_columns: int, batch: int):
    """(first, last) rows of 2×2 windows per slice, and the columns of the product per window row."""
    per_row = 4 * window_columns * batch
    step = max(1, POOL_SLICE_ELEMENTS // (out_channels * per_row))
    return [(first, min(window_rows, first + step)) for first in range(0, window_rows, step)], per_row


WORKSPACE_BYTES = 256 << 20  # the most im2col may hold at once when the weight gradient will not need the columns


def _convolve_by_row_blocks(x, weight_rows, geometry, ones: bool):
    """The forward without keeping the columns (inference, frozen weights): im2col and the product one block
    of output rows at a time, each block's columns at most WORKSPACE_BYTES, so memory stays bounded at any batch
    size (VGG16's first layer unfolds into 115 MB per image). Blocks are kept large: every threaded BLAS call
    synchronises its threads, which costs dearly on a busy machine."""
    xp = backend.module_of(x)
    kernel, stride, padding, dilation, (oh, ow) = geometry
    n, c = x.shape[:2]
    groups, group_out, _ = weight_rows.shape
    patches = window_view(batch_innermost(x, padding), kernel, stride, dilation, (oh, ow))  # (C, kH, kW, oH, oW, N)
    out = xp.empty((groups, group_out, oh * ow * n), dtype=x.dtype)
    block = max(1, WORKSPACE_BYTES // (c * kernel[0] * kernel[1] * ow * n * x.itemsize))  # output rows per block
    for top in range(0, oh, block):
        bottom = min(oh, top + block)
        columns = _unfold(patches[:, :, :, top:bottom], groups, ones)
        out[:, :, top * ow * n:bottom * ow * n] = _matmul_groups(xp, weight_rows, columns)
    return out.reshape(groups * group_out, oh * ow * n)


class Convolution(Function):
    """2-D convolution (cross-correlation, as in every deep-learning library) of (N, C, H, W) with
    W: (O, C/groups, kH, kW) and an optional bias (O,). ``padding`` is (top, bottom, left, right).

    With ``pool`` the convolution is followed by 2×2, stride-2 max pooling (and with ``relu`` then by a ReLU,
    ``rectify``), in the same primitive. The columns are ordered by window, (i, a, b, j, n) for output
    (2i + a, 2j + b), so that the product of a row i of windows holds position (a, b) of each of its windows as
    one block, and ``max_of_window_positions`` compares the four blocks while they are in cache (a few rows of
    windows at a time). The backward's shares of the gradient (``window_shares``) come out in the same order,
    the one the weight gradient's product and ``col2im`` read. The output map is never laid out row by row,
    and an odd last output row or column, in no window, is not computed."""

    def forward(self, x, weight, *bias, stride, padding, dilation, groups, pool=False, relu=False):
        xp = backend.module_of(x)
        n, _, h, w = x.shape
        out_channels, group_channels, kh, kw = weight.shape
        oh = conv_output_size(h + padding[0] + padding[1], kh, 0, stride[0], dilation[0])
        ow = conv_output_size(w + padding[2] + padding[3], kw, 0, stride[1], dilation[1])
        if pool:
            oh, ow = oh - oh % 2, ow - ow % 2  # the outputs some window covers
        geometry = ((kh, kw), stride, padding, dilation, (oh, ow))
        weight_rows = weight.reshape(groups, out_channels // groups, group_channels * kh * kw)
        with_bias = weight_rows  # [W b] when there is a bias: (g, O/g, C/g·kH·kW + 1)
        if bias:
            with_bias = xp.concatenate([weight_rows, bias[0].reshape(groups, -1, 1)], axis=2)
        needs = self.needs_input_grad
        keep_columns = bool(needs) and needs[1]  # only the weight gradient reads them again
        if not keep_columns and x.shape[1] * kh * kw * ow * n * x.itemsize * oh > WORKSPACE_BYTES:
            out = _convolve_by_row_blocks(x, with_bias, geometry, bool(bias))
            if pool:  # rows of outputs in order: the window positions are strided views
                rows = out.reshape(out_channels, oh // 2, 2, ow // 2, 2, n)
                out, winners = max_of_window_positions([rows[:, :, a, :, b] for a in range(2) for b in range(2)],
                                                       bool(needs))
        else:
            patches = window_view(batch_innermost(x, padding), (kh, kw), stride, dilation, (oh, ow))
            columns = _unfold(_by_windows(patches) if pool else patches, groups, bool(bias))  # (g, C/g·kH·kW [+ 1], L)
            if pool:
                out, winners = self._pool_products(with_bias, columns, (out_channels, oh // 2, ow // 2, n),
                                                   bool(needs))
            else:
                out = _matmul_groups(xp, with_bias, columns).reshape(out_channels, oh * ow * n)  # (O, oH·oW·N)
        if relu:
            rectify(out, winners)
        if needs:
            self.geometry, self.input_shape, self.weight_shape = geometry, x.shape, weight.shape
            self.groups, self.pool = groups, pool
            self.winners = winners if pool else None
            self.weight_rows = weight_rows if needs[0] else None
            self.columns = columns if keep_columns else None
        if pool:
            return out.transpose(3, 0, 1, 2)  # (N, O, pH, pW) view, batch innermost
        return out.reshape(out_channels, oh, ow, n).transpose(3, 0, 1, 2)  # (N, O, oH, oW) view, batch innermost

    @staticmethod
    def _pool_products(with_bias, columns, pooled_shape: tuple, need_winners: bool, nan_check: bool = False):
        """The product and the 2×2 max pooling, a slice of window rows at a time: (maxima, winners or None), both
        (O, pH, pW, N). NaN is looked for once, in the maxima of all slices; where there is one, the slices run
        again with PyTorch's scan for their winners."""
        xp = backend.module_of(columns)
        out_channels, window_rows, window_columns, n = pooled_shape
        maxima = xp.empty(pooled_shape, dtype=columns.dtype)
        winners = xp.empty(pooled_shape, dtype=xp.uint8) if need_winners else None
        slices, per_row = _window_row_slices(out_channels, window_rows, window_columns, n)
        for first, last in slices:
            part = _matmul_groups(xp, with_bias, columns[:, :, first * per_row:last * per_row])
            part = part.reshape(out_channels, last - first, 2, 2, window_columns, n)
            max_of_window_positions([part[:, :, a, b] for a in range(2) for b in range(2)], need_winners,
                                    out=(maxima[:, first:last], None if winners is None else winners[:, first:last]),
                                    nan_check=nan_check)
        if need_winners and not nan_check and xp.isnan(maxima).any():
            return Convolution._pool_products(with_bias, columns, pooled_shape, need_winners, nan_check=True)
        return maxima, winners

    def backward(self, grad):
        xp = backend.module_of(grad)
        needs = self.needs_input_grad
        groups = self.groups
        out_channels = grad.shape[1]
        # (N, O, oH, oW) → (O, oH, oW, N): free for a gradient laid out as our output
        grad_out = grad.transpose(1, 2, 3, 0)
        if self.pool:
            return self._pool_backward(grad_out)
        grad_rows = grad_out.reshape(groups, out_channels // groups, -1)
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            grad_columns = _matmul_groups(xp, self.weight_rows.transpose(0, 2, 1), grad_rows)  # (g, C/g·kH·kW, L·N)
            grad_x = col2im(grad_columns, self.input_shape, *self.geometry)
        depth = self.weight_shape[1] * self.weight_shape[2] * self.weight_shape[3]
        has_bias = len(needs) == 3
        if needs[1]:
            product = _weight_gradient(xp, grad_rows, self.columns)  # (g, O/g, C/g·kH·kW [+ 1])
            grad_weight = product[:, :, :depth].reshape(self.weight_shape)
            if has_bias and needs[2]:
                grad_bias = product[:, :, depth].reshape(out_channels)  # the row of ones: Σ dL/dy
        elif has_bias and needs[2]:
            grad_bias = grad_rows.reshape(out_channels, -1).sum(axis=1)
        return grad_x, grad_weight, grad_bias

    def _pool_backward(self, grad_out):
        """The backward of convolution + pooling, a slice of window rows at a time: each window position's share
        of the gradient (O, rows, 2, 2, pW, N), in the columns' order, goes into the weight gradient's product and
        into the input gradient's columns while it is in cache."""
        xp = backend.module_of(grad_out)
        needs, groups = self.needs_input_grad, self.groups
        out_channels, window_rows, window_columns, n = grad_out.shape
        depth = self.weight_shape[1] * self.weight_shape[2] * self.weight_shape[3]
        has_bias = len(needs) == 3
        slices, per_row = _window_row_slices(out_channels, window_rows, window_columns, n)
        finite = bool(xp.isfinite(grad_out).all())
        grad_columns = xp.empty((groups, depth, window_rows * per_row), dtype=grad_out.dtype) if needs[0] else None
        products = grad_bias = None
        for first, last in slices:
            shares = xp.empty((out_channels, last - first, 2, 2, window_columns, n), dtype=grad_out.dtype)
            window_shares(grad_out[:, first:last], self.winners[:, first:last], shares.transpose(2, 3, 0, 1, 4, 5),
                          finite)
            grad_rows = shares.reshape(groups, out_channels // groups, -1)
            span = slice(first * per_row, last * per_row)
            if needs[0]:
                grad_columns[:, :, span] = _matmul_groups(xp, self.weight_rows.transpose(0, 2, 1), grad_rows)
            if needs[1]:
                part = _weight_gradient(xp, grad_rows, self.columns[:, :, span])  # (g, O/g, C/g·kH·kW [+ 1])
                products = part if products is None else products + part
            elif has_bias and needs[2]:
                part = grad_rows.reshape(out_channels, -1).sum(axis=1)
                grad_bias = part if grad_bias is None else grad_bias + part
        grad_x = grad_weight = None
        if needs[0]:
            grad_x = col2im(grad_columns, self.input_shape, *self.geometry, by_windows=True)
        if needs[1]:
            grad_weight = products[:, :, :depth].reshape(self.weight_shape)
            if has_bias and needs[2]:
                grad_bias = products[:, :, depth].reshape(out_channels)  # the row of ones: Σ dL/dy
        return grad_x, grad_weight, grad_bias


class TransposedConvolution(Function):
    """2-D transposed convolution of (N, C_in, H, W) with W: (C_in, C_out/groups, kH, kW), the layout of
    PyTorch's ConvTranspose2d: the input gradient of the convolution with that weight, plus a bias."""

    def forward(self, x, weight, *bias, stride, padding, output_padding, dilation, groups):
        xp = backend.module_of(x)
        n, in_channels, h, w = x.shape
        _, group_out_channels, kh, kw = weight.shape
        out_channels = group_out_channels * groups
        oh = transposed_output_size(h, kh, padding[0], stride[0], dilation[0], output_padding[0])
        ow = transposed_output_size(w, kw, padding[2], stride[1], dilation[1], output_padding[1])
        # the convolution this one transposes maps (oh, ow) → (h, w)
        geometry = ((kh, kw), stride, padding, dilation, (h, w))
        input_rows = x.transpose(1, 2, 3, 0).reshape(groups, in_channels // groups, h * w * n)
        weight_rows = weight.reshape(groups, in_channels // groups, group_out_channels * kh * kw)
        columns = _matmul_groups(xp, weight_rows.transpose(0, 2, 1), input_rows)  # (g, C_out/g·kH·kW, H·W·N)
        out = col2im(columns, (n, out_channels, oh, ow), *geometry)  # (N, C_out, oH, oW), batch innermost
        if bias:
            out += bias[0][:, None, None]
        needs = self.needs_input_grad
        if needs:
            self.geometry, self.weight_shape, self.groups = geometry, weight.shape, groups
            self.weight_rows = weight_rows if needs[0] else None
            self.input_rows = input_rows if needs[1] else None
            self.input_shape = x.shape
        return out

    def backward(self, grad):
        xp = backend.module_of(grad)
        needs = self.needs_input_grad
        n, in_channels, h, w = self.input_shape
        groups = self.groups
        columns = im2col(grad, *self.geometry).reshape(groups, -1, h * w * n)  # (g, C_out/g·kH·kW, H·W·N)
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            grad_rows = _matmul_groups(xp, self.weight_rows, columns)  # (g, C_in/g, H·W·N)
            grad_x = grad_rows.reshape(in_channels, h, w, n).transpose(3, 0, 1, 2)
        if needs[1]:
            grad_weight = _weight_gradient(xp, self.input_rows, columns).reshape(self.weight_shape)
        if len(needs) == 3 and needs[2]:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias
