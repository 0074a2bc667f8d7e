"""Matrix multiplication, the one op that does almost all of a network's arithmetic.

For C = A @ B:   dL/dA = dL/dC @ Bᵀ      dL/dB = Aᵀ @ dL/dC

1-D operands follow NumPy/PyTorch: a vector on the left is a row, on the right
a column, and the added dimension is dropped from the result. Batch dimensions
broadcast; their gradients are summed back by the engine.
"""

from __future__ import annotations

from glassbox.autograd import Function
from glassbox.tensor import Tensor

from .elementwise import binary_operands


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
