"""Naive Bayes: a joint log-likelihood per class, then Bayes' rule.

    Gaussian      jll_k = log π_k - ½ Σ_j log(2π σ²_kj) - ½ Σ_j (x_j - μ_kj)² / σ²_kj
    Multinomial   jll_k = log π_k + Σ_j x_j · log p_kj
    Bernoulli     jll_k = log π_k + Σ_j log(1 - p_kj) + Σ_j b_j · (log p_kj - log(1 - p_kj)),  b = [x > t]
    log P(k | x) = jll_k - log Σ_k' e^(jll_k')
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.linear import as_numbers
from glassbox.compile.operator import Operator, take_labels
from glassbox.compile.registry import register

METHODS = ("predict", "predict_proba", "predict_log_proba")


class NaiveBayes(Operator):
    """``means``/``variances`` set: Gaussian; otherwise jll = [x > binarize]·Wᵀ + b (or x·Wᵀ + b)."""

    fields = ("classes", "weight", "bias", "means", "variances", "binarize")
    methods = METHODS

    def __init__(self, classes, weight, bias, means, variances, binarize):
        self.classes, self.weight, self.bias = classes, weight, bias
        self.means, self.variances, self.binarize = means, variances, binarize

    def joint_log_likelihood(self, X):
        X = as_numbers(X, self.bias.dtype)
        if self.means is not None:
            squared = ((X[:, None, :] - self.means[None]) ** 2 / self.variances[None]).sum(axis=2)  # (n, classes)
            return self.bias - 0.5 * squared
        if self.binarize is not None:
            X = (X > self.binarize).astype(X.dtype)
        return X @ self.weight.T + self.bias

    def predict_log_proba(self, X):
        likelihood = self.joint_log_likelihood(X)
        xp = backend.module_of(likelihood)
        largest = likelihood.max(axis=1, keepdims=True)
        return likelihood - (largest + xp.log(xp.exp(likelihood - largest).sum(axis=1, keepdims=True)))

    def predict_proba(self, X):
        log_probability = self.predict_log_proba(X)
        return backend.module_of(log_probability).exp(log_probability)

    def predict(self, X):
        return take_labels(self.classes, self.joint_log_likelihood(X).argmax(axis=1))

    def working_bytes_per_row(self) -> int:
        return 1024 + (0 if self.means is None else 8 * self.means.size)


@register("GaussianNB", family="naive Bayes")
def convert_gaussian_nb(model, options):
    variances = numpy.asarray(model.var_, dtype=options.dtype)
    # log π_k - ½ Σ_j log(2π σ²_kj), per class in the same order of operations as scikit-learn
    bias = numpy.array([numpy.log(model.class_prior_[k]) + -0.5 * numpy.sum(numpy.log(2.0 * numpy.pi * model.var_[k]))
                        for k in range(len(model.classes_))], dtype=options.dtype)
    return NaiveBayes(model.classes_, None, bias, numpy.asarray(model.theta_, dtype=options.dtype), variances, None)


@register("MultinomialNB", "ComplementNB", family="naive Bayes")
def convert_multinomial_nb(model, options):
    weight = numpy.asarray(model.feature_log_prob_, dtype=options.dtype)
    bias = numpy.asarray(model.class_log_prior_, dtype=options.dtype)
    if type(model).__name__ == "ComplementNB" and len(model.classes_) > 1:
        bias = numpy.zeros_like(bias)  # ComplementNB adds the prior only when there is a single class
    return NaiveBayes(model.classes_, weight, bias, None, None, None)


@register("BernoulliNB", family="naive Bayes")
def convert_bernoulli_nb(model, options):
    log_p = numpy.asarray(model.feature_log_prob_, dtype=numpy.float64)
    log_not_p = numpy.log(1 - numpy.exp(log_p))
    weight = (log_p - log_not_p).astype(options.dtype)
    bias = (model.class_log_prior_ + log_not_p.sum(axis=1)).astype(options.dtype)
    return NaiveBayes(model.classes_, weight, bias, None, None, model.binarize)
