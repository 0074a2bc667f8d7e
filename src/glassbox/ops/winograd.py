"""Winograd minimal filtering F(2×2, 3×3): a 3×3, stride-1 convolution with 2.25× fewer multiplications.

Lavin & Gray (2015), after Winograd's minimal filtering algorithms. One 2×2 block of
outputs of a 3×3 filter g reads a 4×4 tile d of the (padded) input. Computed directly
it costs 4 · 9 = 36 multiplications; in the transformed domain it costs 16:

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A                        (⊙: elementwise, over the 4×4 tile)

         ⎡1  0 -1  0⎤          ⎡ 1    0    0 ⎤
    Bᵀ = ⎢0  1  1  0⎥      G = ⎢1/2  1/2  1/2⎥      Aᵀ = ⎡1  1  1  0⎤
         ⎢0 -1  1  0⎥          ⎢1/2 -1/2  1/2⎥           ⎣0  1 -1 -1⎦
         ⎣0  1  0 -1⎦          ⎣ 0    0    1 ⎦

Over channels the elementwise product becomes a sum, and for each of the 16 tile
positions (ξ, ν) a matrix product over all tiles of all images at once:

    U = G W Gᵀ: (16, O, C)      V = Bᵀ d B: (16, C, tiles)      M = U @ V: (16, O, tiles)      y = Aᵀ M A

so the 9 · C · O multiply-adds per output of im2col + GEMM become 4 · C · O, at the price
of transforming the input tiles (adds and subtractions) and the output tiles (one small
product with Aᵀ ⊗ Aᵀ). It pays once C and O are a few dozen (MIN_CHANNELS).

The gradients are the adjoints of the same linear maps, in reverse order:

    dM = A dy Aᵀ      dU = dM @ Vᵀ  →  dW = Gᵀ dU G      dV = Uᵀ @ dM  →  dd = B dV Bᵀ

and since neighbouring input tiles overlap by two rows and two columns, dd is added back
onto the input (the overlap-add that mirrors the tiles' overlap). Only 3×3 kernels with
stride 1 and dilation 1 fit; everything else stays on im2col (``glassbox.ops.conv``).

Layout: as in ``glassbox.ops.conv``, the batch is the innermost axis, (C, H, W, N) in
memory, and the output is an (N, O, oH, oW) view of an (O, oH, oW, N) block. Tiles step
by two columns, so column j of every tile is every other column: in that layout a run of
consecutive numbers would be only N long (4 for a VGG batch), and NumPy crawls through
such runs. The tiles are therefore read from a copy with the even and the odd columns
apart, (C, H, 2, W/2, N) ("split columns"), where column j of all tiles is one block,
and the output tiles are copied into place a run of N numbers at a time. An output side
that is odd gets one more tile than it needs (the input is padded with zeros to fit it);
the extra row or column is cut off. The work goes a block of tile rows at a time, so
that a block's transformed tiles are still in cache when the products read them.
"""

from __future__ import annotations

from glassbox import backend
from glassbox.autograd import Function

from .layout import copy_runs
from .matmul import product
from .two_by_two import max_of_window_positions, rectify, window_shares

# G of the docstring: U = G W Gᵀ turns a 3×3 filter into a 4×4 tile
FILTER_TRANSFORM = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))
# Aᵀ: y = Aᵀ M A turns a 4×4 tile of products into a 2×2 block of outputs
OUTPUT_TRANSFORM = ((1.0, 1.0, 1.0, 0.0), (0.0, 1.0, -1.0, -1.0))

# measured: a 32 → 64-channel layer on 14×14 maps (batch 64) trains 13 % faster than on im2col
MIN_CHANNELS = 32

# the transformed input and output tiles (V and M) of one block of tile rows: at most 2 MB, so that a block's
# M is still in cache when the output transform (and, fused, the pooling) reads it: the digits CNN's training
# step took 24.2 ms against 26.5 with 8 MB blocks, VGG16's inference the same. But at least MIN_BLOCK_TILES
# tiles (the products' columns), or the products of VGG16's 512-channel layers at batch 4 run slower
WORKSPACE_BYTES = 2 << 20
MIN_BLOCK_TILES = 256
# the output transform and its adjoint (4 × 16 and 16 × 4 against a block's tiles) in slices of at most this many
# numbers (see glassbox.ops.matmul.product): twice the default measured 19.2 against 19.4 ms per step of the
# digits CNN, four times the default 21.0
TRANSFORM_SLICE_ELEMENTS = 1 << 17


def winograd_fits(weight_shape: tuple, groups: int, stride: tuple, dilation: tuple, device: str = "cpu") -> bool:
    """Whether F(2×2, 3×3) computes this convolution (a 3×3 kernel, stride 1, dilation 1) and pays: with fewer
    than MIN_CHANNELS input or output channels per group the transforms cost more than the products save.
    On a GPU it does not pay: each transform step is a kernel launch of its own, and the digits CNN's training
    step took 2× as long as on im2col (NVIDIA H100, CuPy 14)."""
    out_channels, group_channels, kernel_height, kernel_width = weight_shape
    return (device == "cpu" and (kernel_height, kernel_width) == (3, 3) and tuple(stride) == (1, 1)
            and tuple(dilation) == (1, 1) and min(group_channels, out_channels // groups) >= MIN_CHANNELS)


_KRONECKER_PRODUCTS: dict = {}  # (matrix, dtype) → M ⊗ M on the CPU: NumPy's kron costs 40 µs a call


def _kronecker_square(xp, matrix: tuple, dtype):
    """M ⊗ M of a constant matrix, kept per dtype for NumPy (read-only)."""
    if xp.__name__ != "numpy":
        m = xp.asarray(matrix, dtype=dtype)
        return xp.kron(m, m)
    key = (matrix, xp.dtype(dtype))
    square = _KRONECKER_PRODUCTS.get(key)
    if square is None:
        m = xp.asarray(matrix, dtype=dtype)
        square = _KRONECKER_PRODUCTS[key] = xp.kron(m, m)
        square.flags.writeable = False
    return square


def _filter_matrix(xp, dtype):
    """G ⊗ G, (16, 9): row (ξ, ν), column (i, j) is G[ξ, i] · G[ν, j], so that vec(G W Gᵀ) = (G ⊗ G) vec(W)."""
    return _kronecker_square(xp, FILTER_TRANSFORM, dtype)


def transform_filters(weight, groups: int):
    """U = G W Gᵀ: (O, C/g, 3, 3) → (16, g, O/g, C/g), the 16 tile positions outermost; one product for all
    filters."""
    xp = backend.module_of(weight)
    out_channels, group_channels = weight.shape[:2]
    u = _filter_matrix(xp, weight.dtype) @ weight.reshape(-1, 9).T  # (16, O·C/g)
    return u.reshape(16, groups, out_channels // groups, group_channels)


def filter_gradient(grad_u, weight_shape: tuple):
    """dW = Gᵀ dU G, the adjoint of ``transform_filters``: (16, g, O/g, C/g) → (O, C/g, 3, 3)."""
    xp = backend.module_of(grad_u)
    grad_w = grad_u.reshape(16, -1).T @ _filter_matrix(xp, grad_u.dtype)  # (O·C/g, 9)
    return grad_w.reshape(weight_shape)


def _columns_of_parity(parity: int, before: int, width: int):
    """(first, count, source) of the padded columns 2k + parity that hold input columns, for ``before`` padding
    columns ahead of ``width`` input columns: k runs over [first, first + count), input columns from source."""
    first = (before - parity + 1) // 2  # the least k with 2k + parity >= before
    source = 2 * first + parity - before
    return first, max(0, (width - source + 1) // 2), source


def split_padded_input(x, padding: tuple, split_shape: tuple):
    """(N, C, H, W) zero-padded by (top, bottom, left, right) and copied straight into split columns:
    (C, Hp, 2, Wp/2, N), Hp = H + top + bottom, Wp = W + left + right."""
    xp = backend.module_of(x)
    top, _, left, _ = padding
    h, w = x.shape[2:]
    source = x.transpose(1, 2, 3, 0)  # (C, H, W, N): contiguous runs of N for a batch-innermost input
    split = xp.empty(split_shape, dtype=x.dtype)
    split[:, :top] = 0
    split[:, top + h:] = 0
    for parity in range(2):
        first, count, column = _columns_of_parity(parity, left, w)
        inside = split[:, top:top + h, parity]  # (C, H, Wp/2, N)
        inside[:, :, :first] = 0
        inside[:, :, first + count:] = 0
        copy_runs(inside[:, :, first:first + count], source[:, :, column::2])
    return split


def unsplit_input_gradient(grad_split, padding: tuple, input_shape: tuple):
    """The input's share of the padded input's gradient: (C, Hp, 2, Wp/2, N) split columns → (N, C, H, W), a
    view of a (C, H, W, N) block."""
    xp = backend.module_of(grad_split)
    n, channels, h, w = input_shape
    top, _, left, _ = padding
    grad = xp.empty((channels, h, w, n), dtype=grad_split.dtype)
    for parity in range(2):
        first, count, column = _columns_of_parity(parity, left, w)
        copy_runs(grad[:, :, column::2], grad_split[:, top:top + h, parity, first:first + count])
    return grad.transpose(3, 0, 1, 2)


def transform_input(split, first_row: int, last_row: int):
    """V = Bᵀ d B for the tiles of tile rows [first_row, last_row): the padded input with split columns,
    (C, Hp, 2, tw + 1, N) → (4, 4, C, rows, tw, N).

    Tile (r, t) covers padded rows 2r … 2r + 3 and columns 2t … 2t + 3: columns 0, 1, 2, 3 of the tiles are
    the even columns from t, the odd from t, the even from t + 1, the odd from t + 1. Bᵀ is applied to the
    rows of every tile first (all columns at once), then to the columns.
    """
    xp = backend.module_of(split)
    channels, _, _, half, batch = split.shape
    rows, tile_columns = last_row - first_row, half - 1
    band = split[:, 2 * first_row:2 * last_row + 2]  # (C, 2·rows + 2, 2, tw + 1, N)
    d = [band[:, i:i + 2 * rows:2] for i in range(4)]  # d[i]: row i of every tile, (C, rows, 2, tw + 1, N)
    across_rows = xp.empty((4, channels, rows, 2, half, batch), dtype=split.dtype)  # Bᵀ d
    xp.subtract(d[0], d[2], out=across_rows[0])
    xp.add(d[1], d[2], out=across_rows[1])
    xp.subtract(d[2], d[1], out=across_rows[2])
    xp.subtract(d[1], d[3], out=across_rows[3])
    e = [across_rows[:, :, :, j % 2, j // 2:j // 2 + tile_columns] for j in range(4)]  # column j of every tile
    v = xp.empty((4, 4, channels, rows, tile_columns, batch), dtype=split.dtype)  # (Bᵀ d) B
    xp.subtract(e[0], e[2], out=v[:, 0])
    xp.add(e[1], e[2], out=v[:, 1])
    xp.subtract(e[2], e[1], out=v[:, 2])
    xp.subtract(e[1], e[3], out=v[:, 3])
    return v


def add_input_gradient(grad_v, grad_split, first_row: int) -> None:
    """Add dd = B dV Bᵀ onto the padded input's gradient, the adjoint of ``transform_input``: (4, 4, C, rows, tw,
    N) of tile rows [first_row, first_row + rows) → ``grad_split`` (C, Hp, 2, tw + 1, N), split columns. Row 2k
    of the input is row 0 of tile k and row 2 of tile k − 1, row 2k + 1 is row 1 of tile k and row 3 of tile
    k − 1 (and the same for columns), so neighbouring blocks of tile rows add onto two shared rows."""
    xp = backend.module_of(grad_v)
    _, _, channels, rows, tile_columns, batch = grad_v.shape
    across_rows = xp.empty((4, channels, rows, 2, tile_columns + 1, batch), dtype=grad_v.dtype)
    _overlap(xp, [grad_v[:, j] for j in range(4)], across_rows[:, :, :, 0], across_rows[:, :, :, 1], 3, False)
    band = grad_split[:, 2 * first_row:2 * first_row + 2 * rows + 2]  # (C, 2·rows + 2, 2, tw + 1, N)
    _overlap(xp, list(across_rows), band[:, 0::2], band[:, 1::2], 1, True)


def _overlap(xp, parts, even, odd, axis: int, accumulate: bool) -> None:
    """Write (or add) Σ_ξ Bᵀ[ξ, i] · parts[ξ], the adjoint of one Bᵀ pass, for lines i = 0 … 3 of every tile onto
    the lines along ``axis``: tile k's lines 0, 1 land on 2k, 2k + 1 (``even``, ``odd``), lines 2, 3 on 2k + 2,
    2k + 3.

        line 0: p0        line 1: p1 − p2 + p3        line 2: −p0 + p1 + p2        line 3: −p3
    """
    tiles = parts[0].shape[axis]

    def lines(view, start, stop):
        index = [slice(None)] * view.ndim
        index[axis] = slice(start, stop)
        return view[tuple(index)]

    line_one = xp.subtract(parts[1], parts[2], out=None if accumulate else lines(odd, 0, tiles))
    line_one += parts[3]
    line_two = parts[1] + parts[2]
    line_two -= parts[0]
    if accumulate:
        lines(odd, 0, tiles)[...] += line_one
        lines(even, 0, tiles)[...] += parts[0]
    else:
        lines(odd, tiles, tiles + 1)[...] = 0
        lines(even, 0, tiles)[...] = parts[0]
        lines(even, tiles, tiles + 1)[...] = 0
    lines(odd, 1, tiles + 1)[...] -= parts[3]
    lines(even, 1, tiles + 1)[...] += line_two


def _output_matrix(xp, dtype):
    """Aᵀ ⊗ Aᵀ, (4, 16): row (a, b), column (ξ, ν) is Aᵀ[a, ξ] · Aᵀ[b, ν], so that vec(Aᵀ M A) = (Aᵀ ⊗ Aᵀ) vec(M)."""
    return _kronecker_square(xp, OUTPUT_TRANSFORM, dtype)


def output_tiles(m):
    """y = Aᵀ M A: (4, 4, O, rows, tw, N) → (2, 2, O, rows, tw, N), output (a, b) of every tile as a block. One
    product reads M once (measured three times faster than the eight additions of the 2 + 2 passes)."""
    xp = backend.module_of(m)
    _, _, out_channels, rows, tile_columns, batch = m.shape
    y = product(_output_matrix(xp, m.dtype), m.reshape(16, -1), TRANSFORM_SLICE_ELEMENTS)  # (4, O·L)
    return y.reshape(2, 2, out_channels, rows, tile_columns, batch)


def transform_output(m, out) -> None:
    """``output_tiles`` copied into place: ``out`` is an (O, 2·rows, 2·tw, N) array (or view)."""
    _, _, out_channels, rows, tile_columns, batch = m.shape
    tiles = out.reshape(out_channels, rows, 2, tile_columns, 2, batch).transpose(2, 4, 0, 1, 3, 5)
    copy_runs(tiles, output_tiles(m))  # y[o, 2r + a, 2t + b, n]


def tile_gradient(grad_tiles):
    """dM = A dy Aᵀ, the adjoint of ``output_tiles``: (2, 2, O, rows, tw, N) → (16, O, rows·tw·N)."""
    xp = backend.module_of(grad_tiles)
    return product(_output_matrix(xp, grad_tiles.dtype).T, grad_tiles.reshape(4, -1),
                   TRANSFORM_SLICE_ELEMENTS)


def output_gradient(grad_out):
    """dM = A dy Aᵀ, the adjoint of ``transform_output``: (O, 2·rows, 2·tw, N) → (16, O, rows·tw·N)."""
    xp = backend.module_of(grad_out)
    out_channels, height, width, batch = grad_out.shape
    rows, tile_columns = height // 2, width // 2
    pairs = xp.empty((2, 2, out_channels, rows, tile_columns, batch), dtype=grad_out.dtype)  # dy[a, b] of every tile
    copy_runs(pairs, grad_out.reshape(out_channels, rows, 2, tile_columns, 2, batch).transpose(2, 4, 0, 1, 3, 5))
    return tile_gradient(pairs)


def _multiply(xp, u, v):
    """M = U @ V per tile position: (16, g, O/g, C/g) @ (16, g, C/g, L) → (16, O, L); one batch of 16 products
    when there is a single group."""
    positions, groups, group_out = u.shape[:3]
    if groups == 1:
        return xp.matmul(u[:, 0], v[:, 0])
    return xp.matmul(u, v).reshape(positions, groups * group_out, -1)


def _blocks(tile_rows: int, bytes_per_tile_row: int, tiles_per_row: int):
    """(first, last) tile rows of each block: each block's V and M at most WORKSPACE_BYTES, unless that leaves
    the products fewer than MIN_BLOCK_TILES columns."""
    block = max(1, WORKSPACE_BYTES // bytes_per_tile_row, -(-MIN_BLOCK_TILES // tiles_per_row))
    block = min(tile_rows, block)
    return [(first, min(tile_rows, first + block)) for first in range(0, tile_rows, block)]


class WinogradConvolution(Function):
    """A 3×3, stride-1, dilation-1 convolution of (N, C, H, W) with W: (O, C/groups, 3, 3) and an optional bias
    (O,), by F(2×2, 3×3). ``padding`` is (top, bottom, left, right). Same results as ``Convolution``, up to
    rounding.

    With ``pool`` the convolution is followed by 2×2, stride-2 max pooling (and with ``relu`` then by a ReLU,
    ``rectify``), in the same primitive: each tile's 2×2 block of outputs is one pooling window, so the four
    outputs of every tile, as ``output_tiles`` leaves them (four blocks), are the four window positions
    ``max_of_window_positions`` compares, and the backward's shares of the gradient (``window_shares``) are dy
    as ``tile_gradient`` reads it. The output map itself is never written out. An odd last output row or column
    lies in no window and is not computed."""

    def forward(self, x, weight, *bias, padding, groups, pool=False, relu=False):
        xp = backend.module_of(x)
        n, channels = x.shape[:2]
        out_channels = weight.shape[0]
        top, bottom, left, right = padding
        oh, ow = x.shape[2] + top + bottom - 2, x.shape[3] + left + right - 2
        if pool:
            tile_rows, tile_columns = oh // 2, ow // 2
        else:  # an odd output side gets a last tile that overhangs it: pad the input with zeros to fit
            tile_rows, tile_columns = -(-oh // 2), -(-ow // 2)
        read = x[:, :, :2 * tile_rows + 2 - top, :2 * tile_columns + 2 - left]  # the rows and columns tiles read
        split = split_padded_input(read, padding, (channels, 2 * tile_rows + 2, 2, tile_columns + 1, n))
        u = transform_filters(weight, groups)  # (16, g, O/g, C/g)
        needs = self.needs_input_grad
        if pool:
            out = xp.empty((out_channels, tile_rows, tile_columns, n), dtype=x.dtype)  # the window maxima
            winners = xp.empty(out.shape, dtype=xp.uint8) if needs else None
        else:
            out = xp.empty((out_channels, 2 * tile_rows, 2 * tile_columns, n), dtype=x.dtype)
        blocks = _blocks(tile_rows, 16 * (channels + out_channels) * tile_columns * n * x.itemsize, tile_columns * n)

        def run_blocks(nan_check: bool) -> list:
            kept = []
            for first, last in blocks:
                v = transform_input(split, first, last)  # (4, 4, C, rows, tw, N)
                v = v.reshape(16, groups, channels // groups, -1)  # (16, g, C/g, rows·tw·N)
                m = _multiply(xp, u, v)  # (16, O, rows·tw·N)
                if bias:
                    m[5] += bias[0][:, None]  # Aᵀ e₁ e₁ᵀ A is all ones: a bias on M[1, 1] reaches every output
                m = m.reshape(4, 4, out_channels, last - first, tile_columns, n)
                if pool:
                    y = output_tiles(m)
                    max_of_window_positions([y[0, 0], y[0, 1], y[1, 0], y[1, 1]], bool(needs),
                                            out=(out[:, first:last], winners[:, first:last] if needs else None),
                                            nan_check=nan_check)
                else:
                    transform_output(m, out[:, 2 * first:2 * last])
                if needs and needs[1]:
                    # V for the weight gradient, transposed: (16, g, L, C/g). The product dM Vᵀ then reads both
                    # operands along their rows, 1.65x as fast here (0.26 against 0.44 ms for a row of tiles of
                    # the digits CNN), for a copy of V that costs 0.08 ms
                    kept.append(xp.ascontiguousarray(v.transpose(0, 1, 3, 2)))
            return kept

        kept = run_blocks(nan_check=False)
        if pool and needs and xp.isnan(out).any():  # the comparisons are meaningless there: PyTorch's scan, again
            kept = run_blocks(nan_check=True)
        if relu:
            rectify(out, winners)
        if needs:
            self.groups, self.padding, self.blocks, self.pool = groups, padding, blocks, pool
            self.shapes = (x.shape, read.shape, weight.shape, split.shape)
            self.u = u if needs[0] else None
            self.v = kept
            self.winners = winners if pool else None
        if not pool and (oh, ow) != out.shape[1:3]:
            out = xp.ascontiguousarray(out[:, :oh, :ow])
        return out.transpose(3, 0, 1, 2)  # (N, O, oH, oW) view, batch innermost

    def backward(self, grad):
        xp = backend.module_of(grad)
        needs = self.needs_input_grad
        input_shape, read_shape, weight_shape, split_shape = self.shapes
        n, channels = input_shape[:2]
        out_channels, groups = weight_shape[0], self.groups
        tile_rows, tile_columns = split_shape[1] // 2 - 1, split_shape[3] - 1
        grad_out = grad.transpose(1, 2, 3, 0)  # (O, oH, oW, N), free for a gradient laid out like our output
        if not self.pool and grad_out.shape[1:3] != (2 * tile_rows, 2 * tile_columns):
            oh, ow = grad_out.shape[1:3]
            grad_out = xp.pad(grad_out, ((0, 0), (0, 2 * tile_rows - oh), (0, 2 * tile_columns - ow), (0, 0)))
        grad_split = xp.zeros(split_shape, dtype=grad.dtype) if needs[0] else None  # (C, Hp, 2, tw + 1, N)
        grad_u = grad_bias = None
        finite = bool(xp.isfinite(grad_out).all()) if self.pool else None
        for index, (first, last) in enumerate(self.blocks):
            if self.pool:
                shares = xp.empty((2, 2, out_channels, last - first, tile_columns, n), dtype=grad.dtype)
                grad_m = tile_gradient(window_shares(grad_out[:, first:last], self.winners[:, first:last], shares,
                                                     finite))
            else:
                grad_m = output_gradient(grad_out[:, 2 * first:2 * last])  # (16, O, rows·tw·N)
            grad_m = grad_m.reshape(16, groups, out_channels // groups, -1)  # (16, g, O/g, rows·tw·N)
            if needs[0]:
                grad_v = xp.matmul(self.u.transpose(0, 1, 3, 2), grad_m)  # (16, g, C/g, rows·tw·N)
                add_input_gradient(grad_v.reshape(4, 4, channels, last - first, tile_columns, n), grad_split, first)
            if needs[1]:
                block_product = xp.matmul(grad_m, self.v[index])  # (16, g, O/g, C/g)
                if grad_u is None:
                    grad_u = block_product
                else:
                    grad_u += block_product
            if len(needs) == 3 and needs[2]:
                block_sum = grad_m[5].reshape(out_channels, -1).sum(axis=1)  # dM[1, 1] is each 2×2 block's sum
                if grad_bias is None:
                    grad_bias = block_sum
                else:
                    grad_bias += block_sum
        grad_x = grad_weight = None
        if needs[0]:
            grad_x = unsplit_input_gradient(grad_split, self.padding, read_shape)
            if read_shape != input_shape:  # rows or columns no tile read: no gradient
                full = xp.zeros((channels,) + input_shape[2:] + (n,), dtype=grad.dtype)
                full[:, :read_shape[2], :read_shape[3]] = grad_x.transpose(1, 2, 3, 0)
                grad_x = full.transpose(3, 0, 1, 2)
        if needs[1]:
            grad_weight = filter_gradient(grad_u, weight_shape)
        return grad_x, grad_weight, grad_bias
