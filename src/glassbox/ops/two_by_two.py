"""2×2, stride-2 max pooling on the four positions of its windows.

Every CNN of the notes pools 2×2 windows with stride 2: each position lies in exactly one
window, and position (a, b) of all windows (row a, column b inside the window) is one regular
grid. Given those four grids as arrays (``glassbox.ops.pooling`` copies them apart from the input;
a convolution that feeds the pooling can write them so from the start), the maxima are three
elementwise maxima and the winners three comparisons. The gradient goes back to each window's
winner: each grid gets its share, the gradient where it won and 0 elsewhere.

PyTorch's rule decides ties and NaN: the first maximum in scan order (top left, top right, bottom
left, bottom right) wins, and a NaN always wins (the last one, when there are several).
"""

from __future__ import annotations

from glassbox import backend

from .layout import in_layout_of
from .unary import zero_buffer


def max_of_window_positions(positions: list, need_winners: bool = True, out: tuple = (None, None),
                            nan_check: bool = True):
    """The maxima of 2×2 windows from their four positions in scan order (top left, top right, bottom left,
    bottom right: arrays of one shape and layout), and which one won: (maxima, winners or None), written into
    ``out`` (maxima, winners as uint8) where given.

    Three maxima of whole arrays, and the winner from three comparisons (top row or bottom row, then left or
    right in that row; a tie goes to the first in scan order). Where a NaN makes the comparisons meaningless,
    PyTorch's scan decides instead (the last NaN wins). Without ``nan_check`` the winners hold only where no
    maximum is NaN: for a caller that works in slices, checks its whole output once and, finding a NaN, runs
    again with the check."""
    xp = backend.module_of(positions[0])
    top_left, top_right, bottom_left, bottom_right = positions
    top, bottom = xp.maximum(top_left, top_right), xp.maximum(bottom_left, bottom_right)
    lower = xp.less(top, bottom) if need_winners else None
    maxima = xp.maximum(top, bottom, out=top if out[0] is None else out[0])  # NaN propagates, as in PyTorch
    if not need_winners:
        return maxima, None
    winners = xp.empty(maxima.shape, dtype=xp.uint8) if out[1] is None else out[1]
    if nan_check and xp.isnan(maxima).any():
        winners[...] = 0
        return maxima, scan_winners(positions, winners)
    # offsets in scan order: 0 top left, 1 top right, 2 bottom left, 3 bottom right; byte arithmetic, because
    # where() and copyto(where=) on these arrays measured ten times slower
    lower = lower.view(xp.uint8)
    xp.less(bottom_left, bottom_right, out=winners.view(bool))
    winners += xp.uint8(2)
    winners *= lower  # a bottom winner: 2 or 3; 0 where the top row wins
    winners += xp.less(top_left, top_right).view(xp.uint8) > lower  # a top winner: 0 or 1
    return maxima, winners


def rectify(maxima, winners) -> None:
    """A ReLU after the pooling, in place: maxima = max(maxima, 0), with the ReLU's gradient folded into the
    winners: a window whose maximum is <= 0 (where PyTorch's ReLU passes no gradient; a NaN passes it) gets
    winner 4 or more, which is no position, so that its shares (``window_shares``) are all 0."""
    xp = backend.module_of(maxima)
    if winners is not None:
        blocked = xp.less_equal(maxima, 0).view(xp.uint8)
        winners += xp.multiply(blocked, xp.uint8(4), out=blocked)
    zeros = zero_buffer.like(maxima)
    xp.maximum(maxima, 0 if zeros is None else zeros, out=maxima)  # NaN stays NaN, as in PyTorch


def window_shares(values, winners, out, finite=None):
    """Each 2×2 window position's share of the gradient ``values``: out[a, b] = values where position (a, b) won
    its window, else 0. ``out`` is (2, 2, *values.shape), each block laid out like ``winners``. ``finite``: whether
    every value is finite, when the caller knows (it checks once for all of its slices)."""
    xp = backend.module_of(values)
    values = in_layout_of(values, winners)  # elementwise work across memory orders is slow
    # multiplying by the 0/1 mask is several times faster than where(), and the same unless a gradient is inf or
    # NaN (0 · inf = NaN would then leak to the positions that lost); a mask of values' own type, because NumPy's
    # product of floats and booleans takes a slower loop (a quarter more time here)
    exact = not (bool(xp.isfinite(values).all()) if finite is None else finite)
    won = xp.empty_like(winners, dtype=bool if exact else values.dtype)
    for offset in range(4):
        xp.equal(winners, offset, out=won)
        if exact:
            out[offset // 2, offset % 2] = xp.where(won, values, 0)
        else:
            xp.multiply(values, won, out=out[offset // 2, offset % 2])
    return out


def scan_winners(views, winners):
    """PyTorch's scan over the window positions ``views`` (in scan order), from the first winners ``winners``:
    start at the lowest value and move to every later value that is greater or NaN. Returns ``winners``."""
    xp = backend.module_of(views[0])
    dtype = views[0].dtype
    maxima = xp.full(views[0].shape, -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min, dtype=dtype)
    better = xp.empty(maxima.shape, dtype=bool)
    for offset, values in enumerate(views):
        xp.greater(values, maxima, out=better)
        if dtype.kind == "f":
            better |= xp.isnan(values)
        xp.copyto(maxima, values, where=better)
        xp.copyto(winners, offset, where=better)
    return winners
