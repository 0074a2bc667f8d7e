"""The GEMM strategy: a tree as three matrix products (Hummingbird's first strategy).

For a tree with internal nodes ``i`` and leaves ``j``:

    A  selects the feature each node tests        Z_nodes = A·X        (a column gather here)
    B  the node thresholds                        R = [Z_nodes > B]     (1 = the sample goes right)
    C  the paths: C[i, j] = +1 if leaf j is in the right subtree of node i,
                            -1 if it is in the left subtree, 0 otherwise
    D  D[j] = the number of right turns on the path to leaf j
       leaf j is reached  ⇔  (R·C)[j] == D[j]    (a wrong turn at a path node costs 1 or adds -1)
    E  the leaf values                            output = [R·C == D]·E

All trees of an ensemble are padded to the same number of internal nodes and
leaves and evaluated in one batched product ``(trees, n, nodes) @ (trees, nodes, leaves)``.
The work is ``n · nodes · leaves`` per tree, so this wins for shallow trees and small
batches, where the traversal strategies' per-level passes cost more than the products.

``A`` is applied as a gather of columns rather than a product with a one-hot
matrix: it selects the same numbers, and a NaN or an infinity in one feature
cannot leak into the others through ``0 · inf``.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.operator import Operator
from glassbox.compile.trees.structure import TILE_ELEMENTS, add_in_order, tree_blocks


def path_matrices(tree) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(internal node ids, leaf ids, C (internal, leaves), D (leaves,)) for one ``TreeArrays``."""
    internal = numpy.flatnonzero(tree.left >= 0)
    leaves = tree.leaves
    internal_position = {int(node): index for index, node in enumerate(internal)}
    leaf_position = {int(node): index for index, node in enumerate(leaves)}
    paths = numpy.zeros((len(internal), len(leaves)), dtype=numpy.float32)
    right_turns = numpy.zeros(len(leaves), dtype=numpy.float32)
    stack = [(0, [])]  # (node, [(internal position, +1 right / -1 left) on the path to it])
    while stack:
        node, path = stack.pop()
        if tree.left[node] < 0:
            for position, turn in path:
                paths[position, leaf_position[node]] = turn
            right_turns[leaf_position[node]] = sum(turn > 0 for _, turn in path)
            continue
        position = internal_position[node]
        stack.append((int(tree.left[node]), [*path, (position, -1.0)]))
        stack.append((int(tree.right[node]), [*path, (position, 1.0)]))
    return internal, leaves, paths, right_turns


class GEMMTrees(Operator):
    """Per-tree outputs ``(trees, n, outputs)`` of an ensemble from batched matrix products."""

    fields = ("columns", "thresholds", "paths", "right_turns", "leaf_values")
    strategy = "gemm"

    def __init__(self, columns, thresholds, paths, right_turns, leaf_values):
        self.columns = columns  # (trees, nodes) int64
        self.thresholds = thresholds  # (trees, nodes, 1)
        self.paths = paths  # (trees, nodes, leaves) float32
        self.right_turns = right_turns  # (trees, 1, leaves) float32
        self.leaf_values = leaf_values  # (trees, leaves, outputs) float64

    @classmethod
    def build(cls, trees, prepared, dtype) -> GEMMTrees:
        pieces = [path_matrices(tree) for tree in trees]
        nodes = max(1, max(len(internal) for internal, *_ in pieces))
        leaves = max(len(leaf_ids) for _, leaf_ids, *_ in pieces)
        outputs = trees[0].values.shape[1]
        count = len(trees)
        columns = numpy.zeros((count, nodes), dtype=numpy.int64)
        # Padding nodes never go right and padding leaves can never be matched (D = -1).
        thresholds = numpy.full((count, nodes, 1), numpy.inf, dtype=prepared[0][1].dtype)
        paths = numpy.zeros((count, nodes, leaves), dtype=numpy.float32)
        right_turns = numpy.full((count, 1, leaves), -1.0, dtype=numpy.float32)
        leaf_values = numpy.zeros((count, leaves, outputs), dtype=dtype)
        for index, (tree, (column, threshold), (internal, leaf_ids, path, turns)) in enumerate(
            zip(trees, prepared, pieces, strict=True)
        ):
            columns[index, : len(internal)] = column[internal]
            thresholds[index, : len(internal), 0] = threshold[internal]
            paths[index, : len(internal), : len(leaf_ids)] = path
            right_turns[index, 0, : len(leaf_ids)] = turns
            leaf_values[index, : len(leaf_ids)] = tree.values[leaf_ids]
        return cls(columns, thresholds, paths, right_turns, leaf_values)

    @property
    def outputs(self) -> int:
        return self.leaf_values.shape[2]

    @property
    def dtype(self):
        return self.leaf_values.dtype

    def accumulate(self, Z, total, copied: int = 0) -> None:
        """Add every tree's output for the samples (columns) of ``Z`` to ``total`` (n, outputs), tree by tree.

        (``copied``, the number of NaN → -inf copies in ``Z``, matters to the lookups of the traversals only.)
        """
        xp = backend.module_of(Z)
        count, nodes, leaves = self.paths.shape
        samples = Z.shape[1]
        for start, stop in tree_blocks(count, samples, TILE_ELEMENTS // max(1, nodes + leaves) * 16):
            selected = Z[self.columns[start:stop].reshape(-1)].reshape(stop - start, nodes, samples)
            goes_right = (selected > self.thresholds[start:stop]).astype(xp.float32)  # (trees, nodes, n)
            matches = xp.matmul(goes_right.transpose(0, 2, 1), self.paths[start:stop])  # (trees, n, leaves)
            reached = (matches == self.right_turns[start:stop]).astype(self.leaf_values.dtype)
            add_in_order(total, xp.matmul(reached, self.leaf_values[start:stop]))  # (trees, n, outputs)

    def working_bytes_per_row(self) -> int:
        return 64 + 8 * self.leaf_values.shape[2]  # the trees are taken in blocks; this is per row
