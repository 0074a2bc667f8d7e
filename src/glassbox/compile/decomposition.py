"""PCA and TruncatedSVD: a projection onto the fitted components.

    PCA            z = (x - mean)·Vᵀ, computed as x·Vᵀ - mean·Vᵀ as scikit-learn does;
                   whitened: z / √(explained variance)
    TruncatedSVD   z = x·Vᵀ
"""

from __future__ import annotations

import numpy

from glassbox.compile.linear import as_numbers
from glassbox.compile.operator import Operator
from glassbox.compile.registry import register


class Projection(Operator):
    fields = ("components", "offset", "scale")
    methods = ("transform",)

    def __init__(self, components, offset, scale):
        self.components = components  # (components, features)
        self.offset = offset  # (components,) subtracted after the product, or None
        self.scale = scale  # (components,) divided by at the end, or None

    def transform(self, X):
        projected = as_numbers(X, self.components.dtype) @ self.components.T
        if self.offset is not None:
            projected -= self.offset
        if self.scale is not None:
            projected /= self.scale
        return projected


@register("PCA", family="decomposition", notes="whiten=True included")
def convert_pca(model, options):
    components = numpy.asarray(model.components_, dtype=options.dtype)
    offset = numpy.asarray(model.mean_, dtype=options.dtype).reshape(1, -1) @ components.T
    scale = None
    if model.whiten:
        scale = numpy.sqrt(numpy.asarray(model.explained_variance_, dtype=options.dtype))
        scale[scale < numpy.finfo(scale.dtype).eps] = numpy.finfo(scale.dtype).eps
    return Projection(components, offset[0], scale)


@register("TruncatedSVD", family="decomposition")
def convert_truncated_svd(model, options):
    return Projection(numpy.asarray(model.components_, dtype=options.dtype), None, None)
