"""Link functions: how a classifier turns scores into probabilities, on any array module.

    logistic(s) = 1 / (1 + e^(-s))            binary models: P(class 1) = logistic(s)
    softmax(s)_k = e^(s_k - m) / Σ_j e^(s_j - m),  m = max_j s_j   (subtracting m changes nothing but overflow)

Both are written so that no exponential overflows: ``logistic`` only ever
exponentiates ``-|s|``.
"""

from __future__ import annotations

from glassbox import backend


def logistic(scores):
    xp = backend.module_of(scores)
    small = xp.exp(-xp.abs(scores))
    return xp.where(scores >= 0, 1.0 / (1.0 + small), small / (1.0 + small))


def softmax(scores):
    """Row-wise softmax of ``scores`` (n, classes), as scikit-learn's ``extmath.softmax``."""
    xp = backend.module_of(scores)
    shifted = xp.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def two_columns(positive):
    """[1 - p, p] for the probability ``p`` of the second class: shape (n,) → (n, 2)."""
    xp = backend.module_of(positive)
    return xp.stack([1.0 - positive, positive], axis=1)


def safe_log(probabilities):
    """log(p) with log(0) = -inf and no warning, as scikit-learn's ``predict_log_proba`` gives."""
    xp = backend.module_of(probabilities)
    positive = probabilities > 0
    return xp.where(positive, xp.log(xp.where(positive, probabilities, 1.0)), -xp.inf)
