"""The TreeTraversal strategy: every sample walks every tree, one level per step, by index lookups.

The nodes of all trees are numbered breadth-first and laid end to end, so the
two children of a node are neighbours: ``right = left + 1``. A walk is then

    node ← root                                          (trees, n)
    repeat depth times:
        node ← first_child[node] + [z[column[node]] > threshold[node]]

Leaves are their own first child with threshold +inf, so a walk that has arrived
stays put. The work is ``depth · trees · n`` lookups whatever the tree's shape,
which suits deep, unbalanced trees that a perfect tree could not hold.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.operator import Operator
from glassbox.compile.trees.structure import ScaledColumns, add_in_order, fold_copies, tree_blocks


def breadth_first_order(tree) -> numpy.ndarray:
    """Node ids in breadth-first order, each node's left child directly before its right child."""
    order, queue = [], [0]
    while queue:
        order.extend(queue)
        queue = [int(child) for node in queue if tree.left[node] >= 0 for child in (tree.left[node], tree.right[node])]
    return numpy.asarray(order, dtype=numpy.int64)


class TraversalTrees(Operator):
    """Per-tree outputs ``(trees, n, outputs)`` by walking the breadth-first node tables."""

    fields = ("roots", "first_child", "columns", "thresholds", "node_values", "depth")
    strategy = "tree_traversal"

    def __init__(self, roots, first_child, columns, thresholds, node_values, depth):
        self.roots = roots  # (trees,) int64
        self.first_child = first_child  # (all nodes,) int64
        self.columns = columns  # (all nodes,) int64
        self.thresholds = thresholds  # (all nodes,)
        self.node_values = node_values  # (all nodes, outputs)
        self.depth = int(depth)
        self._scaled = ScaledColumns()

    @classmethod
    def build(cls, trees, prepared, dtype) -> TraversalTrees:
        roots, first_child, columns, thresholds, values = [], [], [], [], []
        offset = 0
        for tree, (column, threshold) in zip(trees, prepared, strict=True):
            order = breadth_first_order(tree)
            position = numpy.empty(len(order), dtype=numpy.int64)
            position[order] = numpy.arange(len(order))
            left = tree.left[order]
            first_child.append(numpy.where(left >= 0, position[left] + offset, numpy.arange(len(order)) + offset))
            columns.append(column[order])
            thresholds.append(threshold[order])
            values.append(tree.values[order])
            roots.append(offset)
            offset += len(order)
        return cls(
            numpy.asarray(roots, dtype=numpy.int64),
            numpy.concatenate(first_child),
            numpy.concatenate(columns),
            numpy.concatenate(thresholds),
            numpy.concatenate(values).astype(dtype),
            max(tree.depth for tree in trees),
        )

    @property
    def outputs(self) -> int:
        return self.node_values.shape[1]

    @property
    def dtype(self):
        return self.node_values.dtype

    def accumulate(self, Z, total, copied: int = 0) -> None:
        """Add every tree's output for the samples (columns) of ``Z`` to ``total`` (n, outputs), tree by tree.

        ``copied``: ``Z``'s NaN → -inf copies of its first rows, left out where they repeat them (``fold_copies``).
        """
        xp = backend.module_of(Z)
        samples = Z.shape[1]
        Z, fold = fold_copies(Z, copied)
        flat = Z.reshape(-1)
        column_starts = self._scaled.get([self.columns], samples, fold=fold)[0]  # where node columns begin in flat Z
        rows = xp.arange(samples, dtype=xp.int64)[None, :]
        for start, stop in tree_blocks(len(self.roots), samples):
            node = xp.repeat(self.roots[start:stop, None], samples, axis=1)  # (trees, n)
            for _ in range(self.depth):
                index = column_starts.take(node)
                index += rows
                goes_right = flat.take(index) > self.thresholds.take(node)
                node = self.first_child.take(node)
                node += goes_right
            add_in_order(total, self.node_values.take(node, axis=0))  # (trees, n, outputs)

    def working_bytes_per_row(self) -> int:
        return 64 + 8 * self.node_values.shape[1]  # the trees are taken in blocks; this is per row
