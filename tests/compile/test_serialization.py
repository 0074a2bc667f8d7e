"""Compiled models saved as safetensors + JSON and loaded back give the same answers; no pickle involved."""

import json
import struct

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import glassbox.compile as gbc
from glassbox.serialization import FormatError


def round_trip(compiled, tmp_path):
    path = tmp_path / "model.safetensors"
    compiled.save(path)
    assert path.read_bytes()[:1] != b"\x80"  # not a pickle
    return gbc.load(path), path


@pytest.mark.parametrize("strategy", ["gemm", "tree_traversal", "perfect_tree_traversal"])
def test_tree_models_round_trip(synthetic, tmp_path, strategy):
    X, y = synthetic["multiclass"]
    labels = np.array(["a", "b", "c", "d"], dtype=object)[y]
    for model in (RandomForestClassifier(10, max_depth=5, random_state=0).fit(X, labels),
                  HistGradientBoostingClassifier(max_iter=5).fit(X, y), IsolationForest(n_estimators=10,
                                                                                      random_state=0).fit(X)):
        compiled = gbc.convert(model, strategy)
        loaded, _ = round_trip(compiled, tmp_path)
        assert loaded.strategy == strategy
        for method in ("predict", "predict_proba", "decision_function", "score_samples"):
            if hasattr(model, method):
                np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(compiled, method)(X))


def test_pipeline_with_strings_round_trips(tmp_path):
    data = np.array([["red", 1.0], ["blue", 2.0], ["red", 3.0], ["green", 0.5]], dtype=object)
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore", sparse_output=False), StandardScaler(),
                          LogisticRegression()).fit(data, [0, 1, 0, 1])
    loaded, _ = round_trip(gbc.convert(model), tmp_path)
    np.testing.assert_allclose(loaded.predict_proba(data), model.predict_proba(data), rtol=1e-12)


def test_nearest_neighbours_round_trip(bundled, tmp_path):
    X, y = bundled["iris"]
    model = KNeighborsClassifier(3).fit(X, y)
    loaded, _ = round_trip(gbc.convert(model), tmp_path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_the_file_is_plain_safetensors_and_names_only_operators(synthetic, tmp_path):
    X, y = synthetic["binary"]
    _, path = round_trip(gbc.convert(LogisticRegression().fit(X, y)), tmp_path)
    raw = path.read_bytes()
    header = json.loads(raw[8 : 8 + struct.unpack("<Q", raw[:8])[0]])
    tree = header["__metadata__"]["glassbox.tree"]
    assert "LinearClassifier" in tree


def test_a_file_naming_an_unknown_operator_is_refused(synthetic, tmp_path):
    X, y = synthetic["binary"]
    path = tmp_path / "model.safetensors"
    gbc.convert(LogisticRegression().fit(X, y)).save(path)
    raw = bytearray(path.read_bytes())
    position = raw.find(b"LinearClassifier")
    raw[position : position + len(b"LinearClassifier")] = b"os.system(whoami"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="unknown operator"):
        gbc.load(path)


def test_other_safetensors_files_are_refused(tmp_path):
    from glassbox import serialization

    path = tmp_path / "weights.safetensors"
    serialization.save({"weight": np.zeros(3)}, path)
    with pytest.raises(FormatError, match="not a compiled model"):
        gbc.load(path)
