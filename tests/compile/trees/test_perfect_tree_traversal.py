"""PerfectTrees: the row-by-row first levels and the per-sample lookups give scikit-learn's sums exactly."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

import glassbox.compile as gbc
from glassbox.compile.trees import perfect_tree_traversal
from glassbox.compile.trees.structure import tree_blocks


def _summed(compiled, X):
    """The ordered sum of the trees' outputs, as the ensemble computes it."""
    ensemble = compiled.operator
    return ensemble.total(X)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1500, 6))
    y = X[:, 0] * 2 + np.sin(3 * X[:, 1]) + X[:, 2] * X[:, 3] + rng.standard_normal(1500) * 0.1
    return X, y


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("dense_levels", [0, 1, 2, 3, 4])
def test_every_split_between_row_by_row_and_lookup_levels(data, monkeypatch, depth, dense_levels):
    """Each number of row-by-row levels, with lookups after them, gives the same sums as scikit-learn."""
    monkeypatch.setattr(perfect_tree_traversal, "DENSE_LEVELS", dense_levels)
    X, y = data
    model = RandomForestRegressor(12, max_depth=depth, max_features=0.5, random_state=0).fit(X, y)
    compiled = gbc.convert(model, "perfect_tree_traversal")
    expected = model.predict(X)
    np.testing.assert_array_equal(compiled.predict(X), expected)


def test_several_blocks_of_trees_of_even_sizes(data):
    """1500 samples per chunk put at most 87 trees in a block: 100 trees are two blocks of 50, not 87 and 13."""
    X, y = data
    assert tree_blocks(100, len(X)) == [(0, 50), (50, 100)]
    model = RandomForestRegressor(100, max_depth=5, max_features=0.5, random_state=0).fit(X[:300], y[:300])
    compiled = gbc.convert(model, "perfect_tree_traversal", batch_size=len(X))
    np.testing.assert_array_equal(compiled.predict(X), model.predict(X))
    traversal = gbc.convert(model, "tree_traversal", batch_size=len(X))
    np.testing.assert_array_equal(_summed(compiled, X), _summed(traversal, X))


def test_float64_features_use_the_unpacked_lookups(data):
    """Histogram gradient boosting compares float64 values: the lookups read column and threshold separately."""
    X, y = data
    X = X.copy()
    X[::7, 1] = np.nan  # missing values go to the learned side
    model = HistGradientBoostingRegressor(max_iter=8, max_depth=6, random_state=0).fit(X, y)
    compiled = gbc.convert(model, "perfect_tree_traversal")
    assert compiled.operator.space.dtype == "float64"
    np.testing.assert_allclose(compiled.predict(X), model.predict(X), rtol=1e-12, atol=1e-12)


def test_a_single_leaf_tree(data):
    """A tree without splits has depth 0: no level at all, every sample gets its one leaf."""
    X, _ = data
    model = RandomForestRegressor(3, random_state=0).fit(X[:20], np.ones(20))
    compiled = gbc.convert(model, "perfect_tree_traversal")
    np.testing.assert_array_equal(compiled.predict(X), model.predict(X))


@pytest.mark.parametrize("shape", [(9, 1, 1), (200, 1, 1), (9, 1, 2), (64, 3, 1), (64, 1024, 2), (5, 8, 3)])
def test_the_one_reduction_adds_tree_after_tree(shape):
    """Summing with one reduction gives the loop's numbers bit for bit, whatever the shape (1 + trees, n, outputs)."""
    rng = np.random.default_rng(sum(shape))
    stacked = rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 9, shape)  # order changes such sums
    total = rng.standard_normal(shape[1:])
    expected = total.copy()
    for contribution in stacked[1:]:
        expected += contribution
    perfect_tree_traversal._add_in_order(total, stacked)
    np.testing.assert_array_equal(total, expected)


def test_one_row_at_a_time(data):
    X, y = data
    model = RandomForestRegressor(12, max_depth=6, random_state=0).fit(X, y)
    compiled = gbc.convert(model, "perfect_tree_traversal")
    for row in X[:5]:
        np.testing.assert_array_equal(compiled.predict(row[None, :]), model.predict(row[None, :]))


@pytest.mark.parametrize("strategy", ["perfect_tree_traversal", "tree_traversal"])
def test_chunks_with_and_without_missing_values_in_one_batch(strategy):
    """The lookups leave out the NaN → -inf copies only in chunks without NaN; categorical rule rows follow them."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from glassbox.compile.trees.structure import fold_copies

    rng = np.random.default_rng(3)
    categories = rng.integers(0, 9, 800).astype(float)
    numeric = rng.standard_normal((800, 3))
    numeric[rng.random((800, 3)) < 0.2] = np.nan
    X = np.column_stack([categories, numeric])
    y = (np.isin(categories, [1, 4, 7]) ^ (np.nan_to_num(numeric[:, 0]) > 0.3)).astype(int)
    model = HistGradientBoostingClassifier(max_iter=12, max_depth=6, categorical_features=[0], random_state=0)
    model.fit(X, y)
    probes = np.concatenate([np.nan_to_num(X[:60], nan=0.25), X[60:200]])  # first chunk clean, later ones not
    compiled = gbc.convert(model, strategy, batch_size=50)
    np.testing.assert_array_equal(compiled.predict(probes), model.predict(probes))
    np.testing.assert_allclose(compiled.predict_proba(probes), model.predict_proba(probes), rtol=1e-12, atol=1e-12)
    space = compiled.operator.steps[-1].space
    assert space.missing_left_rows and len(space.category_features)
    encode = compiled.operator.steps[0].transform
    clean = space(encode(probes[:50]))
    folded, fold = fold_copies(clean, space.n_features)
    assert fold == space.n_features and folded.shape[0] == space.rows - space.n_features
    assert fold_copies(space(encode(probes[60:110])), space.n_features)[1] == 0
