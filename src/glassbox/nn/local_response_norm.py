"""Local response normalisation: AlexNet's "normalization layers" (Krizhevsky et al., 2012).

Each activation is divided by a power of the energy of its neighbours across
channels (nearby feature maps at the same position compete, like lateral
inhibition in real neurons):

    b_c = a_c · (k + α/n · Σ_{c' = c − ⌊n/2⌋}^{c + ⌊(n−1)/2⌋} a_{c'}²)^(−β)

over the channels that exist (zeros beyond the edges), with n = ``size``. PyTorch's
defaults: α = 1e-4, β = 0.75, k = 1. Composed from elementwise ops and a sliding
sum of ``size`` shifted slices, so autograd gives the gradient.
"""

from __future__ import annotations

from glassbox.ops.movement import pad
from glassbox.tensor import Tensor

from .module import Module

__all__ = ["LocalResponseNorm", "local_response_norm"]


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """b = a / (k + α · mean of a² over a window of ``size`` channels (zero-padded))^β, on (N, C, *)."""
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected an input of 3 or more dimensions (N, C, *), "
                         f"got shape {tuple(input.shape)}")
    if size < 1:
        raise ValueError(f"local_response_norm: size must be positive, got {size}")
    batch, channels = input.shape[:2]
    squares = (input * input).reshape(batch, channels, -1)  # (N, C, positions)
    padded = pad(squares, (0, 0, size // 2, (size - 1) // 2))  # (N, C + size − 1, positions)
    window_sum = padded[:, 0:channels]
    for offset in range(1, size):
        window_sum = window_sum + padded[:, offset:offset + channels]
    # the mean, as PyTorch's average pooling, then α and k
    divisor = ((window_sum / size) * alpha + k) ** beta
    return input / divisor.reshape(input.shape)


class LocalResponseNorm(Module):
    """b_c = a_c · (k + α/n · Σ_{c' near c} a_{c'}²)^(−β) across ``size`` neighbouring channels."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

    def forward(self, input: Tensor) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)
