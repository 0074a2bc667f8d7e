"""Flatten and Unflatten: reshape between convolutional feature maps and the rows a Linear layer reads.

``Flatten()`` turns (N, C, H, W) into (N, C·H·W), the bridge from the
convolutional part of a network to its fully connected part; ``Unflatten``
undoes it. Both are reshapes, so their gradient is the inverse reshape.
"""

from __future__ import annotations

from glassbox.tensor import Tensor

from .module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim`` … ``end_dim`` into one (by default all but the batch dimension)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: Unflatten(1, (C, H, W)) turns (N, C·H·W) into (N, C, H, W)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, tuple | list) or not all(isinstance(n, int) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, tuple(self.unflattened_size))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
