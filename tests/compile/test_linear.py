"""Linear models compiled: every method equal to scikit-learn on bundled and synthetic data."""

import numpy as np
import pytest
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    SGDClassifier,
)
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC, LinearSVR

import glassbox.compile as gbc


def scaled(X):
    return StandardScaler().fit_transform(X)


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer"])
def test_logistic_regression_on_bundled_data(bundled, same_as_sklearn, name):
    X, y = bundled[name]
    X = scaled(X)
    model = LogisticRegression(max_iter=300).fit(X, y)
    methods = same_as_sklearn(model, gbc.convert(model), X)
    assert "predict_proba" in methods and "decision_function" in methods


def test_logistic_regression_binary_and_multinomial_synthetic(synthetic, same_as_sklearn):
    for key in ("binary", "multiclass"):
        X, y = synthetic[key]
        model = LogisticRegression(max_iter=300).fit(X, y)
        same_as_sklearn(model, gbc.convert(model), X)


def test_one_vs_rest_logistic_regression(synthetic, same_as_sklearn):
    from sklearn.multiclass import OneVsRestClassifier

    X, y = synthetic["multiclass"]
    model = OneVsRestClassifier(LogisticRegression(max_iter=300)).fit(X, y)
    same_as_sklearn(model, gbc.convert(model), X)


@pytest.mark.parametrize("loss", ["hinge", "log_loss", "modified_huber"])
@pytest.mark.parametrize("key", ["binary", "multiclass"])
def test_sgd_classifier(synthetic, same_as_sklearn, loss, key):
    X, y = synthetic[key]
    model = SGDClassifier(loss=loss, random_state=0).fit(scaled(X), y)
    methods = same_as_sklearn(model, gbc.convert(model), scaled(X))
    assert ("predict_proba" in methods) == (loss != "hinge")


def test_linear_svc(bundled, synthetic, same_as_sklearn):
    for X, y in (synthetic["binary"], bundled["wine"]):
        model = LinearSVC(random_state=0).fit(scaled(X), y)
        compiled = gbc.convert(model)
        assert not hasattr(compiled, "predict_proba")
        same_as_sklearn(model, compiled, scaled(X))


@pytest.mark.parametrize("model", [LinearRegression(), Ridge(alpha=0.5), Lasso(alpha=0.1), ElasticNet(alpha=0.1),
                                   LinearSVR(random_state=0, max_iter=5000)], ids=lambda model: type(model).__name__)
def test_regressors(bundled, synthetic, same_as_sklearn, model):
    for X, y in (bundled["diabetes"], synthetic["regression"]):
        model.fit(X, y)
        same_as_sklearn(model, gbc.convert(model), X)


def test_multi_output_regression(synthetic, same_as_sklearn):
    X, y = synthetic["regression"]
    targets = np.stack([y, -2 * y + 1], axis=1)
    model = Ridge().fit(X, targets)
    assert gbc.convert(model).predict(X).shape == (len(X), 2)
    same_as_sklearn(model, gbc.convert(model), X)


def test_float32_option_stays_close(synthetic):
    X, y = synthetic["multiclass"]
    model = LogisticRegression(max_iter=300).fit(X, y)
    report = gbc.check(model, gbc.convert(model, dtype="float32"), X)
    assert report.max_difference < 1e-4
    assert report.changed_label_share < 0.01


def test_other_linear_estimators(synthetic, same_as_sklearn):
    from sklearn.linear_model import Perceptron, RidgeClassifier, SGDRegressor

    for key in ("binary", "multiclass"):
        X, y = synthetic[key]
        for model in (RidgeClassifier(), Perceptron(random_state=0)):
            same_as_sklearn(model.fit(scaled(X), y), gbc.convert(model), scaled(X))
    X, y = synthetic["regression"]
    model = SGDRegressor(random_state=0).fit(scaled(X), y)
    same_as_sklearn(model, gbc.convert(model), scaled(X))
