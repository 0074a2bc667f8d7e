"""check reports the largest difference and the share of changed labels, and catches a wrong compiled model."""

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

import glassbox.compile as gbc


def test_exact_model_reports_zero(synthetic):
    X, y = synthetic["multiclass"]
    model = LogisticRegression(max_iter=300).fit(X, y)
    report = gbc.check(model, gbc.convert(model), X)
    assert report.changed_label_share == 0.0
    assert report.max_difference < 1e-12
    assert {item.method for item in report.methods} == {"predict", "predict_proba", "predict_log_proba",
                                                        "decision_function"}
    assert "predict: 0.0000% of labels changed" in str(report)


def test_a_wrong_compiled_model_is_caught(synthetic):
    X, y = synthetic["multiclass"]
    model = LogisticRegression(max_iter=300).fit(X, y)
    compiled = gbc.convert(model)
    compiled.operator.bias = compiled.operator.bias + np.array([5.0, 0.0, 0.0, 0.0])  # push class 0 up
    report = gbc.check(model, compiled, X)
    assert report.changed_label_share > 0.1
    assert report.max_difference > 0.1


def test_regression_differences(synthetic):
    X, y = synthetic["regression"]
    model = Ridge().fit(X, y)
    compiled = gbc.convert(model)
    compiled.operator.bias = compiled.operator.bias + 0.25
    report = gbc.check(model, compiled, X)
    assert abs(report.max_difference - 0.25) < 1e-9
    assert report.changed_label_share == 0.0
