"""Maxout: the largest of several linear functions (Goodfellow et al., 2013).

The notes' activation table lists maxout as  f(x) = maxᵢ xᵢ.  As a layer, each
output unit j computes ``pieces`` linear functions of the input and keeps the
largest:

    zⱼₖ = x · Wⱼₖ + bⱼₖ        k = 1 … pieces
    yⱼ  = maxₖ zⱼₖ

A maximum of linear functions is convex and piecewise linear, so a maxout unit
can learn ReLU (max(0, x)), the absolute value (max(x, −x)) or any other convex
activation. The gradient flows only through the piece that won.

The pieces live in one weight of shape (out_features · pieces, in_features),
unit j's pieces in rows j·pieces … j·pieces + pieces − 1, so the layer is one
``linear`` followed by a reshape and a max.
"""

from __future__ import annotations

import math

from glassbox.tensor import Tensor

from . import init
from .linear import _empty, linear
from .module import Module


def linear_maxout(input: Tensor, weight: Tensor, bias: Tensor | None, pieces: int) -> Tensor:
    """max over ``pieces`` of x Wᵀ + b, grouped as consecutive rows of ``weight``."""
    if weight.shape[0] % pieces != 0:
        raise ValueError(f"linear_maxout: weight has {weight.shape[0]} rows, not a multiple of pieces = {pieces}")
    z = linear(input, weight, bias)  # (…, out_features · pieces)
    z = z.reshape(*z.shape[:-1], weight.shape[0] // pieces, pieces)  # (…, out_features, pieces)
    return z.amax(-1)  # (…, out_features)


class Maxout(Module):
    """``Maxout(in_features, out_features, pieces)``: yⱼ = maxₖ (x · Wⱼₖ + bⱼₖ).

    Initialised like ``Linear(in_features, out_features · pieces)``: U[-1/√in, 1/√in].
    """

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        if pieces < 1:
            raise ValueError(f"Maxout: pieces must be at least 1, got {pieces}")
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        self.weight = _empty(out_features * pieces, in_features, device=device, dtype=dtype)
        if bias:
            self.bias = _empty(out_features * pieces, device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return linear_maxout(input, self.weight, self.bias, self.pieces)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}, "
                f"bias={self.bias is not None}")
