"""Matrix multiplication, the one op that does almost all of a network's arithmetic.

For C = A @ B:   dL/dA = dL/dC @ Bᵀ      dL/dB = Aᵀ @ dL/dC

1-D operands follow NumPy/PyTorch: a vector on the left is a row, on the right
a column, and the added dimension is dropped from the result. Batch dimensions
broadcast; their gradients are summed back by the engine.
"""

from __future__ import annotations

from glassbox import backend
from glassbox.autograd import Function
from glassbox.tensor import Tensor

from .elementwise import binary_operands

# A product with a short side moves far more memory than it computes: a first convolution's (O, C·kH·kW) weight
# rows against its columns (C·kH·kW is 9 or 27), its weight gradient (a sum over every output position), the
# 4 × 16 output transform of a Winograd convolution. OpenBLAS packs the long operand in panels that outgrow the
# cache and runs such products at a third of its rate (32 × 10 × 50,176: 1.05 ms; 16 × 4 × 86,016: 0.91 ms,
# measured). In slices of the long side whose operands and result hold at most SLICE_ELEMENTS numbers together,
# they take 0.45 and 0.31 ms.
SHORT_SIDE = 64
SLICE_ELEMENTS = 1 << 16


def product(a, b, slice_elements: int | None = None):
    """a @ b for 2-D arrays (M, K) @ (K, N); on the CPU in slices of N, or a sum over slices of K, when the other
    two sides are at most SHORT_SIDE long; each slice's operands and result at most ``slice_elements`` numbers
    (SLICE_ELEMENTS by default)."""
    xp = backend.module_of(a)
    (m, k), n = a.shape, b.shape[1]
    if xp.__name__ != "numpy":
        return xp.matmul(a, b)
    if slice_elements is None:
        slice_elements = SLICE_ELEMENTS
    if max(m, k) <= SHORT_SIDE:  # slices of the result's columns
        step = max(1, slice_elements // (m + k))
        if n >= 4 * step:
            out = xp.empty((m, n), dtype=xp.result_type(a, b))
            for first in range(0, n, step):
                xp.matmul(a, b[:, first:first + step], out=out[:, first:first + step])
            return out
    if max(m, n) <= SHORT_SIDE:  # a sum of the products of slices of the inner side
        step = max(1, slice_elements // (m + n))
        if k >= 4 * step:
            out = xp.matmul(a[:, :step], b[:step])
            for first in range(step, k, step):
                out += a[:, first:first + step] @ b[first:first + step]
            return out
    return xp.matmul(a, b)


class Matmul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is a scalar
            return (grad * b if need_a else None), (grad * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a  # (…, n, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (…, k, m)
        g = grad
        if a.ndim == 1:
            g = g[..., None, :]
        if b.ndim == 1:
            g = g[..., None]  # (…, n, m)
        grad_a = grad_b = None
        if need_a:
            grad_a = g @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:
                # a batch of rows against one matrix: fold the batch into one GEMM instead of
                # materialising a gradient per batch entry and summing them afterwards
                grad_b = a2.reshape(-1, a2.shape[-1]).T @ g.reshape(-1, g.shape[-1])  # (k, m)
            else:
                grad_b = a2.swapaxes(-1, -2) @ g
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def matmul(a: Tensor, b: Tensor) -> Tensor:
    a, b = binary_operands(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"(inner sizes {k_a} and {k_b} differ)"
        )
    return Matmul.apply(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expects two matrices, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: expects two batches of matrices of the same batch size, "
                           f"got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)
