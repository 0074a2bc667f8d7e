"""Data for the tests of the LightGBM and XGBoost converters: NaNs in seeded places, classifiers fitted once."""

import numpy as np


def with_nans(X, share=0.15, seed=0):
    """A float64 copy of ``X`` with a seeded share of its values replaced by NaN."""
    X = np.array(X, dtype=np.float64)
    X[np.random.default_rng(seed).random(X.shape) < share] = np.nan
    return X


def fit_classifiers(make_classifier, synthetic, depths):
    """(task, depth) -> (classifier fitted on 300 rows with NaNs, the other rows): fitted once, used by every
    strategy. ``make_classifier(depth)`` returns an unfitted classifier limited to that depth."""
    fitted = {}
    for task in ("binary", "multiclass"):
        X, y = synthetic[task]
        X = with_nans(X, seed=1)
        for depth in depths:
            fitted[task, depth] = (make_classifier(depth).fit(X[:300], y[:300]), X[300:])
    return fitted
