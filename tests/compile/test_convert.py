"""convert and CompiledModel: inputs, chunking, threads, the methods the original has, and clear errors."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVC, LinearSVC

import glassbox.compile as gbc


@pytest.fixture(scope="module")
def forest(synthetic):
    X, y = synthetic["multiclass"]
    return RandomForestClassifier(10, max_depth=6, random_state=0).fit(X, y), X


def test_unsupported_model_names_it_and_lists_what_is_supported(synthetic):
    X, y = synthetic["binary"]
    with pytest.raises(gbc.UnsupportedModelError) as error:
        gbc.convert(SVC().fit(X, y))
    message = str(error.value)
    assert "sklearn.svm._classes.SVC" in message
    assert "RandomForestClassifier" in message and "LogisticRegression" in message
    with pytest.raises(gbc.UnsupportedModelError, match="no converter"):
        gbc.convert(object())


def test_unfitted_model_and_bad_options_are_refused(forest):
    with pytest.raises(ValueError, match="not fitted"):
        gbc.convert(LogisticRegression())
    model, _ = forest
    with pytest.raises(ValueError, match="strategy='fastest'"):
        gbc.convert(model, "fastest")
    with pytest.raises(ValueError, match="dtype='float16'"):
        gbc.convert(model, dtype="float16")
    with pytest.raises(ValueError, match="batch_size"):
        gbc.convert(model, batch_size=0)


def test_only_the_methods_of_the_original_exist(synthetic):
    X, y = synthetic["binary"]
    compiled = gbc.convert(LinearSVC().fit(X, y))
    assert hasattr(compiled, "decision_function") and hasattr(compiled, "predict")
    assert not hasattr(compiled, "predict_proba") and not hasattr(compiled, "transform")
    with pytest.raises(AttributeError, match="the compiled LinearSVC has no predict_proba"):
        compiled.predict_proba(X)


def test_wrong_shapes_are_refused(forest):
    model, X = forest
    compiled = gbc.convert(model)
    with pytest.raises(ValueError, match="X has 11 features, but the model was fitted with 12"):
        compiled.predict(X[:, :11])
    with pytest.raises(ValueError, match="expected a 2-D array"):
        compiled.predict(X[0])


@pytest.mark.parametrize("threads", [1, 2])
def test_chunks_and_threads_give_the_same_answers(forest, threads):
    """Any chunk size, in any number of threads, gives exactly the one-batch result."""
    model, X = forest
    whole = gbc.convert(model).predict_proba(X)
    for batch_size in (1, 7, 64):
        compiled = gbc.convert(model, batch_size=batch_size, n_threads=threads)
        assert compiled.rows_per_chunk() == batch_size
        np.testing.assert_array_equal(compiled.predict_proba(X), whole)
    np.testing.assert_array_equal(whole, model.predict_proba(X))


@pytest.mark.parametrize("threads", [1, 2])
def test_chunks_run_with_small_ufunc_buffers_and_restore_the_setting(forest, threads):
    """Every chunk, in the calling thread or a worker, sees NumPy's buffer size at SMALL_BUFFER; after the call
    the caller's own setting is back."""
    from glassbox.ufunc_buffers import SMALL_BUFFER

    model, X = forest
    compiled = gbc.convert(model, batch_size=16, n_threads=threads)
    seen = []
    method = compiled.operator.predict_proba

    def recording(chunk):
        seen.append(np.getbufsize())
        return method(chunk)

    compiled.operator.predict_proba = recording
    before = np.setbufsize(4096)
    try:
        np.testing.assert_array_equal(compiled.predict_proba(X), model.predict_proba(X))
        assert np.getbufsize() == 4096
    finally:
        np.setbufsize(before)
    assert len(seen) == -(-len(X) // 16) and set(seen) == {SMALL_BUFFER}


def test_memory_budget_bounds_the_chunk(forest):
    model, X = forest
    compiled = gbc.convert(model, memory_budget=1 << 16)
    per_row = compiled.operator.working_bytes_per_row()
    assert compiled.rows_per_chunk() == max(1, (1 << 16) // per_row)
    np.testing.assert_array_equal(compiled.predict(X), model.predict(X))


def test_lists_float32_and_integer_inputs(synthetic):
    X, y = synthetic["regression"]
    model = LinearRegression().fit(X, y)
    compiled = gbc.convert(model)
    np.testing.assert_allclose(compiled.predict(X.tolist()), model.predict(X), rtol=1e-12)
    np.testing.assert_allclose(compiled.predict(X.astype(np.float32)), model.predict(X.astype(np.float32)), rtol=1e-6)
    integers = np.round(X * 10).astype(np.int64)
    np.testing.assert_allclose(compiled.predict(integers), model.predict(integers), rtol=1e-12)


def test_string_class_labels(synthetic, same_as_sklearn):
    X, y = synthetic["multiclass"]
    labels = np.array(["ant", "bee", "cat", "dog"])[y]
    model = RandomForestClassifier(5, max_depth=4, random_state=0).fit(X, labels)
    compiled = gbc.convert(model)
    assert compiled.predict(X).dtype == model.predict(X).dtype
    same_as_sklearn(model, compiled, X)
