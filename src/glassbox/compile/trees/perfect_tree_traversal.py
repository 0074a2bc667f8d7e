"""The PerfectTreeTraversal strategy: trees padded to perfect binary trees, index = 2·index + decision.

Every tree is grown to a perfect tree of the ensemble's depth ``D``: a leaf
found above the last level is copied into all ``2^(D - level)`` leaves below
it, so whichever way the padding nodes send a sample, it arrives at the same
value. Level ``l`` of all trees is one table of ``trees · 2^l`` nodes, and a
node's number there is ``tree · 2^l + position``; its children at level
``l + 1`` are ``2·number`` and ``2·number + 1``. A walk is

    number ← tree                                        (trees, n)
    for each level l:  number ← 2·number + [z[column_l[number]] > threshold_l[number]]
    output ← leaf_values[number]

No child table is read, which saves one lookup per level against
TreeTraversal, at the price of ``trees · 2^D`` stored nodes: fine for the
depths (up to about 12) where it is chosen.

Two more savings, both exact. The first levels have few nodes per tree (1, 2,
4): every node there is compared with whole rows of ``Z`` and each sample's own
decision is picked from those with boolean operations, no per-sample lookup
(trees of depth <= 3 are evaluated this way throughout, the first three levels
of deeper ones). Past them, on float32 features, a node's column and threshold are
packed in one int64 and compared with integer keys of the samples (see
``structure.order_keys``): one lookup instead of two; in a chunk without missing
values they read ``Z`` without its NaN → -inf copies (``structure.fold_copies``),
half the keys. All working arrays of a chunk are allocated once and reused by
every block of trees.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.operator import Operator
from glassbox.compile.trees.structure import (
    LOW_HALF,
    ScaledColumns,
    add_in_order,
    fold_copies,
    order_keys,
    tree_blocks,
)

MAX_PADDED_NODES = 1 << 26  # trees · 2^depth beyond this would take gigabytes: use TreeTraversal
DENSE_LEVELS = 3  # levels (1, 2 and 4 nodes per tree) compared row by row: no per-sample lookups, no keys


class PerfectTrees(Operator):
    """Per-tree outputs ``(trees, n, outputs)`` by walking level tables of perfect trees."""

    fields = ("level_columns", "level_thresholds", "leaf_values")
    strategy = "perfect_tree_traversal"

    def __init__(self, level_columns, level_thresholds, leaf_values):
        self.level_columns = list(level_columns)  # per level: (trees · 2^l,) int64
        self.level_thresholds = list(level_thresholds)  # per level: (trees · 2^l,)
        self.leaf_values = leaf_values  # (trees · 2^D, outputs)
        self._scaled = ScaledColumns()

    @classmethod
    def build(cls, trees, prepared, dtype) -> PerfectTrees:
        depth = max(tree.depth for tree in trees)
        count = len(trees)
        if count << depth > MAX_PADDED_NODES:
            raise ValueError(
                f"glassbox.compile: perfect_tree_traversal would pad {count} trees of depth {depth} to "
                f"{count << depth:,} leaves; use strategy='tree_traversal' (or 'auto') for trees this deep"
            )
        threshold_dtype = prepared[0][1].dtype
        # Padding nodes test column 0 against +inf: they send everything left, to a copy of the same leaf.
        columns = [numpy.zeros(count << level, dtype=numpy.int64) for level in range(depth)]
        thresholds = [numpy.full(count << level, numpy.inf, dtype=threshold_dtype) for level in range(depth)]
        leaf_values = numpy.zeros((count << depth, trees[0].values.shape[1]), dtype=dtype)
        for index, (tree, (column, threshold)) in enumerate(zip(trees, prepared, strict=True)):
            stack = [(0, 0, 0)]  # (node, level, position within the level)
            while stack:
                node, level, position = stack.pop()
                if tree.left[node] < 0:
                    span = 1 << (depth - level)
                    start = (index << depth) + position * span
                    leaf_values[start : start + span] = tree.values[node]
                    continue
                number = (index << level) + position
                columns[level][number] = column[node]
                thresholds[level][number] = threshold[node]
                stack.append((int(tree.left[node]), level + 1, 2 * position))
                stack.append((int(tree.right[node]), level + 1, 2 * position + 1))
        return cls(columns, thresholds, leaf_values)

    @property
    def outputs(self) -> int:
        return self.leaf_values.shape[1]

    @property
    def dtype(self):
        return self.leaf_values.dtype

    def accumulate(self, Z, total, copied: int = 0) -> None:
        """Add every tree's output for the samples (columns) of ``Z`` to ``total`` (n, outputs), tree by tree.

        ``copied``: rows ``[copied, 2·copied)`` of ``Z`` are the NaN → -inf copies of its first ``copied``
        rows (``FeatureSpace``); in a chunk without missing values the lookups then read half as much.
        """
        xp = backend.module_of(Z)
        samples = Z.shape[1]
        depth = len(self.level_columns)
        dense = min(depth, DENSE_LEVELS)
        count = self.leaf_values.shape[0] >> depth
        blocks = tree_blocks(count, samples)
        work = _Workspace(xp, blocks[0][1] - blocks[0][0], samples, dense, Z.dtype, self.leaf_values)
        lookups = self._lookups(Z, copied) if depth > dense else None
        for start, stop in blocks:
            trees = stop - start
            number = self._dense_levels(Z, start, stop, dense, work)  # (trees, n), counted from tree ``start``
            for level in range(dense, depth):
                self._lookup_level(lookups, level, start, stop, number, work)
            leaves = work.leaves[: trees + 1]  # (1 + trees, n, outputs): the running total, then the trees
            _take(xp, self.leaf_values[start << depth : stop << depth], number, leaves[1:], axis=0)
            _add_in_order(total, leaves)

    def _lookups(self, Z, copied: int = 0):
        """(node tables per level, the flat samples they index, packed?) for the levels past the dense ones.

        On float32 features each node is one int64 ``key(threshold) << 32 | column · n`` and the samples
        are ``key(z) << 32``: one gather and one integer comparison per node. Otherwise the column
        starts and the thresholds are two tables.
        """
        xp = backend.module_of(Z)
        samples = Z.shape[1]
        Z, fold = fold_copies(Z, copied)
        flat = Z.reshape(-1)
        packed = flat.dtype == numpy.float32 and Z.size < 1 << 31
        tables = self._scaled.get(self.level_columns, samples, self.level_thresholds if packed else None, fold)
        if packed:
            flat = order_keys(flat).astype(xp.int64) << 32
        return tables, flat, packed

    def _dense_levels(self, Z, start: int, stop: int, levels: int, work):
        """Node numbers ``tree · 2^levels + position`` after the first ``levels`` levels of trees ``start … stop-1``.

        Level ``l`` has ``2^l`` nodes per tree: all of them are compared with whole rows of ``Z`` (copied
        rows, no per-sample lookups), and each sample's own node is then picked by the decisions taken
        above it, on booleans: ``pick(even, odd, d) = even ^ ((even ^ odd) & d)``, latest decision first.
        """
        xp = backend.module_of(Z)
        trees, samples = stop - start, Z.shape[1]
        number = work.number[:trees]
        if levels == 0:
            number[...] = xp.arange(trees, dtype=number.dtype)[:, None]
            return number
        decisions = []  # per level: (trees, n) bool, True = went right
        for level in range(levels):
            width = trees << level
            rows = work.rows[:width]
            _take(xp, Z, self.level_columns[level][start << level : stop << level], rows, axis=0)
            compared = work.compared[level][:width]
            xp.greater(rows, self.level_thresholds[level][start << level : stop << level, None], out=compared)
            candidates = compared.reshape(trees, 1 << level, samples)  # (trees, nodes of the level, n)
            for decision in reversed(decisions):
                even, odd = candidates[:, 0::2], candidates[:, 1::2]
                scratch = work.scratch[: even.shape[0] * even.shape[1]].reshape(even.shape)
                xp.bitwise_xor(even, odd, out=scratch)
                xp.bitwise_and(scratch, decision[:, None, :], out=scratch)
                xp.bitwise_xor(scratch, even, out=even)  # the chosen node's decision, kept in the even slot
                candidates = even
            decisions.append(candidates[:, 0])
        code = work.code[:trees]  # Σ decision_l · 2^(levels - 1 - l), small: int8
        code[...] = decisions[0].view(xp.int8)
        for decision in decisions[1:]:
            xp.add(code, code, out=code)
            xp.add(code, decision.view(xp.int8), out=code)
        xp.add(work.tree_starts[:trees], code, out=number)
        return number

    def _lookup_level(self, lookups, level: int, start: int, stop: int, number, work) -> None:
        """``number ← 2·number + [z[column[number]] > threshold[number]]`` for one level of trees ``start … stop-1``."""
        xp = backend.module_of(number)
        tables, flat, packed = lookups
        trees = stop - start
        node, index, goes_right = work.node[:trees], work.index[:trees], work.goes_right[:trees]
        table = tables[level][start << level : stop << level]
        _take(xp, table, number, node)
        if packed:  # key(z) << 32 > key(t) << 32 | column · n  ⇔  z > t
            xp.bitwise_and(node, LOW_HALF, out=index)
            xp.add(index, work.samples, out=index)
            value = work.value[:trees]
            _take(xp, flat, index, value)
            xp.greater(value, node, out=goes_right)
        else:
            xp.add(node, work.samples, out=index)
            value = work.float_value(flat.dtype)[:trees]
            _take(xp, flat, index, value)
            threshold = work.float_threshold(flat.dtype)[:trees]
            _take(xp, self.level_thresholds[level][start << level : stop << level], number, threshold)
            xp.greater(value, threshold, out=goes_right)
        xp.left_shift(number, 1, out=number)
        xp.add(number, goes_right, out=number)

    def working_bytes_per_row(self) -> int:
        return 64 + 8 * self.leaf_values.shape[1]  # the trees are taken in blocks; this is per row


def _take(xp, array, index, out, axis=None):
    """``array.take(index, axis)`` into ``out``. The indices are in range by construction, so every mode
    gives the same result; NumPy's default mode first copies ``out`` (to leave it untouched on an error),
    and of the two that do not, 'wrap' runs its loop ~10 % faster than 'clip' here (bench/compile.py)."""
    if xp is numpy:
        return numpy.take(array, index, axis=axis, out=out, mode="wrap")
    return xp.take(array, index, axis=axis, out=out)


def _add_in_order(total, stacked) -> None:
    """``total += stacked[1]; total += stacked[2]; …`` (``stacked[0]`` is free space), in one reduction.

    NumPy's reduction over the slowest axis of a C-ordered array adds in order, element by element,
    like the loop: it sums pairwise only along the fastest axis, which is the tree axis only when one
    number per tree is left. There, and on CuPy (whose reductions run in parallel), the loop runs.
    """
    if total.size == 1 or backend.module_of(total) is not numpy:
        add_in_order(total, stacked[1:])
        return
    stacked[0] = total
    numpy.add.reduce(stacked, axis=0, out=total)


class _Workspace:
    """The (trees, n) arrays of one chunk, allocated once and reused by every block of trees."""

    def __init__(self, xp, trees: int, samples: int, dense: int, dtype, leaf_values):
        self.xp = xp
        shape = (trees, samples)
        self.number = xp.empty(shape, dtype=xp.int64)
        self.node = xp.empty(shape, dtype=xp.int64)
        self.index = xp.empty(shape, dtype=xp.int64)
        self.value = xp.empty(shape, dtype=xp.int64)
        self.goes_right = xp.empty(shape, dtype=bool)
        self.samples = xp.arange(samples, dtype=xp.int64)[None, :]
        widest = trees << max(dense - 1, 0)
        self.rows = xp.empty((widest, samples), dtype=dtype)
        self.compared = [xp.empty((trees << level, samples), dtype=bool) for level in range(dense)]
        self.scratch = xp.empty((max(widest // 2, 1), samples), dtype=bool)
        self.code = xp.empty(shape, dtype=xp.int8)
        # each tree's first leaf, repeated along the samples: the sum with the (trees, n) codes then needs no broadcast
        self.tree_starts = xp.repeat((xp.arange(trees, dtype=xp.int64) << dense)[:, None], samples, axis=1)
        self.leaves = xp.empty((trees + 1, samples, leaf_values.shape[1]), dtype=leaf_values.dtype)
        self._floats = {}

    def float_value(self, dtype):
        return self._float("value", dtype)

    def float_threshold(self, dtype):
        return self._float("threshold", dtype)

    def _float(self, name, dtype):
        if (name, dtype) not in self._floats:
            self._floats[name, dtype] = self.xp.empty(self.number.shape, dtype=dtype)
        return self._floats[name, dtype]
