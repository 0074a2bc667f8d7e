"""Choosing a tree strategy: a cost model over depth, tree count, feature count and batch size.

Estimated nanoseconds per input row, for ``T`` trees of depth ``D`` with ``N``
internal nodes and ``L`` leaves per tree (padded), ``F`` features and batches of ``B`` rows:

    gemm                    T · (N · compare + N · L · multiply_add + L · compare) + calls_gemm · call / B
    perfect_tree_traversal  T · (Σ_{l < R} (2^l · row_compare + (2^l - 1) · pick) + number
                                 + (D - R) · lookup_perfect) · cache(T · 2^D)
                            + 2F · key (when D > R)                               + calls_level · D · call / B
    tree_traversal          T · D · lookup_traversal · cache(T · nodes)            + calls_level · D · call / B

where ``R`` is the number of levels perfect_tree_traversal compares row by row
(``min(D, 3)``): each of their ``2^l`` nodes per tree is
compared with a whole row of ``Z``, and the sample's own decision picked out.
A lookup is a gather from ``Z`` (``F · B`` values, slower once they leave the
cache) plus the table reads; ``cache(·)`` grows the lookup cost once the node
tables no longer fit in the processor's cache. The constants were measured with
``bench/compile.py --strategies`` on a grid of (depth, trees, features, batch);
the same benchmark shows how close ``auto``'s choice comes to the fastest one.
``auto`` picks the cheapest estimate; perfect_tree_traversal is left out when
padding would need more than ``MAX_PADDED_NODES`` leaves.
"""

from __future__ import annotations

from glassbox.compile.trees.gemm import GEMMTrees
from glassbox.compile.trees.perfect_tree_traversal import (
    DENSE_LEVELS,
    MAX_PADDED_NODES,
    PerfectTrees,
)
from glassbox.compile.trees.structure import prepare
from glassbox.compile.trees.tree_traversal import TraversalTrees

STRATEGIES = {"gemm": GEMMTrees, "tree_traversal": TraversalTrees, "perfect_tree_traversal": PerfectTrees}

CALL_NANOSECONDS = 980.0  # fixed cost of one array operation, whatever its size
COMPARE_NANOSECONDS = 1.2  # gather one node's feature value and compare it (GEMM's first step)
MULTIPLY_ADD_NANOSECONDS = 0.08  # one float32 multiply-add in a batched product
LOOKUP_PERFECT_NANOSECONDS = 2.75  # one level of one tree for one row: 2 gathers, 5 arithmetic passes
ROW_COMPARE_NANOSECONDS = 0.6  # one node of a row-by-row level against one sample: a row copy and a comparison
PICK_NANOSECONDS = 0.35  # choosing between two decisions of a row-by-row level (3 boolean passes)
NUMBER_NANOSECONDS = 1.2  # turning the row-by-row decisions into node numbers
KEY_NANOSECONDS = 1.47  # turning one value of Z into its int64 key
LOOKUP_TRAVERSAL_NANOSECONDS = 4.2  # the same with the child table read as well (4-byte thresholds)
CACHE_BYTES = 4 << 20  # node tables larger than this are read from main memory
Z_CACHE_BYTES = 1 << 20
CALLS_GEMM = 10
CALLS_PER_LEVEL = 7
CALLS_PERFECT_EXTRA = 14  # the row-by-row levels and the keys: array operations whatever the batch


def _cache_factor(table_bytes: float) -> float:
    return 1.0 if table_bytes <= CACHE_BYTES else 1.0 + min(2.0, table_bytes / CACHE_BYTES / 8)


def estimated_costs(depth: int, trees: int, features: int, batch: int, nodes: int | None = None,
                    leaves: int | None = None, outputs: int = 1) -> dict[str, float]:
    """Estimated nanoseconds per row of each strategy (perfect_tree_traversal absent when it cannot be padded)."""
    batch = max(1, batch)
    nodes = (1 << depth) - 1 if nodes is None else nodes
    leaves = (1 << depth) if leaves is None else leaves
    z_factor = 1.0 if features * batch * 4 <= Z_CACHE_BYTES else 1.3
    costs = {
        "gemm": trees * (nodes * COMPARE_NANOSECONDS * z_factor + nodes * leaves * MULTIPLY_ADD_NANOSECONDS
                         + leaves * (COMPARE_NANOSECONDS + outputs * MULTIPLY_ADD_NANOSECONDS))
        + CALLS_GEMM * CALL_NANOSECONDS / batch,
        "tree_traversal": trees * depth * LOOKUP_TRAVERSAL_NANOSECONDS * z_factor
        * _cache_factor(trees * (2 * nodes + 1) * 24)
        + CALLS_PER_LEVEL * max(depth, 1) * CALL_NANOSECONDS / batch,
    }
    if trees << depth <= MAX_PADDED_NODES:
        row_by_row = min(depth, DENSE_LEVELS)
        levels = sum((1 << level) * ROW_COMPARE_NANOSECONDS + ((1 << level) - 1) * PICK_NANOSECONDS
                     for level in range(row_by_row))
        levels += NUMBER_NANOSECONDS + (depth - row_by_row) * LOOKUP_PERFECT_NANOSECONDS
        costs["perfect_tree_traversal"] = (
            trees * levels * z_factor * _cache_factor(trees * (1 << depth) * 16)
            + (2 * features * KEY_NANOSECONDS if depth > row_by_row else 0.0)  # keys only for the lookups
            + (CALLS_PER_LEVEL * max(depth, 1) + CALLS_PERFECT_EXTRA) * CALL_NANOSECONDS / batch
        )
    return costs


def choose_strategy(depth: int, trees: int, features: int, batch: int, nodes=None, leaves=None, outputs=1) -> str:
    costs = estimated_costs(depth, trees, features, batch, nodes, leaves, outputs)
    return min(costs, key=costs.get)


def build_evaluator(trees, n_features: int, input_dtype: str, value_dtype: str, strategy: str, batch: int):
    """(FeatureSpace, per-tree evaluator) for ``trees`` with the given or the cost model's strategy."""
    if strategy not in (*STRATEGIES, "auto"):
        raise ValueError(f"glassbox.compile: unknown tree strategy {strategy!r}; expected 'auto' or one of "
                         f"{sorted(STRATEGIES)}")
    space, prepared = prepare(trees, n_features, input_dtype)
    if strategy == "auto":
        internal = max(int((tree.left >= 0).sum()) for tree in trees)
        leaves = max(len(tree.leaves) for tree in trees)
        strategy = choose_strategy(max(tree.depth for tree in trees), len(trees), space.rows, batch,
                                   internal, leaves, trees[0].values.shape[1])
    return space, STRATEGIES[strategy].build(trees, prepared, value_dtype)
