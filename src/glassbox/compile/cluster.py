"""KMeans: the nearest centre, and the distances to every centre.

    predict(x)   = argmin_k ‖c_k‖² - 2·x·c_k        (‖x‖² is the same for every k)
    transform(x) = √max(‖x‖² - 2·x·c_k + ‖c_k‖², 0)  (scikit-learn's euclidean_distances)
"""

from __future__ import annotations

from glassbox import backend
from glassbox.compile.linear import as_numbers
from glassbox.compile.operator import Operator
from glassbox.compile.registry import register


class NearestCentre(Operator):
    fields = ("centres",)
    methods = ("predict", "transform")

    def __init__(self, centres):
        self.centres = centres  # (clusters, features)

    def _products(self, X):
        X = as_numbers(X, self.centres.dtype)
        return X, X @ self.centres.T, (self.centres**2).sum(axis=1)

    def predict(self, X):
        _, products, centre_norms = self._products(X)
        return (centre_norms - 2.0 * products).argmin(axis=1).astype("int32")  # scikit-learn's label dtype

    def transform(self, X):
        X, products, centre_norms = self._products(X)
        xp = backend.module_of(X)
        squared = (X**2).sum(axis=1)[:, None] - 2.0 * products + centre_norms
        return xp.sqrt(xp.maximum(squared, 0.0))


@register("KMeans", "MiniBatchKMeans", family="cluster")
def convert_kmeans(model, options):
    return NearestCentre(model.cluster_centers_.astype(options.dtype))
