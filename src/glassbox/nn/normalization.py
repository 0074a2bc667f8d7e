"""Normalisation layers: normalise, then scale and shift.

Batch norm (Ioffe & Szegedy, 2015) normalises every channel over the batch
(and over the positions of a feature map); layer norm (Ba et al., 2016)
normalises every sample over its own features. Both compute

    μ = mean(x),  σ² = mean((x − μ)²)            over the normalised axes (σ² is the biased variance)
    x̂ = (x − μ) / √(σ² + ε)                      normalise
    y = γ · x̂ + β                                scale and shift, γ and β learned (γ = 1, β = 0 at first)

In training, batch norm also keeps running averages of the statistics for
evaluation, where a single sample has no batch to be normalised against:

    running_mean ← (1 − momentum) · running_mean + momentum · μ
    running_var  ← (1 − momentum) · running_var  + momentum · σ² · n / (n − 1)   (unbiased, n values per channel)

``momentum=None`` makes these a cumulative average (factor 1 / batches seen).
In ``eval()`` mode batch norm normalises with the running averages instead.

Each layer is one primitive (BatchNormFunction, LayerNormFunction): composed
from elementary ops the graph would hold a dozen nodes; the analytic gradient,
with g = dL/dx̂ = γ · dL/dy,

    dL/dx = (g − mean(g) − x̂ · mean(g · x̂)) / √(σ² + ε)

is one expression (when μ and σ² are constants, as in eval mode, it is just g / √(σ² + ε)).
Batch norm works on x viewed as (N, C, L), layer norm on x viewed as (M, K),
so that every reduction is over whole axes of a fixed layout.
"""

from __future__ import annotations

import math
import numbers

from glassbox import backend, creation, dtypes
from glassbox.autograd import Function
from glassbox.tensor import Tensor

from . import init
from .module import Module
from .parameter import Parameter


def _split_affine(affine, has_weight):
    """The (weight, bias) arrays out of the tensors passed after x (either may be absent)."""
    weight = affine[0] if has_weight else None
    bias = affine[-1] if len(affine) > int(has_weight) else None
    return weight, bias


def _affine_grads(needs, has_weight, has_bias, grad_weight, grad_bias) -> list:
    grads = []
    if has_weight:
        grads.append(grad_weight if needs[1] else None)
    if has_bias:
        grads.append(grad_bias if needs[-1] else None)
    return grads


class BatchNormFunction(Function):
    """Batch norm of x viewed as (N, C, L): statistics per channel over N and L.

    Like PyTorch's kernel it updates the running statistics in place (training
    mode); in evaluation it normalises with them, and μ, σ² are then constants
    for the gradient.
    """

    def forward(self, x, *affine, running_mean, running_var, training, momentum, eps, has_weight):
        xp = backend.module_of(x)
        shape, channels = x.shape, x.shape[1]
        x = x.reshape(shape[0], channels, -1)  # (N, C, L)
        count = x.shape[0] * x.shape[2]  # values per channel
        if training:
            # the mean accumulated in float64: a float32 running sum of values with a large common offset
            # would lose the digits that x − μ needs
            mean = (x.sum(axis=2).sum(axis=0, dtype=dtypes.float64) / count).astype(x.dtype)  # (C,)
            centred = x - mean[:, None]
            variance = xp.einsum("ncl,ncl->c", centred, centred) / count  # biased: what normalises the batch
            if running_mean is not None:
                running_mean[...] = (1 - momentum) * running_mean + momentum * mean
            if running_var is not None:
                running_var[...] = (1 - momentum) * running_var + momentum * variance * (count / (count - 1))
        else:
            mean, variance = running_mean.astype(x.dtype, copy=False), running_var.astype(x.dtype, copy=False)
            centred = x - mean[:, None]
        inv_std = (1.0 / xp.sqrt(variance + eps)).astype(x.dtype, copy=False)  # (C,)
        x_hat = centred
        x_hat *= inv_std[:, None]  # (N, C, L)
        weight, bias = _split_affine(affine, has_weight)
        out = x_hat * weight[:, None] if weight is not None else x_hat.copy()
        if bias is not None:
            out += bias[:, None]
        self.x_hat, self.inv_std, self.weight, self.count, self.training = x_hat, inv_std, weight, count, training
        self.has_bias, self.shape = bias is not None, shape
        return out.reshape(shape)

    def backward(self, grad):
        xp = backend.module_of(grad)
        needs, x_hat = self.needs_input_grad, self.x_hat
        grad = grad.reshape(x_hat.shape)  # (N, C, L)
        grad_bias = xp.einsum("ncl->c", grad)  # Σ g
        grad_weight = xp.einsum("ncl,ncl->c", grad, x_hat)  # Σ g·x̂
        grad_x = None
        if needs[0]:
            # dL/dx = γ/√(σ²+ε) · (g − Σg/n − x̂·Σ(g·x̂)/n); without the two sums when μ, σ² are constants
            scale = self.inv_std if self.weight is None else self.weight * self.inv_std  # (C,)
            grad_x = grad * scale[:, None]
            if self.training:
                grad_x -= x_hat * (scale * grad_weight / self.count)[:, None]
                grad_x -= (scale * grad_bias / self.count)[:, None]
            grad_x = grad_x.reshape(self.shape)
        grads = _affine_grads(needs, self.weight is not None, self.has_bias, grad_weight, grad_bias)
        return (grad_x, *grads)


class LayerNormFunction(Function):
    """Layer norm of x viewed as (M, K): each of the M rows normalised over its K features."""

    def forward(self, x, *affine, normalized_size, eps, has_weight):
        xp = backend.module_of(x)
        shape = x.shape
        x = x.reshape(-1, normalized_size)  # (M, K)
        mean = x.mean(axis=1, keepdims=True)  # a contiguous row: NumPy sums it pairwise, accurately
        centred = x - mean
        variance = xp.einsum("mk,mk->m", centred, centred)[:, None] / normalized_size
        inv_std = (1.0 / xp.sqrt(variance + eps)).astype(x.dtype, copy=False)  # (M, 1)
        x_hat = centred
        x_hat *= inv_std
        weight, bias = _split_affine(affine, has_weight)
        weight = weight.reshape(-1) if weight is not None else None
        out = x_hat * weight if weight is not None else x_hat.copy()
        if bias is not None:
            out += bias.reshape(-1)
        self.x_hat, self.inv_std, self.weight, self.shape = x_hat, inv_std, weight, shape
        self.has_bias = bias is not None
        self.parameter_shape = affine[0].shape if affine else None  # normalized_shape
        return out.reshape(shape)

    def backward(self, grad):
        xp = backend.module_of(grad)
        needs, x_hat = self.needs_input_grad, self.x_hat
        grad = grad.reshape(x_hat.shape)  # (M, K)
        grad_x = None
        if needs[0]:
            # dL/dx = (g − mean(g) − x̂·mean(g·x̂)) / √(σ²+ε), with g = γ·dL/dy, means over each row
            grad_x_hat = grad * self.weight if self.weight is not None else grad
            row_mean = grad_x_hat.mean(axis=1, keepdims=True)
            row_mean_x_hat = xp.einsum("mk,mk->m", grad_x_hat, x_hat)[:, None] / x_hat.shape[1]
            grad_x = grad_x_hat - row_mean
            grad_x -= x_hat * row_mean_x_hat
            grad_x *= self.inv_std
            grad_x = grad_x.reshape(self.shape)
        grad_weight = grad_bias = None
        if self.weight is not None and needs[1]:
            grad_weight = xp.einsum("mk,mk->k", grad, x_hat).reshape(self.parameter_shape)
        if self.has_bias and needs[-1]:
            grad_bias = grad.sum(axis=0).reshape(self.parameter_shape)
        grads = _affine_grads(needs, self.weight is not None, self.has_bias, grad_weight, grad_bias)
        return (grad_x, *grads)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dimension 1) of an (N, C, …) input; see the module docstring.

    In training the batch statistics are used and the running averages (when given)
    are updated in place; otherwise the running averages are used.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, …), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                         ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != (channels,):
            raise RuntimeError(f"batch_norm: {name} has shape {tuple(tensor.shape)}, the input has {channels} "
                               f"channels (shape {tuple(input.shape)})")
    if training and input.numel() // max(channels, 1) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm: evaluation (training=False) needs running_mean and running_var")
    affine = [t for t in (weight, bias) if t is not None]
    return BatchNormFunction.apply(input, *affine, running_mean=None if running_mean is None else running_mean.data,
                                   running_var=None if running_var is None else running_var.data, training=training,
                                   momentum=momentum, eps=eps, has_weight=weight is not None)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions of each sample; γ, β of ``normalized_shape``."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else \
        tuple(normalized_shape)
    count = len(normalized_shape)
    if count == 0 or input.ndim < count or tuple(input.shape[input.ndim - count:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {tuple(input.shape)}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != normalized_shape:
            raise RuntimeError(f"layer_norm: {name} has shape {tuple(tensor.shape)}, expected {normalized_shape}")
    affine = [t for t in (weight, bias) if t is not None]
    return LayerNormFunction.apply(input, *affine, normalized_size=math.prod(normalized_shape), eps=eps,
                                   has_weight=weight is not None)


def _parameter(shape, fill, device, dtype) -> Parameter:
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    return Parameter(creation.full(shape, fill, dtype=dtype, device=device or "cpu"))


class _BatchNorm(Module):
    """The shared part of BatchNorm1d/2d/3d: parameters, running statistics, training vs evaluation."""

    expected_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = _parameter((num_features,), 1.0, device, dtype)
            if bias:
                self.bias = _parameter((num_features,), 0.0, device, dtype)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            float_dtype, device = dtypes.as_dtype(dtype) or dtypes.default_float, device or "cpu"
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=float_dtype, device=device))
            self.register_buffer("running_var", creation.ones(num_features, dtype=float_dtype, device=device))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=dtypes.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self.expected_dims:
            wanted = " or ".join(f"{d}D" for d in self.expected_dims)
            raise ValueError(f"{type(self).__name__}: expected {wanted} input (got {input.ndim}D input of shape "
                             f"{tuple(input.shape)})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels in dimension 1, "
                             f"got input of shape {tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        # without running statistics, evaluation normalises with the batch's own, like training
        use_batch_statistics = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                          self.weight, self.bias, use_batch_statistics, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs: statistics per channel C."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) feature maps: statistics per channel, over N, H and W."""

    expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) volumes."""

    expected_dims = (5,)


class LayerNorm(Module):
    """Normalise each sample over its last dimensions ``normalized_shape``; the same in training and evaluation."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = _parameter(self.normalized_shape, 1.0, device, dtype)
            if bias:
                self.bias = _parameter(self.normalized_shape, 0.0, device, dtype)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
