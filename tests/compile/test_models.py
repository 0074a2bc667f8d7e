"""Neighbours, naive Bayes, MLPs, KMeans, PCA/TruncatedSVD and feature selectors compiled equal scikit-learn."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import glassbox.compile as gbc

CLASSIFICATION = ["digits", "iris", "wine", "breast_cancer"]


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("name", CLASSIFICATION)
def test_kneighbors_classifier(bundled, same_as_sklearn, weights, name):
    X, y = bundled[name]
    model = KNeighborsClassifier(5, weights=weights).fit(X[::2], y[::2])
    same_as_sklearn(model, gbc.convert(model), X[1::2])
    if model._fit_method != "brute":  # brute force's expanded distances make a training row ~1e-7 from itself
        same_as_sklearn(model, gbc.convert(model), X[:20:2])  # queries that are training rows: distance 0


@pytest.mark.parametrize("metric", [{"p": 1}, {"p": 2}, {"p": 3}, {"metric": "chebyshev"}], ids=str)
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_kneighbors_regressor(synthetic, same_as_sklearn, metric, weights):
    X, y = synthetic["regression"]  # continuous features: no two neighbours tie
    model = KNeighborsRegressor(4, weights=weights, **metric).fit(X[::2], y[::2])
    same_as_sklearn(model, gbc.convert(model), X[1::2])


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_naive_bayes(bundled, same_as_sklearn, name):
    X, y = bundled[name]
    for model in (GaussianNB(), MultinomialNB(), BernoulliNB(binarize=float(np.median(X)))):
        model.fit(X, y)
        same_as_sklearn(model, gbc.convert(model), X)


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_mlp_classifier(bundled, same_as_sklearn, name, activation):
    X, y = bundled[name]
    X = StandardScaler().fit_transform(X)
    model = MLPClassifier(hidden_layer_sizes=(16, 8), activation=activation, max_iter=10, random_state=0).fit(X, y)
    same_as_sklearn(model, gbc.convert(model), X)


def test_mlp_regressor(bundled, synthetic, same_as_sklearn):
    for X, y in (bundled["diabetes"], synthetic["regression"]):
        X = StandardScaler().fit_transform(X)
        model = MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(X, y)
        same_as_sklearn(model, gbc.convert(model), X)


@pytest.mark.parametrize("name", ["digits", "iris", "wine"])
def test_kmeans(bundled, same_as_sklearn, name):
    X, _ = bundled[name]
    model = KMeans(5, n_init=2, random_state=0).fit(X)
    same_as_sklearn(model, gbc.convert(model), X)


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "diabetes"])
def test_decomposition(bundled, same_as_sklearn, name):
    X, _ = bundled[name]
    for model in (PCA(5), PCA(5, whiten=True), PCA(0.9), TruncatedSVD(4, random_state=0)):
        model.fit(X)
        same_as_sklearn(model, gbc.convert(model), X)


def test_feature_selection(bundled, same_as_sklearn):
    X, y = bundled["digits"]
    for model in (SelectKBest(f_classif, k=10), VarianceThreshold(threshold=2.0)):
        model.fit(X, y)
        compiled = gbc.convert(model)
        same_as_sklearn(model, compiled, X)
        assert compiled.transform(X).shape[1] < X.shape[1]


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_kneighbors_regressor_on_diabetes(bundled, same_as_sklearn, weights):
    X, y = bundled["diabetes"]
    model = KNeighborsRegressor(5, weights=weights).fit(X[::2], y[::2])
    same_as_sklearn(model, gbc.convert(model), X[1::2])


def test_other_selectors_naive_bayes_and_clustering(bundled, same_as_sklearn):
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_selection import SelectFromModel, SelectPercentile
    from sklearn.linear_model import Ridge
    from sklearn.naive_bayes import ComplementNB

    X, y = bundled["wine"]
    for model in (SelectPercentile(f_classif, percentile=30), SelectFromModel(Ridge()),
                  ComplementNB(), MiniBatchKMeans(3, random_state=0, n_init=2)):
        model.fit(X, y)
        same_as_sklearn(model, gbc.convert(model), X)
