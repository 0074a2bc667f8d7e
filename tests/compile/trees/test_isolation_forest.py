"""IsolationForest compiled: scores, decisions and outlier labels equal scikit-learn with every strategy."""

import pytest
from sklearn.ensemble import IsolationForest

import glassbox.compile as gbc


@pytest.mark.parametrize("strategy", ["auto", "gemm", "tree_traversal", "perfect_tree_traversal"])
@pytest.mark.parametrize("name", ["breast_cancer", "diabetes"])
def test_isolation_forest(bundled, same_as_sklearn, strategy, name):
    X, _ = bundled[name]
    for options in ({}, {"max_features": 0.5}, {"contamination": 0.1, "max_samples": 64}):
        model = IsolationForest(n_estimators=10, random_state=0, **options).fit(X)
        methods = same_as_sklearn(model, gbc.convert(model, strategy), X)
        assert set(methods) == {"predict", "decision_function", "score_samples"}
