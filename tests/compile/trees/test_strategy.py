"""The cost model and the comparison space: exact float32 thresholds, bitsets, and strategy choices."""

import numpy as np
from sklearn.ensemble import RandomForestClassifier

import glassbox.compile as gbc
from glassbox.compile.trees.strategy import choose_strategy, estimated_costs
from glassbox.compile.trees.structure import bitset_members, float32_at_or_below


def test_float32_at_or_below_is_the_largest_float32_not_above():
    rng = np.random.default_rng(0)
    thresholds = np.concatenate([rng.standard_normal(1000) * 10.0 ** rng.integers(-5, 6, 1000), [0.5, -0.0, 1e39]])
    rounded = float32_at_or_below(thresholds)
    assert rounded.dtype == np.float32
    assert np.all(rounded.astype(np.float64) <= thresholds)
    above = np.nextafter(rounded, np.float32(np.inf))
    assert np.all(above.astype(np.float64) > thresholds)
    # The property the trees rely on: x <= t ⇔ x <= t↓ for float32 x on both sides of every threshold.
    probes = np.stack([rounded, above, np.nextafter(rounded, np.float32(-np.inf))])
    np.testing.assert_array_equal(probes.astype(np.float64) <= thresholds, probes <= rounded)


def test_bitset_members():
    members = bitset_members(np.array([0b1010, 1 << 31, 0, 0, 0, 0, 0, 1], dtype=np.uint32))
    assert np.flatnonzero(members).tolist() == [1, 3, 63, 224]


def test_cost_model_prefers_gemm_for_shallow_trees_and_traversal_for_deep_ones():
    assert choose_strategy(depth=2, trees=10, features=10, batch=100) == "gemm"
    assert choose_strategy(depth=8, trees=100, features=28, batch=4096) == "perfect_tree_traversal"
    assert choose_strategy(depth=30, trees=100, features=28, batch=4096) == "tree_traversal"
    assert "perfect_tree_traversal" not in estimated_costs(depth=30, trees=100, features=28, batch=4096)


def test_auto_reports_the_strategy_it_chose(synthetic):
    X, y = synthetic["binary"]
    shallow = RandomForestClassifier(10, max_depth=2, random_state=0).fit(X, y)
    assert gbc.convert(shallow, batch_size=50).strategy == "gemm"  # small batches: few array operations win
    deep = RandomForestClassifier(10, max_depth=8, random_state=0).fit(X, y)
    assert gbc.convert(deep).strategy in ("perfect_tree_traversal", "tree_traversal")


def test_order_keys_order_floats_as_the_floats_are_ordered():
    from glassbox.compile.trees.structure import order_keys

    rng = np.random.default_rng(1)
    scaled = rng.standard_normal(500) * 10.0 ** rng.integers(-30, 30, 500)
    special = [0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45, 3.4e38, -3.4e38]
    values = np.concatenate([scaled, special]).astype(np.float32)
    keys = order_keys(values)
    np.testing.assert_array_equal(keys[:, None] > keys[None, :], values[:, None] > values[None, :])
