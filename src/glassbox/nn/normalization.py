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

The forward and backward are one primitive: composed from elementary ops the
graph would hold a dozen nodes; the analytic gradient, with g = dL/dx̂ = γ · dL/dy,

    dL/dx = (g − mean(g) − x̂ · mean(g · x̂)) / √(σ² + ε)

is one expression (when μ and σ² are constants, as in eval mode, it is just g / √(σ² + ε)).
"""

from __future__ import annotations

import numbers

from glassbox import backend, creation, dtypes
from glassbox.tensor import Function, Tensor

from . import init
from .module import Module
from .parameter import Parameter


class NormalizeScaleShift(Function):
    """y = γ · (x − μ) · inv_std + β, with μ and inv_std = 1/√(σ² + ε) given as arrays.

    ``axes``: the axes the statistics were taken over (they depend on x when
    ``batch_statistics``); ``param_axes``: the axes γ and β are broadcast over,
    ``param_shape``: their shape broadcast against x.
    """

    def forward(self, x, *affine, mean, inv_std, axes, batch_statistics, param_axes, param_shape, has_weight):
        x_hat = (x - mean) * inv_std
        self.x_hat, self.inv_std, self.axes, self.batch_statistics = x_hat, inv_std, axes, batch_statistics
        self.param_axes, self.has_weight = param_axes, has_weight
        self.weight = affine[0].reshape(param_shape) if has_weight else None
        out = x_hat * self.weight if has_weight else x_hat
        if len(affine) > int(has_weight):  # a bias was given
            out = out + affine[-1].reshape(param_shape)
        return out

    def backward(self, grad):
        needs = self.needs_input_grad
        x_hat = self.x_hat
        grad_x = None
        if needs[0]:
            grad_x_hat = grad * self.weight if self.has_weight else grad
            if self.batch_statistics:
                mean_grad = grad_x_hat.mean(axis=self.axes, keepdims=True)
                mean_grad_x_hat = (grad_x_hat * x_hat).mean(axis=self.axes, keepdims=True)
                grad_x = (grad_x_hat - mean_grad - x_hat * mean_grad_x_hat) * self.inv_std
            else:
                grad_x = grad_x_hat * self.inv_std
        grads = [grad_x]
        position = 1
        if self.has_weight:
            grads.append((grad * x_hat).sum(axis=self.param_axes) if needs[position] else None)
            position += 1
        if len(needs) > position:
            grads.append(grad.sum(axis=self.param_axes) if needs[position] else None)
        return tuple(grads)


def _mean(x, axes):
    """The mean accumulated in float64: a float32 sum of many values with a large common offset loses the
    digits that the centred values x − μ need (and NumPy sums a non-contiguous axis one value at a time)."""
    if x.dtype.itemsize >= 8:
        return x.mean(axis=axes, keepdims=True)
    return x.mean(axis=axes, keepdims=True, dtype=dtypes.float64).astype(x.dtype)


def _normalize(input, weight, bias, mean, inv_std, axes, batch_statistics, param_axes, param_shape) -> Tensor:
    affine = [t for t in (weight, bias) if t is not None]
    return NormalizeScaleShift.apply(input, *affine, mean=mean, inv_std=inv_std, axes=axes,
                                     batch_statistics=batch_statistics, param_axes=param_axes,
                                     param_shape=param_shape, has_weight=weight is not None)


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
    axes = (0,) + tuple(range(2, input.ndim))
    param_shape = (1, channels) + (1,) * (input.ndim - 2)
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                         ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != (channels,):
            raise RuntimeError(f"batch_norm: {name} has shape {tuple(tensor.shape)}, the input has {channels} "
                               f"channels (shape {tuple(input.shape)})")
    x = input.data
    xp = backend.module_of(x)
    if training:
        count = x.size // max(channels, 1)
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{tuple(input.shape)}")
        mean = _mean(x, axes)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)  # biased: what normalises the batch
        if running_mean is not None:
            running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mean.reshape(channels)
        if running_var is not None:
            unbiased = var.reshape(channels) * (count / (count - 1))
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: evaluation (training=False) needs running_mean and running_var")
        mean = running_mean.data.reshape(param_shape).astype(x.dtype, copy=False)
        var = running_var.data.reshape(param_shape).astype(x.dtype, copy=False)
    inv_std = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    return _normalize(input, weight, bias, mean, inv_std, axes, training, axes, param_shape)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions of each sample; γ, β of ``normalized_shape``."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else \
        tuple(normalized_shape)
    count = len(normalized_shape)
    if count == 0 or tuple(input.shape[input.ndim - count:]) != normalized_shape or input.ndim < count:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {tuple(input.shape)}")
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != normalized_shape:
            raise RuntimeError(f"layer_norm: {name} has shape {tuple(tensor.shape)}, expected {normalized_shape}")
    x = input.data
    xp = backend.module_of(x)
    axes = tuple(range(input.ndim - count, input.ndim))
    mean = _mean(x, axes)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    inv_std = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    leading_axes = tuple(range(input.ndim - count))
    return _normalize(input, weight, bias, mean, inv_std, axes, True, leading_axes, normalized_shape)


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
