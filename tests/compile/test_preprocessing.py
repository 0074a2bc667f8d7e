"""Scalers, Normalizer, Binarizer, SimpleImputer and PolynomialFeatures compiled equal scikit-learn."""

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import (
    Binarizer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

import glassbox.compile as gbc

TRANSFORMERS = [
    StandardScaler(), StandardScaler(with_mean=False), StandardScaler(with_std=False), MinMaxScaler(),
    MinMaxScaler(feature_range=(-2, 3), clip=True), MaxAbsScaler(), RobustScaler(), RobustScaler(with_centering=False),
    Normalizer(), Normalizer(norm="l1"), Normalizer(norm="max"), Binarizer(threshold=0.3),
    PolynomialFeatures(), PolynomialFeatures(degree=3), PolynomialFeatures(degree=3, interaction_only=True),
    PolynomialFeatures(degree=2, include_bias=False),
]


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
@pytest.mark.parametrize("name", ["iris", "wine", "diabetes"])
def test_transformers_on_bundled_data(bundled, same_as_sklearn, transformer, name):
    X, _ = bundled[name]
    transformer.fit(X)
    same_as_sklearn(transformer, gbc.convert(transformer), X)
    # New data outside the fitted range (clipping, unseen magnitudes) and a zero row for Normalizer.
    probes = np.concatenate([X[:10] * 3 - 1, np.zeros((1, X.shape[1]))])
    same_as_sklearn(transformer, gbc.convert(transformer), probes)


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
def test_simple_imputer(synthetic, same_as_sklearn, strategy):
    X, _ = synthetic["regression"]
    rng = np.random.default_rng(0)
    X = np.where(rng.random(X.shape) < 0.2, np.nan, X)
    X[:, 3] = np.nan  # an empty column: dropped, as scikit-learn does
    imputer = SimpleImputer(strategy=strategy, fill_value=7.0).fit(X)
    compiled = gbc.convert(imputer)
    same_as_sklearn(imputer, compiled, X)
    kept = SimpleImputer(strategy=strategy, keep_empty_features=True).fit(X)
    same_as_sklearn(kept, gbc.convert(kept), X)


def test_simple_imputer_with_a_number_as_missing(same_as_sklearn):
    X = np.array([[1.0, -1.0], [-1.0, 4.0], [3.0, 5.0], [7.0, -1.0]])
    imputer = SimpleImputer(missing_values=-1.0, strategy="mean").fit(X)
    same_as_sklearn(imputer, gbc.convert(imputer), X)


def test_simple_imputer_with_indicator_is_refused():
    imputer = SimpleImputer(add_indicator=True).fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(gbc.UnsupportedModelError, match="SimpleImputer with add_indicator=True"):
        gbc.convert(imputer)
