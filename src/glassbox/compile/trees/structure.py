"""Decision trees as arrays, and the comparison space every tree strategy works in.

A fitted tree is read into ``TreeArrays``: for each node its children, the
column it tests, its threshold and its output values. Every split is then
turned into the one test all three strategies evaluate,

    go right  ⇔  z[column] > threshold,

on a matrix ``Z`` (one row per column, one column per sample) that
``FeatureSpace`` builds from the input ``X``. Three facts make that test exact:

* scikit-learn's trees cast ``X`` to float32 and compare it with a float64
  threshold ``t``. For a float32 ``x``, ``x <= t`` exactly when ``x <= t↓``,
  where ``t↓`` is the largest float32 not above ``t``; so comparing in float32
  against ``t↓`` gives scikit-learn's decisions bit for bit (histogram gradient
  boosting compares float64 with float64, and so does its compiled form).
* A missing value goes to the side the tree learned (``missing_go_to_left``).
  Inputs and thresholds are clipped to the finite range, and ``Z`` holds every
  feature twice: once with NaN replaced by +inf (which goes right at every
  threshold) and once with NaN replaced by -inf (which goes left); a node reads
  the copy whose direction it learned. A split at +inf (numbers left, missing
  right) becomes a split at the largest finite number.
* A categorical split (histogram gradient boosting) sends a category left when
  it is in the node's bitset, right when it is another known category, and to
  the missing side otherwise. ``Z`` gets one 0/1 row per distinct such rule,
  and the node tests it against 0.5.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy

from glassbox import backend
from glassbox.compile.operator import Operator

CATEGORY_LIMIT = 256  # histogram gradient boosting keeps categories as uint8 codes
MISSING_CATEGORY = CATEGORY_LIMIT  # the table entry for NaN, negative and out-of-range values


@dataclass
class TreeArrays:
    """One tree; ``left[i] == -1`` marks a leaf. ``values`` has one row of outputs per node."""

    left: numpy.ndarray  # (nodes,) int64
    right: numpy.ndarray  # (nodes,) int64
    feature: numpy.ndarray  # (nodes,) int64, the input feature tested
    threshold: numpy.ndarray  # (nodes,) float64
    missing_left: numpy.ndarray  # (nodes,) bool
    values: numpy.ndarray  # (nodes, outputs) float64
    category_left: dict | None = None  # node -> (257,) bool table "goes left" for categorical splits

    @property
    def depth(self) -> int:
        """The number of splits on the longest root-to-leaf path."""
        depth = numpy.zeros(len(self.left), dtype=numpy.int64)
        for node in range(len(self.left)):  # scikit-learn stores parents before their children
            if self.left[node] >= 0:
                depth[self.left[node]] = depth[self.right[node]] = depth[node] + 1
        return int(depth.max())

    @property
    def leaves(self) -> numpy.ndarray:
        return numpy.flatnonzero(self.left < 0)


def from_sklearn_tree(tree, values: numpy.ndarray) -> TreeArrays:
    """A fitted ``sklearn.tree._tree.Tree`` with the given per-node output values ``(nodes, outputs)``."""
    left = numpy.asarray(tree.children_left, dtype=numpy.int64)
    leaf = left < 0
    missing = getattr(tree, "missing_go_to_left", None)
    missing_left = numpy.zeros(len(left), bool) if missing is None else numpy.asarray(missing, dtype=bool)
    return TreeArrays(
        left=numpy.where(leaf, -1, left),
        right=numpy.where(leaf, -1, numpy.asarray(tree.children_right, dtype=numpy.int64)),
        feature=numpy.where(leaf, 0, numpy.asarray(tree.feature, dtype=numpy.int64)),
        threshold=numpy.where(leaf, 0.0, numpy.asarray(tree.threshold, dtype=numpy.float64)),
        missing_left=missing_left & ~leaf,
        values=numpy.asarray(values, dtype=numpy.float64).reshape(len(left), -1),
    )


def from_hist_predictor(predictor, known_categories=None) -> TreeArrays:
    """A ``TreePredictor`` of histogram gradient boosting (its nodes are a structured array)."""
    nodes = predictor.nodes
    leaf = nodes["is_leaf"].astype(bool)
    tree = TreeArrays(
        left=numpy.where(leaf, -1, nodes["left"].astype(numpy.int64)),
        right=numpy.where(leaf, -1, nodes["right"].astype(numpy.int64)),
        feature=numpy.where(leaf, 0, nodes["feature_idx"].astype(numpy.int64)),
        threshold=numpy.where(leaf, 0.0, nodes["num_threshold"].astype(numpy.float64)),
        missing_left=nodes["missing_go_to_left"].astype(bool) & ~leaf,
        values=nodes["value"].astype(numpy.float64).reshape(-1, 1),
    )
    categorical = numpy.flatnonzero(nodes["is_categorical"].astype(bool) & ~leaf)
    if len(categorical):
        tree.category_left = {}
        for node in categorical:
            in_left = bitset_members(predictor.raw_left_cat_bitsets[nodes["bitset_idx"][node]])
            feature = int(nodes["feature_idx"][node])
            known = bitset_members(known_categories[feature]) if known_categories is not None else in_left
            table = numpy.full(CATEGORY_LIMIT + 1, bool(nodes["missing_go_to_left"][node]))
            table[:CATEGORY_LIMIT][known] = False
            table[:CATEGORY_LIMIT][in_left] = True
            tree.category_left[int(node)] = table
    return tree


def bitset_members(words) -> numpy.ndarray:
    """The members of a bitset stored as 32-bit words (bit ``v % 32`` of word ``v // 32``)."""
    words = numpy.asarray(words, dtype=numpy.uint32)
    bits = (words[:, None] >> numpy.arange(32, dtype=numpy.uint32)) & 1  # (words, 32)
    return bits.reshape(-1).astype(bool)


def float32_at_or_below(threshold: numpy.ndarray) -> numpy.ndarray:
    """The largest float32 ``t↓ <= t`` for each float64 ``t``: ``x <= t ⇔ x <= t↓`` for every float32 ``x``."""
    with numpy.errstate(over="ignore"):  # beyond the float32 range: ±inf, then stepped down to the largest float32
        rounded = threshold.astype(numpy.float32)
    above = rounded.astype(numpy.float64) > threshold
    rounded[above] = numpy.nextafter(rounded[above], numpy.float32(-numpy.inf))
    return rounded


class FeatureSpace(Operator):
    """Builds ``Z`` (columns, samples) from ``X`` (samples, features): the rows every split compares.

    Rows ``[0, F)``: the features with NaN → +inf; rows ``[F, 2F)`` (when some split sends
    missing values left): NaN → -inf; then one 0/1 row per categorical rule (1 = right).
    """

    fields = ("n_features", "dtype", "missing_left_rows", "category_features", "category_tables")

    def __init__(self, n_features, dtype, missing_left_rows, category_features, category_tables):
        self.n_features = int(n_features)
        self.dtype = str(dtype)
        self.missing_left_rows = bool(missing_left_rows)
        self.category_features = category_features  # (rules,) int64
        self.category_tables = category_tables  # (rules, 257) bool: True = goes left

    @property
    def rows(self) -> int:
        return self.n_features * (2 if self.missing_left_rows else 1) + len(self.category_features)

    def __call__(self, X):
        xp = backend.module_of(X)
        values = X.astype(self.dtype, copy=False)  # float32 rounds as scikit-learn's own cast does
        largest = numpy.finfo(self.dtype).max
        transposed = xp.clip(values.T, -largest, largest)  # (F, n); the infinities are kept for NaN
        missing = xp.isnan(transposed)
        any_missing = bool(missing.any())
        parts = [xp.where(missing, xp.inf, transposed) if any_missing else transposed]
        if self.missing_left_rows:
            parts.append(xp.where(missing, -xp.inf, transposed) if any_missing else transposed)
        if len(self.category_features):
            raw = X[:, self.category_features].astype(numpy.float64).T  # (rules, n)
            valid = (raw >= 0) & (raw < CATEGORY_LIMIT)  # NaN compares False
            codes = xp.where(valid, xp.where(valid, raw, 0).astype(numpy.int64), MISSING_CATEGORY)
            rule = xp.arange(len(self.category_features))[:, None]
            goes_left = self.category_tables[rule, codes]
            parts.append((~goes_left).astype(self.dtype))
        return xp.ascontiguousarray(xp.concatenate(parts, axis=0) if len(parts) > 1 else parts[0])


def prepare(trees: list[TreeArrays], n_features: int, dtype: str):
    """The ``FeatureSpace`` for ``trees`` and, per tree, (column, threshold) of every node in it.

    Leaves get column 0 and threshold +inf, so that ``z > threshold`` is False there:
    a traversal that has reached a leaf stays on it.
    """
    dtype = numpy.dtype(dtype)
    missing_left_rows = any(bool(tree.missing_left.any()) for tree in trees)
    rules: dict[tuple, int] = {}
    category_features, category_tables, prepared = [], [], []
    base = n_features * (2 if missing_left_rows else 1)
    for tree in trees:
        column = tree.feature + n_features * (tree.missing_left & missing_left_rows)
        if dtype == numpy.float32:
            threshold = float32_at_or_below(tree.threshold)
        else:
            threshold = tree.threshold.astype(dtype)
        # A split at +inf separates the missing values from all others: with the inputs clipped to the
        # finite range, the largest finite threshold sends every number left and NaN (+inf) right.
        largest = numpy.finfo(dtype).max
        threshold = numpy.clip(threshold, -largest, largest)
        for node, table in (tree.category_left or {}).items():
            key = (int(tree.feature[node]), table.tobytes())
            if key not in rules:
                rules[key] = len(rules)
                category_features.append(int(tree.feature[node]))
                category_tables.append(table)
            column[node] = base + rules[key]
            threshold[node] = 0.5
        leaf = tree.left < 0
        column = numpy.where(leaf, 0, column)
        threshold = numpy.where(leaf, numpy.inf, threshold).astype(dtype)
        prepared.append((column.astype(numpy.int64), threshold))
    space = FeatureSpace(
        n_features,
        dtype.name,
        missing_left_rows,
        numpy.asarray(category_features, dtype=numpy.int64),
        numpy.asarray(category_tables, dtype=bool).reshape(-1, CATEGORY_LIMIT + 1),
    )
    return space, prepared


TILE_ELEMENTS = 1 << 17  # (trees × rows) per pass: few enough NumPy calls, working arrays within the caches


def tree_blocks(count: int, samples: int, elements: int = TILE_ELEMENTS):
    """Consecutive ranges of trees whose (trees × samples) working arrays hold about ``elements`` values."""
    size = max(1, elements // max(1, samples))
    blocks = -(-count // size)  # as many blocks as that size needs …
    size = -(-count // blocks)  # … of even sizes: no small last block
    return [(start, min(count, start + size)) for start in range(0, count, size)]


def add_in_order(total, outputs) -> None:
    """``total += outputs[0]; total += outputs[1]; …``: scikit-learn's order of summation, rounding included.

    (One vectorised addition per tree: ``add.accumulate`` over the tree axis adds in the same order
    but walks memory across the trees, and measured several times slower.)
    """
    for contribution in outputs:
        total += contribution


LOW_HALF = 0xFFFFFFFF


def order_keys(values):
    """int32 keys that order float32 values as the values do: ``a > b ⇔ key(a) > key(b)``.

    A float's bits, read as an integer, order the non-negative floats; the negative ones come out
    reversed, so their 31 lower bits are flipped. -0.0 is made +0.0 first (they are equal as floats).
    NaN has been replaced by ±inf before, so every value has its place.
    """
    xp = backend.module_of(values)
    bits = (values + xp.float32(0.0)).view(xp.int32)
    return bits ^ ((bits >> 31) & 0x7FFFFFFF)


def fold_copies(Z, copied: int):
    """(``Z`` to read, fold) for lookups into ``Z``: without its NaN → -inf copies when they equal the features.

    Rows ``[copied, 2·copied)`` of ``Z`` copy its first ``copied`` rows (``FeatureSpace``) and differ only
    where a value was missing; in a chunk without missing values they are left out (fold = ``copied``),
    so that a lookup reads half as much. ``copied`` 0 (no copies): ``Z`` as it is, fold 0.
    """
    xp = backend.module_of(Z)
    if not copied or not bool(xp.array_equal(Z[copied : 2 * copied], Z[:copied])):
        return Z, 0
    if Z.shape[0] == 2 * copied:
        return Z[:copied], copied
    return xp.concatenate([Z[:copied], Z[2 * copied :]]), copied


class ScaledColumns:
    """Node tables for one chunk size: each int64 entry packs ``key(threshold) << 32 | column · n``.

    ``column · n`` starts the node's column in the flat ``Z`` of a chunk of ``n`` samples; with the
    samples' own keys in the high halves of ``Z`` (``key(z) << 32``), one comparison of two int64
    tells ``z > threshold``, and one gather fetches a node's column and threshold together.
    Chunks mostly share one row count, so the tables are kept for the last few kinds of chunk seen.

    ``fold``: when the ``fold`` rows after the first ``fold`` rows of ``Z`` repeat them (the NaN → -inf
    copies of a chunk without missing values), those copies are left out of ``Z``: columns at or past
    ``fold`` move down by ``fold``.
    """

    def __init__(self):
        self.cache: dict = {}
        self.lock = threading.Lock()  # chunks may run in several threads

    def get(self, columns, samples: int, thresholds=None, fold: int = 0):
        key = (samples, thresholds is not None, fold)
        with self.lock:
            if key not in self.cache:
                if len(self.cache) >= 4:
                    self.cache.pop(next(iter(self.cache)))
                if fold:
                    columns = [numpy.where(table >= fold, table - fold, table) for table in columns]
                scaled = [table * samples for table in columns]
                if thresholds is not None:
                    scaled = [start | (order_keys(threshold).astype(numpy.int64) << 32)
                              for start, threshold in zip(scaled, thresholds, strict=True)]
                self.cache[key] = scaled
            return self.cache[key]
