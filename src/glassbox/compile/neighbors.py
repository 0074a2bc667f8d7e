"""k-nearest neighbours: distances to every training row, the k closest, a vote or an average.

    d(x, t) = (Σ_j |x_j - t_j|^p)^(1/p)   (p = 2 Euclidean, 1 Manhattan; p = ∞ Chebyshev: max_j |x_j - t_j|)
    weights: 1 (uniform) or 1/d (distance; an exact match takes all the weight)
    classifier  P(c | x) = Σ_{i ∈ kNN(x)} w_i [y_i = c] / Σ_i w_i        label = argmax
    regressor   y(x) = Σ_i w_i y_i / Σ_i w_i

Where scikit-learn searches a k-d or ball tree, the distances are computed from
the differences, exact as the tree's; where it uses brute force (many
features), Euclidean distances are expanded as ‖x‖² - 2x·t + ‖t‖² as
scikit-learn does, so the same neighbours are found. Ties go to the training
row that comes first.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.linear import as_numbers
from glassbox.compile.operator import Operator, take_labels
from glassbox.compile.registry import register, unsupported_option


class NearestNeighbors(Operator):
    """``targets``: class indices (classifier, with ``classes``) or values (regressor, ``classes`` None)."""

    fields = ("training", "targets", "classes", "neighbours", "power", "distance_weights", "expanded")

    def __init__(self, training, targets, classes, neighbours, power, distance_weights, expanded):
        self.training, self.targets, self.classes = training, targets, classes
        self.neighbours, self.power, self.distance_weights = int(neighbours), float(power), bool(distance_weights)
        self.expanded = bool(expanded)  # Euclidean distances as ‖x‖² - 2x·t + ‖t‖², as scikit-learn's brute force
        self.methods = ("predict", "predict_proba") if classes is not None else ("predict",)

    def _neighbours(self, X):
        """(indices (n, k), weights (n, k)) of the k nearest training rows."""
        X = as_numbers(X, self.training.dtype)
        xp = backend.module_of(X)
        if self.expanded:
            squared = (X * X).sum(axis=1)[:, None] - 2.0 * (X @ self.training.T) + (self.training**2).sum(axis=1)
            distance = xp.sqrt(xp.maximum(squared, 0.0))  # (n, m)
        else:
            distance = self._distances(X)
        order = xp.argsort(distance, axis=1, kind="stable")[:, : self.neighbours]
        return order, self._weights(order, distance)

    def _distances(self, X):
        """Minkowski distances (n, m) from the differences."""
        xp = backend.module_of(X)
        difference = xp.abs(X[:, None, :] - self.training[None, :, :])  # (n, m, features)
        if self.power == numpy.inf:
            distance = difference.max(axis=2)
        elif self.power == 2:
            distance = xp.sqrt((difference * difference).sum(axis=2))
        elif self.power == 1:
            distance = difference.sum(axis=2)
        else:
            distance = (difference**self.power).sum(axis=2) ** (1.0 / self.power)
        return distance

    def _weights(self, order, distance):
        xp = backend.module_of(distance)
        nearest = xp.take_along_axis(distance, order, axis=1)
        if not self.distance_weights:
            return xp.ones_like(nearest)
        exact = nearest == 0
        weights = 1.0 / xp.where(exact, 1.0, nearest)
        has_exact = exact.any(axis=1, keepdims=True)
        return xp.where(has_exact, exact.astype(weights.dtype), weights)

    def predict_proba(self, X):
        order, weights = self._neighbours(X)
        xp = backend.module_of(weights)
        labels = self.targets[order]  # (n, k)
        votes = xp.zeros((len(order), len(self.classes)), dtype=weights.dtype)
        rows = xp.arange(len(order))
        for position in range(self.neighbours):  # add the votes neighbour by neighbour, as scikit-learn does
            votes[rows, labels[:, position]] += weights[:, position]
        total = votes.sum(axis=1, keepdims=True)
        return votes / xp.where(total == 0, 1.0, total)

    def predict(self, X):
        if self.classes is not None:
            return take_labels(self.classes, self.predict_proba(X).argmax(axis=1))
        order, weights = self._neighbours(X)
        values = self.targets[order]  # (n, k) or (n, k, outputs)
        if values.ndim == 3:
            weights = weights[:, :, None]
        if self.distance_weights:
            return (values * weights).sum(axis=1) / weights.sum(axis=1)
        return values.mean(axis=1)

    def working_bytes_per_row(self) -> int:
        return 16 * self.training.size + 32 * len(self.training)


def _power(model) -> float:
    metric = model.effective_metric_
    parameters = model.effective_metric_params_ or {}
    if metric == "euclidean":
        return 2.0
    if metric in ("manhattan", "cityblock", "l1"):
        return 1.0
    if metric in ("chebyshev", "infinity"):
        return numpy.inf
    if metric == "minkowski" and parameters.get("w") is None:
        return float(parameters.get("p", model.p))
    raise unsupported_option(model, "metric", metric, ["euclidean", "manhattan", "chebyshev", "minkowski"])


def _expanded(model) -> bool:
    return model._fit_method == "brute" and _power(model) == 2.0


def _weighting(model) -> bool:
    if model.weights not in ("uniform", "distance"):
        raise unsupported_option(model, "weights", model.weights, ["uniform", "distance"])
    return model.weights == "distance"


@register("KNeighborsClassifier", family="neighbors", notes="weights uniform/distance; Minkowski metrics")
def convert_kneighbors_classifier(model, options):
    if numpy.ndim(model._y) != 1:
        raise unsupported_option(model, "outputs", model._y.shape[1], [1])
    return NearestNeighbors(numpy.asarray(model._fit_X, dtype=options.dtype), numpy.asarray(model._y, numpy.int64),
                            model.classes_, model.n_neighbors, _power(model), _weighting(model), _expanded(model))


@register("KNeighborsRegressor", family="neighbors", notes="weights uniform/distance; Minkowski metrics")
def convert_kneighbors_regressor(model, options):
    return NearestNeighbors(numpy.asarray(model._fit_X, dtype=options.dtype),
                            numpy.asarray(model._y, dtype=options.dtype), None, model.n_neighbors, _power(model),
                            _weighting(model), _expanded(model))
