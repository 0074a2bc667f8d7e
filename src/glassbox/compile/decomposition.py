"""PCA and TruncatedSVD: a projection onto the fitted components.

    PCA            z = (x - mean)·Vᵀ, computed as x·Vᵀ - mean·Vᵀ as scikit-learn does;
                   whitened: z / √(explained variance)
    TruncatedSVD   z = x·Vᵀ

PCA's ``score_samples`` is the log-likelihood under probabilistic PCA, with
``P`` the precision matrix of the fitted Gaussian:

    log p(x) = -½ (x - mean)ᵀ P (x - mean) - ½ (F log 2π - log det P)
"""

from __future__ import annotations

import numpy

from glassbox.compile.linear import as_numbers
from glassbox.compile.operator import Operator
from glassbox.compile.registry import register


class Projection(Operator):
    fields = ("components", "offset", "scale", "mean", "precision", "log_constant")

    def __init__(self, components, offset, scale, mean=None, precision=None, log_constant=None):
        self.components = components  # (components, features)
        self.offset = offset  # (components,) subtracted after the product, or None
        self.scale = scale  # (components,) divided by at the end, or None
        self.mean, self.precision, self.log_constant = mean, precision, log_constant  # PCA's density
        self.methods = ("transform",) + (("score_samples",) if precision is not None else ())

    def score_samples(self, X):
        centred = as_numbers(X, self.components.dtype) - self.mean
        return -0.5 * (centred * (centred @ self.precision)).sum(axis=1) - self.log_constant

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
    precision = model.get_precision().astype(options.dtype)
    sign, log_determinant = numpy.linalg.slogdet(precision)
    log_determinant = log_determinant if sign > 0 else -numpy.inf
    log_constant = 0.5 * (model.n_features_in_ * numpy.log(2 * numpy.pi) - log_determinant)
    return Projection(components, offset[0], scale, numpy.asarray(model.mean_, dtype=options.dtype), precision,
                      float(log_constant))


@register("TruncatedSVD", family="decomposition")
def convert_truncated_svd(model, options):
    return Projection(numpy.asarray(model.components_, dtype=options.dtype), None, None)
