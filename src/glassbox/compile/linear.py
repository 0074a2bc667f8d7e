"""Linear models: one matrix product, then the model's link.

    scores = X·Wᵀ + b                        (n, outputs)
    regression              y = scores
    binary classifier       label = classes[scores > 0],  P(class 1) = logistic(scores)
    multinomial             label = classes[argmax scores], P = softmax(scores)
    one-vs-rest             P_k = logistic(scores_k) / Σ_j logistic(scores_j)
    modified Huber (SGD)    P_k = (clip(scores_k, -1, 1) + 1) / 2, normalised over the classes
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile import link
from glassbox.compile.operator import Operator, take_labels
from glassbox.compile.registry import register


def as_numbers(X, dtype):
    """``X`` as a float array of ``dtype`` (object arrays from DataFrames with mixed columns included)."""
    return X.astype(dtype, copy=False)


class LinearRegressor(Operator):
    fields = ("weight", "bias", "single_output")
    methods = ("predict",)

    def __init__(self, weight, bias, single_output):
        self.weight = weight  # (outputs, features)
        self.bias = bias  # (outputs,)
        self.single_output = bool(single_output)

    def predict(self, X):
        scores = as_numbers(X, self.weight.dtype) @ self.weight.T + self.bias
        return scores[:, 0] if self.single_output else scores


class LinearClassifier(Operator):
    """``probability`` is None, "logistic", "softmax", "one_vs_rest" or "modified_huber"."""

    fields = ("weight", "bias", "classes", "probability")

    def __init__(self, weight, bias, classes, probability):
        self.weight, self.bias, self.classes, self.probability = weight, bias, classes, probability
        methods = ("predict", "decision_function")
        self.methods = methods + (("predict_proba", "predict_log_proba") if probability else ())

    def decision_function(self, X):
        scores = as_numbers(X, self.weight.dtype) @ self.weight.T + self.bias
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return take_labels(self.classes, (scores > 0).astype(numpy.int64))
        return take_labels(self.classes, scores.argmax(axis=1))

    def predict_proba(self, X):
        scores = self.decision_function(X)
        xp = backend.module_of(scores)
        if self.probability == "softmax" and scores.ndim == 2:
            return link.softmax(scores)
        if self.probability == "modified_huber":
            positive = (xp.clip(scores, -1.0, 1.0) + 1.0) / 2.0
            if scores.ndim == 1:
                return link.two_columns(positive)
            total = positive.sum(axis=1, keepdims=True)
            # A row where every class scores -1 or less gets equal probabilities, as in scikit-learn.
            return xp.where(total == 0, 1.0 / positive.shape[1], positive / xp.where(total == 0, 1.0, total))
        probability = link.logistic(scores)
        if scores.ndim == 1:
            return link.two_columns(probability)
        return probability / probability.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        return link.safe_log(self.predict_proba(X))  # scikit-learn's log of the probabilities, -inf included


def _weights(model, options):
    weight = numpy.atleast_2d(numpy.asarray(model.coef_, dtype=options.dtype))
    bias = numpy.broadcast_to(numpy.asarray(model.intercept_, dtype=options.dtype), (weight.shape[0],)).copy()
    return weight, bias


@register("LinearRegression", "Ridge", "Lasso", "ElasticNet", "LinearSVR", "SGDRegressor", family="linear")
def convert_linear_regressor(model, options):
    weight, bias = _weights(model, options)
    return LinearRegressor(weight, bias, numpy.ndim(model.coef_) == 1)


@register("LogisticRegression", family="linear", notes="binary and multinomial")
def convert_logistic_regression(model, options):
    weight, bias = _weights(model, options)
    probability = "logistic" if len(model.classes_) <= 2 else "softmax"
    return LinearClassifier(weight, bias, model.classes_, probability)


@register("SGDClassifier", family="linear", notes="every loss; predict_proba for log_loss and modified_huber")
def convert_sgd_classifier(model, options):
    weight, bias = _weights(model, options)
    probability = {"log_loss": "one_vs_rest", "modified_huber": "modified_huber"}.get(model.loss)
    if probability == "one_vs_rest" and weight.shape[0] == 1:
        probability = "logistic"
    return LinearClassifier(weight, bias, model.classes_, probability)


@register("LinearSVC", "RidgeClassifier", "Perceptron", family="linear")
def convert_linear_classifier(model, options):
    weight, bias = _weights(model, options)
    return LinearClassifier(weight, bias, model.classes_, None)
