"""Tree ensembles compiled with every strategy equal scikit-learn: labels identical, values within 1e-6."""

import numpy as np
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import glassbox.compile as gbc

STRATEGIES = ["gemm", "tree_traversal", "perfect_tree_traversal"]
DEPTHS = [1, 3, 8, 12, None]


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_random_forest_classifier_every_strategy_and_depth(bundled, same_as_sklearn, strategy, depth):
    X, y = bundled["wine"]
    model = RandomForestClassifier(10, max_depth=depth, random_state=0).fit(X, y)
    compiled = gbc.convert(model, strategy)
    assert compiled.strategy == strategy
    same_as_sklearn(model, compiled, X)
    # Not just close: the sums run in scikit-learn's order, so the probabilities are the same numbers.
    np.testing.assert_array_equal(compiled.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_random_forest_regressor_every_strategy_and_depth(bundled, same_as_sklearn, strategy, depth):
    X, y = bundled["diabetes"]
    X, y = X[:150], y[:150]  # unlimited depth stays paddable (perfect_tree_traversal refuses 2^20-leaf trees)
    model = RandomForestRegressor(10, max_depth=depth, random_state=0).fit(X, y)
    same_as_sklearn(model, gbc.convert(model, strategy), X)


@pytest.mark.parametrize("name", ["digits", "iris", "breast_cancer"])
@pytest.mark.parametrize("strategy", ["auto", *STRATEGIES])
def test_forests_on_bundled_classification(bundled, same_as_sklearn, name, strategy):
    X, y = bundled[name]
    models = [RandomForestClassifier(10, max_depth=8, random_state=0), DecisionTreeClassifier(max_depth=12,
                                                                                              random_state=0)]
    if name == "iris":
        models.append(ExtraTreesClassifier(10, random_state=0))
    for model in models:
        model.fit(X, y)
        same_as_sklearn(model, gbc.convert(model, strategy), X)


@pytest.mark.parametrize("strategy", ["auto", *STRATEGIES])
def test_single_trees_and_extra_trees_regression(synthetic, same_as_sklearn, strategy):
    X, y = synthetic["regression"]
    for model in (DecisionTreeRegressor(max_depth=10, random_state=0), ExtraTreesRegressor(10, max_depth=12,
                                                                                          random_state=0)):
        same_as_sklearn(model.fit(X, y), gbc.convert(model, strategy), X)


def test_multi_output_forest_regressor(synthetic, same_as_sklearn):
    X, y = synthetic["regression"]
    model = RandomForestRegressor(10, max_depth=6, random_state=0).fit(X, np.stack([y, y**2], axis=1))
    assert gbc.convert(model).predict(X).shape == (len(X), 2)
    same_as_sklearn(model, gbc.convert(model), X)


def test_float32_features_compare_as_sklearn_does():
    """A value just above a threshold in float64 that rounds onto it in float32 goes left, as in scikit-learn."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = DecisionTreeClassifier(random_state=0).fit(X, [0, 0, 1, 1])
    threshold = model.tree_.threshold[0]  # 1.5
    probes = np.array([[threshold], [np.nextafter(threshold, 2)], [np.float64(np.float32(threshold)) + 1e-9],
                       [np.nextafter(np.float32(threshold), np.float32(2))]], dtype=np.float64)
    for strategy in STRATEGIES:
        np.testing.assert_array_equal(gbc.convert(model, strategy).predict(probes), model.predict(probes))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_missing_values_follow_the_learned_direction(synthetic, same_as_sklearn, strategy):
    X, y = synthetic["binary"]
    rng = np.random.default_rng(0)
    X = np.where(rng.random(X.shape) < 0.15, np.nan, X)
    for model in (RandomForestClassifier(10, max_depth=8, random_state=0), DecisionTreeRegressor(max_depth=8),
                  HistGradientBoostingClassifier(max_iter=15, random_state=0)):
        model.fit(X, y)
        same_as_sklearn(model, gbc.convert(model, strategy), X)
    # Infinite values go right everywhere, NaN by the learned side; both at once in one batch.
    probes = X[:20].copy()
    probes[:5, 0], probes[5:10, 1] = np.inf, -np.inf
    same_as_sklearn(model, gbc.convert(model, strategy), probes)


@pytest.fixture(scope="module")
def boosted(bundled, synthetic):
    """(model, X) pairs of fitted gradient boosting models, fitted once for every strategy's test."""
    pairs = []
    for key in ("binary", "multiclass"):
        X, y = synthetic[key]
        pairs.append((GradientBoostingClassifier(n_estimators=10, random_state=0).fit(X, y), X))
        pairs.append((HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y), X))
    X, y = synthetic["binary"]
    pairs.append((GradientBoostingClassifier(n_estimators=10, loss="exponential", random_state=0).fit(X, y), X))
    X, y = bundled["diabetes"]
    for loss in ("squared_error", "huber"):
        pairs.append((GradientBoostingRegressor(n_estimators=10, loss=loss, random_state=0).fit(X, y), X))
    for loss in ("squared_error", "poisson"):
        pairs.append((HistGradientBoostingRegressor(max_iter=10, loss=loss, random_state=0).fit(X, y), X))
    return pairs


@pytest.mark.parametrize("strategy", ["auto", *STRATEGIES])
def test_gradient_boosting(boosted, same_as_sklearn, strategy):
    for model, X in boosted:
        compiled = gbc.convert(model, strategy)
        if isinstance(model, HistGradientBoostingClassifier):
            assert not hasattr(compiled, "predict_log_proba")
        same_as_sklearn(model, compiled, X)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_hist_gradient_boosting_categorical_splits(same_as_sklearn, strategy):
    rng = np.random.default_rng(0)
    categories = rng.integers(0, 12, size=600).astype(float)
    numeric = rng.standard_normal(600)
    X = np.stack([categories, numeric], axis=1)
    y = (np.isin(categories, [1, 4, 7, 9]) ^ (numeric > 0.5)).astype(int)
    model = HistGradientBoostingClassifier(max_iter=10, categorical_features=[0], random_state=0).fit(X, y)
    probes = np.concatenate([X[:100], [[np.nan, 0.1], [13.0, 0.2], [-1.0, 0.0], [200.0, 1.0], [3.7, -1.0]]])
    same_as_sklearn(model, gbc.convert(model, strategy), probes)


def test_unbalanced_deep_tree(same_as_sklearn):
    """A chain-like tree of depth 39: gemm and tree_traversal agree; padding it to a perfect tree is refused."""
    X = np.arange(40, dtype=float)[:, None]
    y = np.arange(40) % 2
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    assert model.get_depth() >= 30
    for strategy in ("auto", "gemm", "tree_traversal"):
        same_as_sklearn(model, gbc.convert(model, strategy), X)
    assert gbc.convert(model).strategy != "perfect_tree_traversal"
    with pytest.raises(ValueError, match="perfect_tree_traversal would pad 1 trees of depth 39"):
        gbc.convert(model, "perfect_tree_traversal")
