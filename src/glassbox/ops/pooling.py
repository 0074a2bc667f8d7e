"""Pooling: the maximum or the mean of every window, as primitives.

Max pooling (the notes' CNN chapter) slides a k×k window with stride s over
each feature map and keeps the largest value of each window; it shrinks the
map, so later layers have fewer values to look at. Each side becomes

    floor((n + 2p − d·(k − 1) − 1) / s) + 1                       (ceil instead of floor with ceil_mode)

The work is done per kernel offset, not per window: the values that offset
(i, j) meets in every window form one strided view of the input, so the
maximum over all windows is kH·kW elementwise comparisons of whole arrays.
The gradient of a maximum goes to the position that won its window; on a tie
the first in scan order (row by row) wins, and a NaN always wins, as in PyTorch:

    dL/dx[p] = Σ over windows w whose winner is p of dL/dy[w]

Average pooling divides each window's sum by its size (with or without the
zero padding, ``count_include_pad``); its gradient spreads dL/dy[w] / size
evenly over the window. Adaptive pooling picks the windows from the output
size instead: window i of n inputs → m outputs spans [floor(i·n/m), ceil((i+1)·n/m)).
"""

from __future__ import annotations

from glassbox import backend
from glassbox.autograd import Function

from .conv import pad_spatial
from .layout import copy_runs, empty_in_layout, in_layout_of, memory_order
from .two_by_two import max_of_window_positions, scan_winners, window_shares


def pool_output_size(n: int, k: int, p: int, s: int, dilation: int = 1, ceil_mode: bool = False) -> int:
    """floor((n + 2p − d·(k − 1) − 1) / s) + 1, or with ceil; with ceil_mode the last window must start inside
    the input or the left padding (PyTorch's rule)."""
    span = n + 2 * p - dilation * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def adaptive_bounds(n: int, m: int) -> list:
    """[(start, end)] of the m windows adaptive pooling takes over n inputs: floor(i·n/m) to ceil((i+1)·n/m)."""
    return [(i * n // m, -(-(i + 1) * n // m)) for i in range(m)]


class PoolingWindows:
    """The geometry of a pooling: which strided view of the padded input each kernel offset (i, j) reads."""

    def __init__(self, input_shape, kernel, stride, padding, dilation, output_size):
        self.input_shape, self.kernel, self.stride = input_shape, kernel, stride
        self.padding, self.dilation, self.output_size = padding, dilation, output_size
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, output_size
        h, w = input_shape[2:]
        # ceil_mode's last window may run past the padding: pad a little more after, never read as a winner
        self.bottom = max(padding[0], (oh - 1) * sh + dh * (kh - 1) + 1 - h - padding[0])
        self.right = max(padding[1], (ow - 1) * sw + dw * (kw - 1) + 1 - w - padding[1])
        # every position lies in at most one window: the backward can assign instead of add
        self.disjoint = (kh == 1 or sh >= dh * (kh - 1) + 1) and (kw == 1 or sw >= dw * (kw - 1) + 1)

    @property
    def pads(self) -> tuple:
        return self.padding[0], self.bottom, self.padding[1], self.right

    def offsets(self):
        """(offset number, (rows, columns) slices) for each kernel offset, in PyTorch's scan order."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.kernel, self.stride, self.dilation, self.output_size
        for i in range(kh):
            for j in range(kw):
                yield i * kw + j, (slice(None), slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                                   slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))

    def halves_each_side(self) -> bool:
        """2×2 windows with stride 2 and no padding: each position in exactly one window."""
        return (self.kernel == (2, 2) and self.stride == (2, 2) and self.dilation == (1, 1)
                and not any(self.pads))

    def covers_input(self) -> bool:
        """The windows tile the padded input exactly, each position read once (kernel = stride, no remainder)."""
        (kh, kw), (sh, sw), (oh, ow) = self.kernel, self.stride, self.output_size
        top, bottom, left, right = self.pads
        n, c, h, w = self.input_shape
        return (self.dilation == (1, 1) and (kh, kw) == (sh, sw) and oh * sh == h + top + bottom
                and ow * sw == w + left + right)

    def spread(self, values, like, winners=None):
        """The adjoint of reading the windows: add ``values`` (N, C, oH, oW) back onto the positions each offset
        read, or only onto each window's winner; returns an (N, C, H, W) array laid out like ``like``."""
        xp = backend.module_of(values)
        n, c, h, w = self.input_shape
        if winners is not None and self.halves_each_side():
            return self._spread_to_quadrants(values, like, winners)
        top, bottom, left, right = self.pads
        grad = empty_in_layout(xp, (n, c, h + top + bottom, w + left + right), values.dtype, like)
        if not self.covers_input():
            grad.fill(0)
        # multiplying by the 0/1 mask is several times faster than where(), and the same unless a gradient is
        # inf or NaN (0 · inf = NaN would then leak to the positions that lost)
        if winners is not None:
            values = in_layout_of(values, winners)  # elementwise work across memory orders is slow
        exact = winners is not None and not bool(xp.isfinite(values).all())
        won = None if winners is None else xp.empty_like(winners, dtype=bool)
        for offset, window in self.offsets():
            # arithmetic on contiguous arrays, then one strided write: arithmetic on strided views is slow
            if winners is None:
                share = values
            else:
                xp.equal(winners, offset, out=won)
                if exact:
                    share = xp.where(won, values, 0)
                elif self.disjoint:
                    xp.multiply(values, won, out=grad[window])
                    continue
                else:
                    share = values * won
            if self.disjoint:
                grad[window] = share
            else:
                grad[window] += share
        return grad[:, :, top:top + h, left:left + w]

    def _spread_to_quadrants(self, values, like, winners):
        """``spread`` to the winners of 2×2, stride-2 windows: each window position's share, a 0/1 mask times the
        gradient, goes into a block of its own (the four laid out like ``winners``), and one copy moves the four
        blocks into place (as ``_quadrants`` takes them apart). A last row or column outside every window gets
        0."""
        xp = backend.module_of(values)
        n, c, h, w = self.input_shape
        oh, ow = self.output_size
        in_memory = [0, 1] + [2 + axis for axis in memory_order(winners)]
        shares = xp.empty([(2, 2, n, c, oh, ow)[axis] for axis in in_memory], dtype=values.dtype)
        shares = window_shares(values, winners, shares.transpose([in_memory.index(axis) for axis in range(6)]))
        grad = empty_in_layout(xp, (n, c, h, w), values.dtype, like)
        grad[:, :, 2 * oh:] = 0
        grad[:, :, :, 2 * ow:] = 0
        copy_runs(_window_positions(grad, self.output_size).transpose(in_memory), shares.transpose(in_memory))
        return grad


def window_max(x, windows: PoolingWindows, need_winners: bool = True):
    """The maximum of every window and, if asked, which kernel offset won it: (maxima, winners or None),
    both (N, C, oH, oW). The winner is the first maximum in scan order, or the last NaN (PyTorch's rule)."""
    xp = backend.module_of(x)
    if windows.halves_each_side() and x.dtype.kind == "f":
        quadrants = _quadrants(x, windows.output_size)
        return max_of_window_positions([quadrants[0, 0], quadrants[0, 1], quadrants[1, 0], quadrants[1, 1]],
                                       need_winners)
    lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    padded = pad_spatial(x, windows.pads, lowest)
    views = [padded[window] for _, window in windows.offsets()]
    maxima = xp.array(views[0], copy=True, order="K")
    for values in views[1:]:
        xp.maximum(maxima, values, out=maxima)  # NaN propagates, as in PyTorch
    if not need_winners:
        return maxima, None
    if (x.dtype.kind == "f" and xp.isnan(maxima).any()) or (any(windows.padding) and (maxima == lowest).any()):
        return maxima, _winners_in_scan_order(padded, views, windows)
    # winner = the number of offsets, in scan order, that come before the first one equal to the maximum
    # *_like keeps the maxima's memory order: elementwise work between arrays of different orders is slow
    winners = xp.zeros_like(maxima, dtype=xp.uint8 if len(views) <= 256 else xp.int32)
    unmatched = xp.ones_like(maxima, dtype=bool)
    candidate, differs = xp.empty_like(maxima), xp.empty_like(unmatched)
    for values in views[:-1]:
        xp.copyto(candidate, values)  # a contiguous copy first: comparisons of strided views are slow
        xp.not_equal(candidate, maxima, out=differs)
        unmatched &= differs
        winners += unmatched
    return maxima, winners


def _window_positions(x, output_size: tuple):
    """(2, 2, N, C, oH, oW) view of x: [a, b] is x[:, :, a:2·oH:2, b:2·oW:2], row a and column b of every 2×2
    window."""
    n, c = x.shape[:2]
    oh, ow = output_size
    return x[:, :, :2 * oh, :2 * ow].reshape(n, c, oh, 2, ow, 2).transpose(3, 5, 0, 1, 2, 4)


def _quadrants(x, output_size: tuple):
    """The four positions of every 2×2 window, (2, 2, N, C, oH, oW), copied apart into four blocks laid out like x.

    Elementwise work on the strided views reads them a run of x's innermost axis at a time (the batch of a
    convolution's output, whose runs are 64 long in the digits CNN), at a fixed cost per run; on the blocks it
    reads whole arrays. The copy itself moves runs as opaque elements (``copy_runs``)."""
    xp = backend.module_of(x)
    positions = _window_positions(x, output_size)
    in_memory = [0, 1] + [2 + axis for axis in memory_order(x)]
    blocks = xp.empty([positions.shape[axis] for axis in in_memory], dtype=x.dtype)
    copy_runs(blocks, positions.transpose(in_memory))
    return blocks.transpose([in_memory.index(axis) for axis in range(6)])


def _winners_in_scan_order(padded, views, windows: PoolingWindows):
    """PyTorch's scan, literally, from the window's first position inside the input. For windows holding NaN, or
    nothing above the padding."""
    xp = backend.module_of(padded)
    kw, (dh, dw), (oh, ow) = windows.kernel[1], windows.dilation, windows.output_size
    top, left = windows.padding
    first_row = xp.maximum(0, -(-(top - xp.arange(oh) * windows.stride[0]) // dh))
    first_column = xp.maximum(0, -(-(left - xp.arange(ow) * windows.stride[1]) // dw))
    winners = xp.zeros(views[0].shape, dtype=xp.int32)
    winners[...] = first_row[:, None] * kw + first_column
    return scan_winners(views, winners)


def winner_indices(winners, windows: PoolingWindows):
    """Window offsets → PyTorch's indices: the flat position h·W + w of each winner in its (H, W) map."""
    xp = backend.module_of(winners)
    kw, (sh, sw), (dh, dw), (oh, ow) = windows.kernel[1], windows.stride, windows.dilation, windows.output_size
    width = windows.input_shape[3]
    winners = winners.astype(xp.int64)
    rows = (xp.arange(oh) * sh - windows.padding[0])[:, None] + winners // kw * dh
    columns = xp.arange(ow) * sw - windows.padding[1] + winners % kw * dw
    return rows * width + columns


class MaxPool(Function):
    """Max pooling of (N, C, H, W); forward receives the maxima and winners found by ``window_max``, and keeps
    the winners: the backward sends each output's gradient to its window's winner, one kernel offset at a time."""

    def forward(self, x, maxima, winners, windows):
        if self.needs_input_grad:
            self.winners, self.windows, self.like = winners, windows, x[:1, :1, :1, :1]
        return maxima

    def backward(self, grad):
        return self.windows.spread(grad, self.like, self.winners)


class AvgPool(Function):
    """Average pooling of (N, C, H, W): each window's sum divided by ``divisors`` (oH, oW)."""

    def forward(self, x, windows, divisors):
        xp = backend.module_of(x)
        padded = pad_spatial(x, windows.pads, 0)
        views = windows.offsets()
        _, first = next(views)
        total = xp.array(padded[first], copy=True, order="K")
        for _, window in views:
            total += padded[window]
        self.windows, self.divisors, self.like = windows, divisors, x[:1, :1, :1, :1]
        return total / divisors

    def backward(self, grad):
        return self.windows.spread(grad / self.divisors, self.like)


def average_divisors(xp, dtype, windows: PoolingWindows, count_include_pad: bool, divisor_override):
    """(oH, oW) window sizes as PyTorch counts them: clipped to input + padding, or to the input alone."""
    if divisor_override:
        return xp.asarray(divisor_override, dtype=dtype)
    sizes = []
    for n, k, p, s, o in zip(windows.input_shape[2:], windows.kernel, windows.padding, windows.stride,
                             windows.output_size, strict=True):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(xp.minimum(end, n) - xp.maximum(start, 0))
    return (sizes[0][:, None] * sizes[1]).astype(dtype)


class AdaptiveMaxPool(Function):
    """Adaptive max pooling for window sizes that vary (n not a multiple of m); ``winners`` are flat indices
    h·W + w, and the backward adds each output's gradient at its winner."""

    def forward(self, x, maxima, winners):
        if self.needs_input_grad:
            self.winners, self.input_shape = winners, x.shape
        return maxima

    def backward(self, grad):
        xp = backend.module_of(grad)
        n, c, h, w = self.input_shape
        out = xp.zeros((n * c, h * w), dtype=grad.dtype)
        planes = xp.arange(n * c)[:, None]
        xp.add.at(out, (planes, self.winners.reshape(n * c, -1)), grad.reshape(n * c, -1))
        return out.reshape(n, c, h, w)


def adaptive_window_max(x, output_size: tuple):
    """(maxima, flat winner indices) of adaptive max pooling: windows gathered by index, the shorter ones
    repeating their last position (a repeat never changes a maximum or its winner)."""
    xp = backend.module_of(x)
    gathered_axes = []
    for n, m in zip(x.shape[2:], output_size, strict=True):
        bounds = adaptive_bounds(n, m)
        longest = max(end - start for start, end in bounds)
        steps = xp.arange(longest)
        starts = xp.asarray([start for start, _ in bounds])
        lasts = xp.asarray([end - 1 for _, end in bounds])
        gathered_axes.append(xp.minimum(starts[:, None] + steps, lasts[:, None]))  # (m, longest)
    rows, columns = gathered_axes
    width = x.shape[3]
    windows = x[:, :, rows[:, :, None, None], columns[None, None]]  # (N, C, oH, kH, oW, kW)
    maxima = xp.array(windows[:, :, :, 0, :, 0], copy=True)
    winners = xp.broadcast_to(rows[:, 0, None] * width + columns[:, 0], maxima.shape).copy()
    better = xp.empty(maxima.shape, dtype=bool)
    for i in range(rows.shape[1]):
        for j in range(columns.shape[1]):
            if i == 0 and j == 0:
                continue
            values = windows[:, :, :, i, :, j]
            xp.greater(values, maxima, out=better)
            better |= xp.isnan(values)
            xp.copyto(maxima, values, where=better)
            xp.copyto(winners, rows[:, i, None] * width + columns[:, j], where=better)
    return maxima, winners
