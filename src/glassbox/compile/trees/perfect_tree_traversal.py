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
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.operator import Operator
from glassbox.compile.trees.structure import LOW_HALF, ScaledColumns, add_in_order, order_keys, tree_blocks

MAX_PADDED_NODES = 1 << 26  # trees · 2^depth beyond this would take gigabytes: use TreeTraversal


class PerfectTrees(Operator):
    """Per-tree outputs ``(trees, n, outputs)`` by walking level tables of perfect trees."""

    fields = ("level_columns", "level_thresholds", "leaf_values")
    strategy = "perfect_tree_traversal"
    pack_thresholds = True  # one gather for column and float32 threshold (False: two gathers)

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

    def accumulate(self, Z, total) -> None:
        """Add every tree's output for the samples (columns) of ``Z`` to ``total`` (n, outputs), tree by tree."""
        xp = backend.module_of(Z)
        samples = Z.shape[1]
        flat = Z.reshape(-1)
        rows = xp.arange(samples, dtype=xp.int64)[None, :]
        packed = self.pack_thresholds and flat.dtype == numpy.float32 and Z.size < 1 << 31
        tables = self._scaled.get(self.level_columns, samples, self.level_thresholds if packed else None)
        if packed:
            flat = order_keys(flat).astype(xp.int64) << 32  # the samples' keys, comparable with the packed nodes
        count = self.leaf_values.shape[0] >> len(self.level_columns)
        dense = min(2, len(tables))
        for start, stop in tree_blocks(count, samples):
            number = self._first_levels(Z, start, stop, dense)  # (trees, n)
            for table, thresholds in zip(tables[dense:], self.level_thresholds[dense:], strict=True):
                if packed:  # key(z) << 32 > key(t) << 32 | column · n  ⇔  z > t
                    node = table.take(number)
                    index = node & LOW_HALF
                    index += rows
                    goes_right = flat.take(index) > node
                else:
                    index = table.take(number)
                    index += rows
                    goes_right = flat.take(index) > thresholds.take(number)
                number <<= 1
                number += goes_right
            add_in_order(total, self.leaf_values.take(number, axis=0))  # (trees, n, outputs)

    def _first_levels(self, Z, start: int, stop: int, levels: int):
        """Node numbers after the first ``levels`` (at most 2) levels of trees ``start … stop-1``.

        Levels 0 and 1 have one and two nodes per tree: comparing whole rows of ``Z`` with each node's
        threshold and picking the right one is cheaper than looking up every sample's node.
        """
        xp = backend.module_of(Z)
        trees = xp.arange(start, stop, dtype=xp.int64)[:, None]
        if levels == 0:
            return xp.repeat(trees, Z.shape[1], axis=1)
        root = Z.take(self.level_columns[0][start:stop], axis=0) > self.level_thresholds[0][start:stop, None]
        if levels == 1:
            return (trees << 1) + root
        columns = self.level_columns[1][2 * start : 2 * stop]
        second = Z.take(columns, axis=0) > self.level_thresholds[1][2 * start : 2 * stop, None]  # (2·trees, n)
        second = xp.where(root, second[1::2], second[0::2])
        number = (trees << 2) + (root.astype(xp.int64) << 1)
        number += second
        return number

    def working_bytes_per_row(self) -> int:
        return 64 + 8 * self.leaf_values.shape[1]  # the trees are taken in blocks; this is per row
