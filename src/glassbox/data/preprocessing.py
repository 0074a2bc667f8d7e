"""Rescaling features before training: standardisation, min-max scaling, per-channel normalisation.

Standardisation (``StandardScaler``, scikit-learn's name and attributes):

    z = (x - μ) / σ          μ, σ: mean and population standard deviation of each feature

Min-max scaling to a range [a, b] (``MinMaxScaler``, ``min_max_scale``):

    x' = (x - min) / (max - min) * (b - a) + a

The notes transform a convolution output this way: the 4x4 map with rows
``0 -4 -4 0`` becomes ``255 0 0 255`` with [a, b] = [0, 255]
(``min_max_scale(x, feature_range=(0, 255))``).

Per-channel normalisation of images (``normalize``, torchvision's signature):

    out[c] = (image[c] - mean[c]) / std[c]

Statistics are fitted in float64 and applied in the input's dtype. Arrays in,
arrays out; Tensors in, Tensors out (composed of Tensor ops, so gradients flow
through a transform, with the fitted statistics as constants). The statistics are taken over ``dim`` (default 0: rows
are samples, columns are features; ``dim=(0, 2, 3)`` gives one statistic per
channel of NCHW images). A feature that never varies keeps scale 1 instead of
dividing by zero, as in scikit-learn.
"""

from __future__ import annotations

import numpy

from glassbox import backend, dtypes
from glassbox.tensor import Tensor


def _as_array(x, who: str):
    """The array behind ``x`` and whether it came as a Tensor."""
    if isinstance(x, Tensor):
        return x.data, True
    if isinstance(x, list | tuple):
        return numpy.asarray(x), False
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x, False
    raise TypeError(f"{who}: expected a NumPy array, a Tensor or a list, got {type(x).__name__}")


def _float_dtype(array) -> numpy.dtype:
    return array.dtype if array.dtype.kind == "f" else dtypes.default_float


def _reduced_dims(dim, ndim: int, who: str) -> tuple:
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError(f"{who}: dim {d} is out of range for an input with {ndim} dimensions")
        out.append(d % ndim)
    return tuple(sorted(set(out)))


def _apply(x, was_tensor: bool, shift, scale, offset=0.0, inverse: bool = False, divide: bool = True):
    """``(x - shift) / scale + offset`` (``* scale`` when not ``divide``) or its inverse, in x's float dtype,
    on x's device."""
    array = x.data if was_tensor else x
    dtype = _float_dtype(array)
    xp = backend.module_of(array)
    shift, scale = xp.asarray(shift, dtype=dtype), xp.asarray(scale, dtype=dtype)
    if was_tensor:
        value = x if x.dtype == dtype else x.to(dtype)
        shift, scale = Tensor._wrap(shift), Tensor._wrap(scale)
    else:
        value = array.astype(dtype, copy=False)
        offset = dtype.type(offset)
    if inverse:
        value = value - offset
        value = value * scale if divide else value / scale
        return value + shift
    value = value - shift
    value = value / scale if divide else value * scale
    return value + offset


class _Scaler:
    """Shared fit/transform plumbing: subclasses compute ``_shift`` and ``_scale`` in ``_fit``."""

    def __init__(self, dim=0):
        self.dim = dim
        self._shift = None  # broadcastable float64 arrays, kept dims of size 1
        self._scale = None
        self._fitted_shape = None

    def _fit(self, array, dims):
        raise NotImplementedError

    def fit(self, x, y=None):
        array, _ = _as_array(x, type(self).__name__)
        dims = _reduced_dims(self.dim, array.ndim, type(self).__name__)
        if any(array.shape[d] == 0 for d in dims):
            raise ValueError(f"{type(self).__name__}.fit: cannot fit on an empty input of shape {array.shape}")
        self._fitted_shape = tuple(1 if d in dims else n for d, n in enumerate(array.shape))
        self._fit(backend.to_numpy(array).astype(numpy.float64), dims)
        return self

    def _check(self, x, who: str):
        name = type(self).__name__
        if self._shift is None:
            raise RuntimeError(f"{name}.{who}: call fit(x) first")
        array, was_tensor = _as_array(x, name)
        expected = self._fitted_shape
        same_rank = array.ndim == len(expected)
        if not same_rank or any(e != 1 and n != e for n, e in zip(array.shape, expected, strict=False)):
            raise ValueError(
                f"{name}.{who}: input of shape {tuple(array.shape)} does not match the fitted feature shape "
                f"{expected} (1 marks the dimensions the statistics were taken over)"
            )
        return (x if was_tensor else array), was_tensor

    def fit_transform(self, x, y=None):
        return self.fit(x).transform(x)

    def state_dict(self) -> dict:
        return {"dim": self.dim, "shift": self._shift, "scale": self._scale, "fitted_shape": self._fitted_shape}

    def load_state_dict(self, state: dict) -> None:
        self.dim = state["dim"]
        self._shift = numpy.asarray(state["shift"], dtype=numpy.float64)
        self._scale = numpy.asarray(state["scale"], dtype=numpy.float64)
        self._fitted_shape = tuple(state["fitted_shape"])


def _nonzero_scale(scale):
    """Scale 1 where a feature is constant (scikit-learn's rule), so it is shifted but not blown up."""
    tiny = 10 * numpy.finfo(numpy.float64).eps
    return numpy.where(scale < tiny, 1.0, scale)


class StandardScaler(_Scaler):
    """Standardise features: ``z = (x - μ) / σ`` (see the module docstring).

    Attributes after ``fit`` (scikit-learn's names): ``mean_``, ``var_``,
    ``scale_`` (σ, with constant features at 1), ``n_samples_seen_``.
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True, dim=0):
        super().__init__(dim)
        self.with_mean = with_mean
        self.with_std = with_std

    def _fit(self, array, dims):
        mean = array.mean(axis=dims, keepdims=True)
        variance = ((array - mean) ** 2).mean(axis=dims, keepdims=True)
        self.n_samples_seen_ = int(numpy.prod([array.shape[d] for d in dims]))
        self.mean_ = mean.squeeze(axis=dims)
        self.var_ = variance.squeeze(axis=dims)
        self.scale_ = _nonzero_scale(numpy.sqrt(self.var_))
        self._shift = mean if self.with_mean else numpy.zeros_like(mean)
        self._scale = _nonzero_scale(numpy.sqrt(variance)) if self.with_std else numpy.ones_like(mean)

    def transform(self, x):
        x, was_tensor = self._check(x, "transform")
        return _apply(x, was_tensor, self._shift, self._scale)

    def inverse_transform(self, z):
        """``x = z σ + μ``: back to the original units (e.g. to read predictions of a standardised target)."""
        z, was_tensor = self._check(z, "inverse_transform")
        return _apply(z, was_tensor, self._shift, self._scale, inverse=True)


Standardizer = StandardScaler


class MinMaxScaler(_Scaler):
    """Scale each feature to ``feature_range`` = (a, b): ``x' = (x - min) / (max - min) * (b - a) + a``.

    Attributes after ``fit``: ``data_min_``, ``data_max_``, ``data_range_``.
    ``clip=True`` clamps transformed values of unseen data into the range.
    """

    def __init__(self, feature_range=(0.0, 1.0), dim=0, clip: bool = False):
        low, high = feature_range
        if not low < high:
            raise ValueError(f"MinMaxScaler: feature_range minimum must be smaller than maximum, got {feature_range}")
        super().__init__(dim)
        self.feature_range = (float(low), float(high))
        self.clip = clip

    def _fit(self, array, dims):
        low, high = self.feature_range
        data_min = array.min(axis=dims, keepdims=True)
        data_max = array.max(axis=dims, keepdims=True)
        self.data_min_ = data_min.squeeze(axis=dims)
        self.data_max_ = data_max.squeeze(axis=dims)
        self.data_range_ = self.data_max_ - self.data_min_
        # x' = (x - min) * factor + a  with  factor = (b - a) / (max - min): a multiplication, as in
        # scikit-learn, so the ends of the range come out exact (4 * 63.75 = 255, not 4 / 0.0156… = 254.99998)
        self._shift = data_min
        self._scale = (high - low) / _nonzero_scale(data_max - data_min)

    def transform(self, x):
        x, was_tensor = self._check(x, "transform")
        out = _apply(x, was_tensor, self._shift, self._scale, offset=self.feature_range[0], divide=False)
        if self.clip:
            low, high = self.feature_range
            out = out.clamp(low, high) if was_tensor else backend.module_of(out).clip(out, low, high)
        return out

    def inverse_transform(self, scaled):
        scaled, was_tensor = self._check(scaled, "inverse_transform")
        return _apply(scaled, was_tensor, self._shift, self._scale, offset=self.feature_range[0], inverse=True,
                      divide=False)


def min_max_scale(x, feature_range=(0.0, 1.0), dim=None):
    """Min-max scale ``x`` in one call; ``dim=None`` takes min and max over the whole input (one image)."""
    array, _ = _as_array(x, "min_max_scale")
    if dim is None:
        dim = tuple(range(array.ndim))
    return MinMaxScaler(feature_range, dim=dim).fit_transform(x)


def normalize(tensor, mean, std, inplace: bool = False):
    """Per-channel ``(image[c] - mean[c]) / std[c]`` for images shaped (…, C, H, W), as torchvision's ``normalize``."""
    array, was_tensor = _as_array(tensor, "normalize")
    if array.dtype.kind != "f":
        raise TypeError(f"normalize: expected a floating point image, got {array.dtype}; scale it to [0, 1] first")
    if array.ndim < 3:
        raise ValueError(f"normalize: expected an image of shape (..., C, H, W), got shape {tuple(array.shape)}")
    xp = backend.module_of(array)
    mean = numpy.asarray(backend.to_numpy(mean.data) if isinstance(mean, Tensor) else mean, dtype=numpy.float64)
    std = numpy.asarray(backend.to_numpy(std.data) if isinstance(std, Tensor) else std, dtype=numpy.float64)
    mean, std = mean.reshape(-1), std.reshape(-1)
    channels = array.shape[-3]
    for name, values in (("mean", mean), ("std", std)):
        if values.size not in (1, channels):
            raise ValueError(f"normalize: {name} has {values.size} values for an image with {channels} channels")
    if numpy.any(std == 0):
        raise ValueError(f"normalize: std has a zero, which would divide by zero: {std}")
    shift = xp.asarray(mean.reshape(-1, 1, 1), dtype=array.dtype)
    scale = xp.asarray(std.reshape(-1, 1, 1), dtype=array.dtype)
    if not was_tensor:
        if inplace:
            array -= shift
            array /= scale
            return array
        return (array - shift) / scale
    if inplace:
        tensor._check_inplace("normalize(inplace=True)")
        tensor.data = (tensor.data - shift) / scale
        return tensor
    return (tensor - Tensor._wrap(shift)) / Tensor._wrap(scale)


def channel_statistics(images, channel_dim: int = 1):
    """Mean and (population) standard deviation of each channel, over every other dimension, as float64
    arrays: the numbers ``normalize`` needs (MNIST's are about 0.1307 and 0.3081)."""
    array, _ = _as_array(images, "channel_statistics")
    array = backend.to_numpy(array).astype(numpy.float64)
    channel_dim = _reduced_dims(channel_dim, array.ndim, "channel_statistics")[0]
    dims = tuple(d for d in range(array.ndim) if d != channel_dim)
    return array.mean(axis=dims), array.std(axis=dims)
