"""XGBoost models compiled with every strategy equal XGBoost: labels identical, values within 1e-6.

The margins are compared for equality: the compiled trees take XGBoost's
branches and add the leaves in XGBoost's order, in float32, from its base margin.
"""

import json

import numpy as np
import pytest

from booster_data import fit_classifiers, with_nans

xgboost = pytest.importorskip("xgboost")

import glassbox.compile as gbc  # noqa: E402
from glassbox.compile.registry import UnsupportedModelError  # noqa: E402

STRATEGIES = ["auto", "gemm", "tree_traversal", "perfect_tree_traversal"]
DEPTHS = [1, 3, 8, None]
QUIET = {"n_jobs": 1}


def size_for(depth):
    """max_depth for a depth limit; None: no depth limit, trees grown leaf by leaf."""
    if depth is None:
        return {"max_depth": 0, "grow_policy": "lossguide", "max_leaves": 48}
    return {"max_depth": depth}


def assert_margins_equal(model, compiled, X):
    """The summed leaves are XGBoost's margins to the last bit."""
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    margins = compiled.operator.margin(X)
    expected = booster.predict(xgboost.DMatrix(X), output_margin=True, iteration_range=_range(model))
    np.testing.assert_array_equal(margins[:, 0] if margins.shape[1] == 1 else margins, expected)


def _range(model):
    try:
        return (0, model.best_iteration + 1) if hasattr(model, "get_booster") else (0, 0)
    except AttributeError:
        return (0, 0)


@pytest.fixture(scope="module")
def classifiers(synthetic):
    """(task, depth) -> (fitted XGBClassifier, test rows with NaNs), fitted once for every strategy."""
    return fit_classifiers(
        lambda depth: xgboost.XGBClassifier(n_estimators=8, random_state=0, **size_for(depth), **QUIET),
        synthetic, DEPTHS)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_classifier_every_strategy_and_depth(classifiers, same_as_sklearn, task, strategy, depth):
    model, X = classifiers[task, depth]
    compiled = gbc.convert(model, strategy)
    if strategy != "auto":
        assert compiled.strategy == strategy
    assert same_as_sklearn(model, compiled, X) == ["predict", "predict_proba"]
    assert_margins_equal(model, compiled, X)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_regression_objectives(synthetic, same_as_sklearn, strategy):
    X, y = synthetic["regression"]
    X = with_nans(X, seed=2)
    for objective in ("reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror", "count:poisson"):
        target = np.exp(y / np.abs(y).max()) if objective == "count:poisson" else y
        model = xgboost.XGBRegressor(objective=objective, n_estimators=8, max_depth=4, **QUIET)
        model.fit(X[:300], target[:300])
        compiled = gbc.convert(model, strategy)
        same_as_sklearn(model, compiled, X[300:])
        assert_margins_equal(model, compiled, X[300:])
        if objective != "count:poisson":  # the values are the margins, bit for bit
            np.testing.assert_array_equal(compiled.predict(X[300:]), model.predict(X[300:]))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_bundled_datasets(bundled, same_as_sklearn, strategy):
    for name, estimator in (("breast_cancer", xgboost.XGBClassifier), ("wine", xgboost.XGBClassifier),
                            ("diabetes", xgboost.XGBRegressor)):
        X, y = bundled[name]
        model = estimator(n_estimators=10, max_depth=4, random_state=0, **QUIET).fit(X, y)
        probes = with_nans(X, seed=3)
        compiled = gbc.convert(model, strategy)
        same_as_sklearn(model, compiled, probes)
        assert_margins_equal(model, compiled, probes)


def test_split_conditions_compare_with_less_than(synthetic):
    """x < c goes left: a value equal to c goes right, the float32 below c left, float64 values between round."""
    X, y = synthetic["regression"]
    model = xgboost.XGBRegressor(n_estimators=5, max_depth=3, **QUIET).fit(X, y)
    booster = model.get_booster()
    rows = []
    for tree in booster.get_dump(dump_format="json"):
        stack = [json.loads(tree)]
        while stack:
            node = stack.pop()
            if "children" not in node:
                continue
            stack.extend(node["children"])
            condition = np.float32(node["split_condition"])
            below = np.nextafter(condition, np.float32(-np.inf))
            # the float64 just below c rounds to c in float32 and goes right, like c itself
            for value in (condition, below, np.nextafter(condition, np.float32(np.inf)),
                          np.nextafter(np.float64(condition), -np.inf), (np.float64(condition) + below) / 2):
                row = np.zeros(X.shape[1])
                row[int(node["split"][1:])] = value
                rows.append(row)
    rows = np.asarray(rows)
    for strategy in STRATEGIES:
        compiled = gbc.convert(model, strategy)
        np.testing.assert_array_equal(compiled.predict(rows), model.predict(rows))
        assert_margins_equal(model, compiled, rows)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_booster_from_train(synthetic, strategy):
    """An xgboost.Booster: predict gives what Booster.predict gives on a DMatrix of the same rows."""
    for task, objective in (("binary", "binary:logistic"), ("multiclass", "multi:softprob"),
                            ("regression", "reg:squarederror")):
        X, y = synthetic[task]
        X = with_nans(X, seed=4)
        parameters = {"objective": objective, "max_depth": 4, "nthread": 1}
        if task == "multiclass":
            parameters["num_class"] = 4
        booster = xgboost.train(parameters, xgboost.DMatrix(X[:300], y[:300]), num_boost_round=6)
        compiled = gbc.convert(booster, strategy)
        assert not hasattr(compiled, "predict_proba")
        expected = booster.predict(xgboost.DMatrix(X[300:]))
        assert compiled.predict(X[300:]).shape == expected.shape
        np.testing.assert_allclose(compiled.predict(X[300:]), expected, rtol=1e-6, atol=1e-6)
        assert_margins_equal(booster, compiled, X[300:])


def test_early_stopping_and_parallel_trees(synthetic, same_as_sklearn):
    """predict uses the trees up to the best iteration; num_parallel_tree > 1 grows several trees per class."""
    X, y = synthetic["multiclass"]
    model = xgboost.XGBClassifier(n_estimators=40, max_depth=3, early_stopping_rounds=2, learning_rate=0.8,
                                  **QUIET)
    model.fit(X[:200], y[:200], eval_set=[(X[200:300], y[200:300])], verbose=False)
    assert model.best_iteration < 39
    same_as_sklearn(model, gbc.convert(model), X[300:])
    assert_margins_equal(model, gbc.convert(model), X[300:])
    model = xgboost.XGBClassifier(n_estimators=3, num_parallel_tree=4, subsample=0.7, colsample_bynode=0.7,
                                  max_depth=3, **QUIET).fit(X[:300], y[:300])
    same_as_sklearn(model, gbc.convert(model), X[300:])
    assert_margins_equal(model, gbc.convert(model), X[300:])


def test_save_and_load(tmp_path, synthetic):
    X, y = synthetic["multiclass"]
    X = with_nans(X, seed=5)
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=3, **QUIET).fit(X, y)
    gbc.convert(model).save(tmp_path / "model.safetensors")
    loaded = gbc.load(tmp_path / "model.safetensors")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_unsupported_models_and_inputs(synthetic):
    X, y = synthetic["regression"]
    model = xgboost.XGBRegressor(objective="reg:gamma", n_estimators=2, **QUIET).fit(X, np.abs(y) + 1)
    with pytest.raises(UnsupportedModelError, match=r"XGBRegressor with objective='reg:gamma'.*reg:squarederror"):
        gbc.convert(model)
    model = xgboost.XGBRegressor(booster="dart", n_estimators=2, **QUIET).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="XGBRegressor with booster='dart'"):
        gbc.convert(model)
    model = xgboost.XGBRegressor(missing=0.0, n_estimators=2, **QUIET).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="XGBRegressor with missing=0.0"):
        gbc.convert(model)
    categorical = X.copy()
    categorical[:, 0] = np.arange(len(X)) % 5
    booster = xgboost.train({"max_depth": 3, "nthread": 1}, xgboost.DMatrix(
        categorical, np.isin(categorical[:, 0], [1, 3]) * 10.0, feature_types=["c"] + ["q"] * (X.shape[1] - 1),
        enable_categorical=True), 3)
    with pytest.raises(UnsupportedModelError, match="categorical splits"):
        gbc.convert(booster)
    compiled = gbc.convert(xgboost.train({"nthread": 1}, xgboost.DMatrix(X, y), 2))
    with pytest.raises(ValueError, match="X has 11 features, the booster was trained with 12"):
        compiled.predict(X[:, :11])


def test_dataframe_with_feature_names(synthetic):
    pandas = pytest.importorskip("pandas")
    X, y = synthetic["binary"]
    frame = pandas.DataFrame(with_nans(X, seed=6), columns=[f"f{index}" for index in range(X.shape[1])])
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=3, **QUIET).fit(frame, y)
    compiled = gbc.convert(model)
    np.testing.assert_array_equal(compiled.predict(frame[frame.columns[::-1]]), model.predict(frame))
    np.testing.assert_allclose(compiled.predict_proba(frame), model.predict_proba(frame), rtol=1e-6, atol=1e-6)


def test_pandas_categorical_columns_are_refused():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"code": pandas.Categorical(np.arange(200) % 5), "value": np.linspace(-1, 1, 200)})
    model = xgboost.XGBRegressor(n_estimators=2, max_depth=2, enable_categorical=True, **QUIET)
    model.fit(frame, np.isin(np.arange(200) % 5, [1, 3]) * 1.0)
    with pytest.raises(UnsupportedModelError, match="XGBRegressor trained on pandas categorical columns"):
        gbc.convert(model)
