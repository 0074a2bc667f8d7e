"""LightGBM models compiled with every strategy equal LightGBM: labels identical, values within 1e-6.

The raw scores are compared for equality: the compiled trees take LightGBM's
branches and add the leaves in LightGBM's order, in float64.
"""

import numpy as np
import pytest

from booster_data import fit_classifiers, with_nans

lightgbm = pytest.importorskip("lightgbm")

import glassbox.compile as gbc  # noqa: E402
from glassbox.compile.registry import UnsupportedModelError  # noqa: E402

STRATEGIES = ["auto", "gemm", "tree_traversal", "perfect_tree_traversal"]
DEPTHS = [1, 3, 8, None]
QUIET = {"verbose": -1, "n_jobs": 1}


def size_for(depth):
    """max_depth and num_leaves for a depth limit (None: unlimited depth, many leaves)."""
    if depth is None:
        return {"max_depth": -1, "num_leaves": 48, "min_child_samples": 3}
    return {"max_depth": depth, "num_leaves": min(2**depth, 48), "min_child_samples": 3}


def assert_scores_equal(model, compiled, X):
    """The summed leaves are LightGBM's raw scores to the last bit."""
    booster = getattr(model, "booster_", model)
    scores = compiled.operator.raw(X)
    np.testing.assert_array_equal(scores[:, 0] if scores.shape[1] == 1 else scores, booster.predict(X, raw_score=True))


@pytest.fixture(scope="module")
def classifiers(synthetic):
    """(task, depth) -> (fitted LGBMClassifier, test rows with NaNs), fitted once for every strategy."""
    return fit_classifiers(
        lambda depth: lightgbm.LGBMClassifier(n_estimators=8, random_state=0, **size_for(depth), **QUIET),
        synthetic, DEPTHS)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_classifier_every_strategy_and_depth(classifiers, same_as_sklearn, task, strategy, depth):
    model, X = classifiers[task, depth]
    if depth is not None:
        assert max(tree["tree_structure"].get("split_index", -1) >= 0 for tree in
                   model.booster_.dump_model()["tree_info"])
    compiled = gbc.convert(model, strategy)
    if strategy != "auto":
        assert compiled.strategy == strategy
    assert same_as_sklearn(model, compiled, X) == ["predict", "predict_proba", "decision_function"]
    assert_scores_equal(model, compiled, X)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_regression_objectives(synthetic, same_as_sklearn, strategy):
    X, y = synthetic["regression"]
    X = with_nans(X, seed=2)
    positive = np.exp(y / np.abs(y).max())  # poisson, gamma and tweedie need positive targets
    for objective in ("regression", "regression_l1", "huber", "quantile", "poisson", "gamma", "tweedie"):
        target = positive if objective in ("poisson", "gamma", "tweedie") else y
        model = lightgbm.LGBMRegressor(objective=objective, n_estimators=8, num_leaves=15, **QUIET)
        model.fit(X[:300], target[:300])
        compiled = gbc.convert(model, strategy)
        same_as_sklearn(model, compiled, X[300:])
        assert_scores_equal(model, compiled, X[300:])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_bundled_datasets(bundled, same_as_sklearn, strategy):
    for name, estimator in (("breast_cancer", lightgbm.LGBMClassifier), ("wine", lightgbm.LGBMClassifier),
                            ("diabetes", lightgbm.LGBMRegressor)):
        X, y = bundled[name]
        model = estimator(n_estimators=10, num_leaves=15, random_state=0, **QUIET).fit(X, y)
        probes = with_nans(X, seed=3)
        same_as_sklearn(model, gbc.convert(model, strategy), probes)
        assert_scores_equal(model, gbc.convert(model, strategy), probes)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_missing_types_none_zero_nan(synthetic, strategy):
    """use_missing=False (NaN read as 0), zero_as_missing=True (zeros and NaN to the default side), NaN."""
    X, y = synthetic["binary"]
    X = np.concatenate([with_nans(X[:, :6], seed=4), X[:, 6:]], axis=1)  # the last six columns have no NaN
    X[np.random.default_rng(5).random(X.shape) < 0.15] = 0.0
    probes = np.concatenate([X, [[1e-36] * 12, [-1e-35] * 12, [2e-35] * 12, [-0.0] * 12]])
    for options in ({"use_missing": False}, {"zero_as_missing": True}, {}):
        model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=15, **options, **QUIET).fit(X, y)
        kinds = {node["missing_type"] for node in _split_nodes(model)}
        assert kinds == ({"None"} if "use_missing" in options else {"Zero"} if options else {"None", "NaN"})
        compiled = gbc.convert(model, strategy)
        np.testing.assert_array_equal(compiled.predict(probes), model.predict(probes))
        assert_scores_equal(model, compiled, probes)


def test_thresholds_compare_with_less_or_equal(synthetic):
    """A value exactly at a threshold goes left, the next float64 above it goes right, as in LightGBM."""
    X, y = synthetic["regression"]
    model = lightgbm.LGBMRegressor(n_estimators=5, num_leaves=8, **QUIET).fit(X, y)
    rows = []
    for node in _split_nodes(model):
        for value in (node["threshold"], np.nextafter(node["threshold"], np.inf),
                      np.nextafter(node["threshold"], -np.inf)):
            row = np.zeros(X.shape[1])
            row[node["split_feature"]] = value
            rows.append(row)
    rows = np.asarray(rows)
    for strategy in STRATEGIES[1:]:
        assert_scores_equal(model, gbc.convert(model, strategy), rows)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_categorical_splits(same_as_sklearn, strategy):
    rng = np.random.default_rng(0)
    categories = rng.integers(0, 12, size=800).astype(float)
    numeric = rng.standard_normal(800)
    X = np.stack([categories, numeric], axis=1)
    y = (np.isin(categories, [0, 4, 7, 9]) ^ (numeric > 0.5)).astype(int)
    X[::17, 0] = np.nan
    model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=8, min_data_per_group=5, cat_smooth=1,
                                    **QUIET).fit(X, y, categorical_feature=[0])
    assert any(node["decision_type"] == "==" for node in _split_nodes(model))
    # NaN, fractions (cast to int toward zero: -0.5 is category 0), negative, unknown and huge codes
    probes = np.concatenate([X[:100], [[np.nan, 0.1], [-0.5, 0.2], [0.0, 0.2], [4.9, 0.0], [-1.0, 1.0],
                                       [13.0, 1.0], [300.0, -1.0], [3e9, 0.3]]])
    compiled = gbc.convert(model, strategy)
    same_as_sklearn(model, compiled, probes)
    assert_scores_equal(model, compiled, probes)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_booster_and_random_forest_mode(synthetic, strategy):
    """A lightgbm.Booster from lightgbm.train: predict gives what Booster.predict gives; boosting="rf" averages."""
    for task, objective in (("binary", "binary"), ("multiclass", "multiclass"), ("regression", "regression")):
        X, y = synthetic[task]
        X = with_nans(X, seed=6)
        for extra in ({}, {"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.7}):
            parameters = {"objective": objective, "num_leaves": 8, "verbose": -1, "num_threads": 1, **extra}
            if task == "multiclass":
                parameters["num_class"] = 4
            booster = lightgbm.train(parameters, lightgbm.Dataset(X[:300], y[:300]), num_boost_round=6)
            compiled = gbc.convert(booster, strategy)
            assert not hasattr(compiled, "predict_proba")
            np.testing.assert_allclose(compiled.predict(X[300:]), booster.predict(X[300:]), rtol=1e-6, atol=1e-6)
            assert_scores_equal(booster, compiled, X[300:])


def test_single_leaf_trees(same_as_sklearn):
    """Trees that found no split (a constant target) are one leaf; every strategy handles them."""
    X = np.random.default_rng(0).standard_normal((50, 3))
    model = lightgbm.LGBMRegressor(n_estimators=3, **QUIET).fit(X, np.full(50, 2.5))
    for strategy in STRATEGIES:
        same_as_sklearn(model, gbc.convert(model, strategy), X)


def test_save_and_load(tmp_path, synthetic):
    X, y = synthetic["binary"]
    X = with_nans(X, seed=7)
    X[:, 0] = np.random.default_rng(8).integers(0, 5, len(X))
    X[::3, 1] = 0.0
    model = lightgbm.LGBMClassifier(n_estimators=5, num_leaves=8, zero_as_missing=True, min_data_per_group=5,
                                    **QUIET).fit(X, y, categorical_feature=[0])
    compiled = gbc.convert(model)
    compiled.save(tmp_path / "model.safetensors")
    loaded = gbc.load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), compiled.predict_proba(X))
    assert_scores_equal(model, loaded, X)
    # the link (a sigmoid) is NumPy's exp against LightGBM's C library's: equal to within an ulp or two
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-14, atol=0)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_unsupported_models_and_inputs(synthetic):
    X, y = synthetic["multiclass"]
    model = lightgbm.LGBMClassifier(objective="multiclassova", n_estimators=2, **QUIET).fit(X, y)
    with pytest.raises(UnsupportedModelError, match=r"LGBMClassifier with objective 'multiclassova.*binary"):
        gbc.convert(model)
    X, y = synthetic["regression"]
    model = lightgbm.LGBMRegressor(linear_tree=True, n_estimators=2, **QUIET).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="linear_tree=True"):
        gbc.convert(model)
    model = lightgbm.LGBMRegressor(n_estimators=2, **QUIET).fit(X, y)
    booster = gbc.convert(model.booster_)
    with pytest.raises(ValueError, match="X has 11 features, the booster was trained with 12"):
        booster.predict(X[:, :11])
    categories = np.random.default_rng(0).integers(0, 400, size=(2000, 1)).astype(float)
    model = lightgbm.LGBMRegressor(n_estimators=2, min_data_per_group=1, **QUIET).fit(
        categories, (categories[:, 0] > 300) * 1.0, categorical_feature=[0])
    with pytest.raises(UnsupportedModelError, match="category codes 0 to 255"):
        gbc.convert(model)


def test_early_stopping_and_dataframes(synthetic, same_as_sklearn):
    """predict uses the trees up to the best iteration; DataFrame columns are matched by name."""
    pandas = pytest.importorskip("pandas")
    X, y = synthetic["multiclass"]
    frame = pandas.DataFrame(with_nans(X, seed=9), columns=[f"f{index}" for index in range(X.shape[1])])
    model = lightgbm.LGBMClassifier(n_estimators=60, learning_rate=0.5, num_leaves=8, **QUIET)
    model.fit(frame[:200], y[:200], eval_X=(frame[200:300],), eval_y=(y[200:300],),
              callbacks=[lightgbm.early_stopping(2, verbose=False)])
    assert 0 < model.best_iteration_ < 60
    compiled = gbc.convert(model)
    same_as_sklearn(model, compiled, frame[300:])
    np.testing.assert_array_equal(compiled.predict(frame[frame.columns[::-1]]), model.predict(frame))


def test_pandas_categorical_columns_are_refused():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"code": pandas.Categorical(np.arange(200) % 5), "value": np.linspace(-1, 1, 200)})
    model = lightgbm.LGBMRegressor(n_estimators=2, min_data_per_group=5, **QUIET)
    model.fit(frame, np.isin(np.arange(200) % 5, [1, 3]) * 1.0)
    with pytest.raises(UnsupportedModelError, match="LGBMRegressor trained on pandas categorical columns"):
        gbc.convert(model)


def _split_nodes(model):
    booster = getattr(model, "booster_", model)
    stack = [tree["tree_structure"] for tree in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            yield node
            stack.extend((node["left_child"], node["right_child"]))
