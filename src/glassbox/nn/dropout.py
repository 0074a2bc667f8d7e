"""Dropout: randomly ignore units during training, so that no unit can rely on another.

The notes: dropout "randomly ignores certain nodes in a layer during training";
it regularises because a unit "can't rely on one input as it might be dropped
out at random". Each element is kept with probability 1 - p:

    mask ~ Bernoulli(1 - p)          y = x · mask / (1 - p)

This is *inverted* dropout: dividing the survivors by 1 - p during training
keeps the expected value of every unit unchanged, E[y] = x, so at evaluation
time the layer is simply the identity (no rescaling of the weights is needed,
as the original formulation required). ``model.eval()`` switches it off.
"""

from __future__ import annotations

from glassbox import random as gb_random
from glassbox.autograd import is_grad_enabled
from glassbox.tensor import Tensor

from .module import Module


def _check_probability(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_with_mask_shape(input: Tensor, p: float, mask_shape: tuple, inplace: bool) -> Tensor:
    """input · mask / (1 - p) with one Bernoulli(1 - p) draw per element of ``mask_shape`` (broadcast)."""
    if input.dtype.kind != "f":
        raise TypeError(f"dropout expects a floating point input, got {input.dtype}")
    keep = 1.0 - p
    draws = gb_random.generator(input.device).random(mask_shape)
    # the scaled mask is 0 or 1/(1-p); p = 1 drops everything (no division by zero)
    scaled_mask = (draws < keep).astype(input.dtype) * (1.0 / keep) if keep > 0 else draws * 0.0
    scaled_mask = Tensor._wrap(scaled_mask.astype(input.dtype, copy=False))
    if inplace and not (is_grad_enabled() and input.requires_grad):
        return input.mul_(scaled_mask)
    # in place inside a recorded graph would destroy what backward needs: computed out of place instead
    return input * scaled_mask  # one multiply: its backward multiplies the gradient by the same mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1 - p); identity when not training."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    return _dropout_with_mask_shape(input, p, tuple(input.shape), inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, spatial_dims: int, name: str) -> Tensor:
    _check_probability(p)
    if input.ndim not in (spatial_dims + 1, spatial_dims + 2):
        raise RuntimeError(f"{name}: expected a {spatial_dims + 1}-D (C, …) or {spatial_dims + 2}-D (N, C, …) input, "
                           f"got shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    # one draw per (sample, channel): a whole feature map is dropped or kept together
    channel_dims = input.ndim - spatial_dims
    mask_shape = tuple(input.shape[:channel_dims]) + (1,) * spatial_dims
    return _dropout_with_mask_shape(input, p, mask_shape, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        _check_probability(p)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability ``p`` in training, scaling the rest by 1/(1 - p)."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) inputs: neighbouring positions are correlated, so single
    elements dropped would hardly regularise."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole feature maps of (N, C, H, W) inputs."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole feature volumes of (N, C, D, H, W) inputs."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout3d(input, self.p, self.training, self.inplace)
