"""Tree models compiled three ways: GEMM, TreeTraversal, PerfectTreeTraversal (see strategy.py)."""
