"""The cost model and the comparison space: exact float32 thresholds, bitsets, and strategy choices."""

import numpy as np
import pytest
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


# Measured with `bench/compile.py --strategies --threads 1` (AMD EPYC, 1 thread): forests of the grid as
# (depth, trees, rows of Z, batch, internal nodes, leaves) and the strategies within 10 % of the fastest there.
MEASURED_CHOICES = [
    ((2, 100, 20, 10_000, 3, 4), {"perfect_tree_traversal"}),  # 6.4 ms; tree_traversal 18.4, gemm 45.5
    ((2, 10, 100, 100, 3, 4), {"gemm", "tree_traversal"}),  # a tie across runs: 89-93 µs and 83-99 µs; perfect 129
    ((2, 100, 100, 100, 3, 4), {"perfect_tree_traversal"}),  # 228 µs; tree_traversal 434, gemm 502
    ((4, 100, 20, 10_000, 15, 16), {"perfect_tree_traversal"}),  # 18.8 ms; tree_traversal 36.2
    ((8, 100, 20, 100, 231, 232), {"perfect_tree_traversal"}),  # 0.78 ms; tree_traversal 1.00
    ((8, 10, 100, 100, 226, 227), {"tree_traversal"}),  # 245 µs; perfect 351
    ((12, 10, 20, 100, 1157, 1158), {"tree_traversal"}),  # 342 µs; perfect 492
]


@pytest.mark.parametrize(("case", "fast"), MEASURED_CHOICES)
def test_cost_model_chooses_a_strategy_that_was_measured_fastest(case, fast):
    depth, trees, features, batch, nodes, leaves = case
    assert choose_strategy(depth, trees, features, batch, nodes, leaves) in fast


def test_cost_model_leaves_out_perfect_trees_too_deep_to_pad():
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
