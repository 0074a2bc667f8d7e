"""Image transforms and data augmentation, composable and seeded.

The notes' augmentation makes more training images from each one — flipped,
shifted, zoomed, rotated, cropped — so a CNN learns what an object is rather
than where its pixels sit. Each transform takes one image (C, H, W) (a glassbox
Tensor or a NumPy array; ``ToTensor`` also takes (H, W) and (H, W, C) arrays)
and returns the same kind of thing. Random choices come from glassbox's
generator, so ``gb.manual_seed(n)`` repeats them.

Geometric transforms map each output pixel back to the input (inverse mapping)
and sample it with bilinear interpolation; pixels that fall outside get ``fill``.
"""

from __future__ import annotations

import math

import numpy

from glassbox import random as gb_random
from glassbox.tensor import Tensor


def _as_array(image):
    """(array, was_tensor) for an image of shape (C, H, W)."""
    if isinstance(image, Tensor):
        return image.detach().numpy(), True
    array = numpy.asarray(image)
    if array.ndim != 3:
        raise ValueError(f"expected an image of shape (C, H, W), got shape {array.shape}")
    return array, False


def _like(array, was_tensor):
    return Tensor(numpy.ascontiguousarray(array)) if was_tensor else array


def _uniform(low: float, high: float) -> float:
    return float(gb_random.generator("cpu").uniform(low, high))


class Compose:
    """Apply transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor:
    """An image array → float32 tensor (C, H, W); uint8 values are scaled from [0, 255] to [0, 1].

    (H, W) gets one channel; (H, W, C) with C in 1..4 is moved to channels-first, as torchvision does.
    """

    def __call__(self, image):
        if isinstance(image, Tensor):
            return image.float()
        array = numpy.asarray(image)
        if array.ndim == 2:
            array = array[None]
        elif array.ndim == 3 and array.shape[-1] in (1, 2, 3, 4) and array.shape[0] not in (1, 2, 3, 4):
            array = array.transpose(2, 0, 1)
        elif array.ndim != 3:
            raise ValueError(f"ToTensor: expected (H, W), (H, W, C) or (C, H, W), got shape {array.shape}")
        scale = 255.0 if array.dtype == numpy.uint8 else 1.0
        return Tensor(numpy.ascontiguousarray(array, dtype=numpy.float32) / scale)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean) / std per channel (``glassbox.data.preprocessing.normalize`` as a transform)."""

    def __init__(self, mean, std):
        self.mean, self.std = list(numpy.ravel(mean)), list(numpy.ravel(std))
        if 0 in self.std:
            raise ValueError("Normalize: std must not contain zeros")

    def __call__(self, image):
        from glassbox.data.preprocessing import normalize

        return normalize(image, self.mean, self.std)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class _RandomFlip:
    axis = 2  # the image axis reversed: 2 for left-right, 1 for up-down

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, image):
        if _uniform(0, 1) >= self.p:
            return image
        array, was_tensor = _as_array(image)
        return _like(numpy.flip(array, axis=self.axis), was_tensor)

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    axis = 2


class RandomVerticalFlip(_RandomFlip):
    axis = 1


class RandomCrop:
    """Pad by ``padding`` pixels on each side (with ``fill``), then cut a random ``size`` window."""

    def __init__(self, size, padding: int = 0, fill: float = 0.0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding, self.fill = padding, fill

    def __call__(self, image):
        array, was_tensor = _as_array(image)
        if self.padding:
            p = self.padding
            array = numpy.pad(array, ((0, 0), (p, p), (p, p)), constant_values=self.fill)
        height, width = self.size
        if array.shape[1] < height or array.shape[2] < width:
            raise ValueError(f"RandomCrop: crop {self.size} is larger than the (padded) image {array.shape[1:]}")
        rng = gb_random.generator("cpu")
        top = int(rng.integers(0, array.shape[1] - height + 1))
        left = int(rng.integers(0, array.shape[2] - width + 1))
        return _like(array[:, top:top + height, left:left + width], was_tensor)

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def affine(image, angle: float = 0.0, translate=(0.0, 0.0), scale: float = 1.0, fill: float = 0.0):
    """Rotate by ``angle`` degrees (counter-clockwise) and zoom by ``scale`` about the centre, then shift by
    ``translate`` = (dx, dy) pixels. Each output pixel (x, y) samples the input at the inverse map:

        [x_in, y_in] = R(-angle) · ([x, y] - centre - t) / scale + centre      (bilinear between pixels)
    """
    array, was_tensor = _as_array(image)
    channels, height, width = array.shape
    centre_y, centre_x = (height - 1) / 2, (width - 1) / 2
    ys, xs = numpy.mgrid[0:height, 0:width].astype(numpy.float64)
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    dx, dy = xs - centre_x - translate[0], ys - centre_y - translate[1]
    # image rows grow downwards, so a counter-clockwise turn on screen is clockwise in (x, y) coordinates
    source_x = (cos * dx - sin * dy) / scale + centre_x
    source_y = (sin * dx + cos * dy) / scale + centre_y
    return _like(_bilinear(array, source_y, source_x, fill), was_tensor)


def _bilinear(array, source_y, source_x, fill):
    channels, height, width = array.shape
    y0, x0 = numpy.floor(source_y).astype(numpy.int64), numpy.floor(source_x).astype(numpy.int64)
    wy, wx = source_y - y0, source_x - x0
    out = numpy.zeros((channels,) + source_y.shape, dtype=numpy.float64)
    for oy, ox, weight in ((0, 0, (1 - wy) * (1 - wx)), (0, 1, (1 - wy) * wx),
                           (1, 0, wy * (1 - wx)), (1, 1, wy * wx)):
        yy, xx = y0 + oy, x0 + ox
        inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        values = numpy.where(inside, array[:, yy.clip(0, height - 1), xx.clip(0, width - 1)], fill)
        out += weight * values
    return out.astype(array.dtype if array.dtype.kind == "f" else numpy.float32)


class RandomAffine:
    """Random rotation (±degrees), shift (a fraction of width/height), and zoom (a scale range) together."""

    def __init__(self, degrees=0.0, translate=None, scale=None, fill: float = 0.0):
        self.degrees = (-degrees, degrees) if isinstance(degrees, int | float) else tuple(degrees)
        self.translate, self.scale, self.fill = translate, scale, fill

    def __call__(self, image):
        array, _ = _as_array(image)
        angle = _uniform(*self.degrees) if self.degrees != (0, 0) else 0.0
        shift = (0.0, 0.0)
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * array.shape[2], self.translate[1] * array.shape[1]
            shift = (round(_uniform(-max_dx, max_dx)), round(_uniform(-max_dy, max_dy)))
        zoom = _uniform(*self.scale) if self.scale is not None else 1.0
        return affine(image, angle, shift, zoom, self.fill)

    def __repr__(self):
        return f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale})"


def RandomRotation(degrees, fill: float = 0.0) -> RandomAffine:  # noqa: N802  (a transform class name)
    """Rotate by a random angle in [-degrees, degrees]."""
    return RandomAffine(degrees=degrees, fill=fill)


def RandomShift(fraction_x: float, fraction_y: float, fill: float = 0.0) -> RandomAffine:  # noqa: N802
    """Shift by up to a fraction of the width and height (Keras's width/height_shift_range)."""
    return RandomAffine(translate=(fraction_x, fraction_y), fill=fill)


def RandomZoom(low: float, high: float, fill: float = 0.0) -> RandomAffine:  # noqa: N802
    """Zoom by a random factor in [low, high] (above 1 zooms in)."""
    return RandomAffine(scale=(low, high), fill=fill)
