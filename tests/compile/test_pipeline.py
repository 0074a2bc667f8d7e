"""Pipelines and ColumnTransformers compiled end to end, on arrays and on DataFrames with string columns."""

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

import glassbox.compile as gbc

pandas = pytest.importorskip("pandas")


def mixed_frame(rows=300, seed=0):
    rng = np.random.default_rng(seed)
    frame = pandas.DataFrame({
        "age": rng.normal(40, 12, rows),
        "colour": rng.choice(["red", "green", "blue"], rows),
        "income": rng.lognormal(10, 1, rows),
        "size": rng.integers(0, 4, rows),
    })
    target = ((frame["colour"] == "red") ^ (frame["age"] > 45)).astype(int).to_numpy()
    return frame, target


@pytest.mark.parametrize("strategy", ["auto", "gemm", "tree_traversal", "perfect_tree_traversal"])
def test_scaler_one_hot_forest_pipeline_on_a_dataframe(same_as_sklearn, strategy):
    frame, target = mixed_frame()
    model = Pipeline([
        ("columns", ColumnTransformer([
            ("numbers", StandardScaler(), ["age", "income"]),
            ("categories", OneHotEncoder(handle_unknown="ignore"), ["colour", "size"]),
        ])),
        ("forest", RandomForestClassifier(10, max_depth=6, random_state=0)),
    ]).fit(frame, target)
    compiled = gbc.convert(model, strategy)
    same_as_sklearn(model, compiled, frame)
    # Columns in another order and an unseen category give the same answers as scikit-learn.
    shuffled = frame[["size", "income", "colour", "age"]].head(50).copy()
    shuffled.loc[shuffled.index[:3], "colour"] = "purple"
    same_as_sklearn(model, compiled, shuffled)


def test_pipeline_of_arrays_with_remainder_and_passthrough(bundled, same_as_sklearn):
    X, y = bundled["wine"]
    model = make_pipeline(
        ColumnTransformer([("scaled", MinMaxScaler(), [0, 1, 2]), ("dropped", "drop", [3])], remainder="passthrough"),
        "passthrough",
        StandardScaler(),
        PCA(6),
        LogisticRegression(max_iter=500),
    ).fit(X, y)
    same_as_sklearn(model, gbc.convert(model), X)


def test_pipeline_of_transformers_has_transform(bundled, same_as_sklearn):
    X, _ = bundled["diabetes"]
    model = make_pipeline(SimpleImputer(), StandardScaler(), PCA(3)).fit(X)
    compiled = gbc.convert(model)
    assert not hasattr(compiled, "predict")
    same_as_sklearn(model, compiled, X)


def test_numeric_dataframe_columns_are_matched_by_name(bundled, same_as_sklearn):
    X, y = bundled["iris"]
    frame = pandas.DataFrame(X, columns=["a", "b", "c", "d"])
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, y)
    same_as_sklearn(model, gbc.convert(model), frame)
    np.testing.assert_array_equal(gbc.convert(model).predict(frame[["d", "c", "b", "a"]]), model.predict(frame))
    with pytest.raises(ValueError, match="lacks the columns"):
        gbc.convert(model).predict(frame[["a", "b", "c"]])
