"""glassbox.compile against scikit-learn and Hummingbird (torch backend) on the same threads.

Workloads (issue 8): a RandomForestClassifier (500 trees, depth 8) and a
GradientBoostingClassifier (200 trees) fitted on 100,000 rows × 28 features,
predicting 100,000 other rows. For each: conversion time, predict_proba time of
glassbox / scikit-learn and glassbox / Hummingbird (targets <= 0.5 and <= 1.0),
and a check that glassbox's labels and probabilities are scikit-learn's.

    python bench/compile.py [--threads 1] [--markdown] [--no-hummingbird]
    python bench/compile.py --strategies      # the auto strategy's choice against the fastest on a grid

Fitting the forest takes minutes, so the fitted models are cached (with joblib,
the benchmark's own files) in the temporary folder between runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compare, format_time, limit_threads, machine_description, print_table  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "glassbox-bench-compile"
ROWS, FEATURES = 100_000, 28


def data():
    from sklearn.datasets import make_classification

    X, y = make_classification(2 * ROWS, FEATURES, n_informative=14, random_state=0)
    X = X.astype(np.float32)
    return X[:ROWS], y[:ROWS], X[ROWS:]


def cached_model(name: str, build, X, y):
    import joblib

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{name}.joblib"
    if path.exists():
        return joblib.load(path)
    print(f"fitting {name} (cached in {path}) …", flush=True)
    model = build().fit(X, y)
    joblib.dump(model, path)
    return model


def models(X, y):
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

    forest = cached_model("random_forest_500_depth8",
                          lambda: RandomForestClassifier(500, max_depth=8, random_state=0, n_jobs=os.cpu_count()), X, y)
    boosting = cached_model("gradient_boosting_200", lambda: GradientBoostingClassifier(n_estimators=200,
                                                                                         random_state=0), X, y)
    return {"RandomForest 500×d8": forest, "GradientBoosting 200": boosting}


def hummingbird_convert(model):
    try:
        from hummingbird.ml import convert
    except ImportError:
        return None
    return convert(model, "torch")


def timed(function):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def bench_model(name, model, X_test, threads, hummingbird: bool = True):
    """Rows against scikit-learn, against Hummingbird, and the conversion times, for one model."""
    import glassbox.compile as gbc

    if "n_jobs" in model.get_params():
        model.set_params(n_jobs=threads)
    convert_time, compiled = timed(lambda: gbc.convert(model, n_threads=threads))
    report = gbc.check(model, compiled, X_test[:20_000])
    print(f"{name}: strategy {compiled.strategy}, conversion {format_time(convert_time)}; "
          f"{report.changed_label_share:.4%} labels changed, largest difference {report.max_difference:.2g}")
    ours, sklearn_time = compare(lambda: compiled.predict_proba(X_test), lambda: model.predict_proba(X_test),
                                 rounds=3, min_seconds=0.0)
    sklearn_row = (f"{name} predict_proba", ours, sklearn_time, "<= 0.5")
    if not hummingbird:
        return sklearn_row, None, None
    hummingbird_time, hummingbird = timed(lambda: hummingbird_convert(model))
    if hummingbird is None:
        return sklearn_row, None, None
    ours, theirs = compare(lambda: compiled.predict_proba(X_test), lambda: hummingbird.predict_proba(X_test),
                           rounds=3, min_seconds=0.0)
    return (sklearn_row, (f"{name} predict_proba", ours, theirs, "<= 1.0"),
            (f"{name} conversion", convert_time, hummingbird_time))


def run(threads: int, markdown: bool, hummingbird: bool = True) -> None:
    limit_threads(threads)
    X, y, X_test = data()
    print(machine_description(threads))
    rows = [bench_model(name, model, X_test, threads, hummingbird) for name, model in models(X, y).items()]
    print()
    print_table([row[0] for row in rows], "scikit-learn", markdown)
    print()
    if not hummingbird:
        return
    if rows[0][1] is None:
        print("hummingbird-ml is not installed: pip install hummingbird-ml torch==2.13.0")
        return
    print_table([row[1] for row in rows] + [row[2] for row in rows], "hummingbird (torch)", markdown)


def strategy_grid(threads: int) -> None:
    """Each strategy's time on a grid of (depth, trees, features, batch), auto's choice and its distance to the best."""
    from common import time_call
    from sklearn.ensemble import RandomForestRegressor

    import glassbox.compile as gbc

    limit_threads(threads)
    rng = np.random.default_rng(0)
    print(machine_description(threads))
    print("depth trees features batch | gemm  tree_trav  perfect | auto's choice  auto / fastest")
    ratios = []
    for depth in (2, 4, 8, 12):
        for trees in (10, 100):
            for features in (10, 50):
                X = rng.standard_normal((3000, features)).astype(np.float32)
                y = X[:, 0] * 2 + np.sin(3 * X[:, 1]) + rng.standard_normal(3000) * 0.1
                model = RandomForestRegressor(trees, max_depth=depth, max_features=0.5, random_state=0).fit(X, y)
                for batch in (100, 10_000):
                    queries = rng.standard_normal((batch, features)).astype(np.float32)
                    times = {}
                    for strategy in ("gemm", "tree_traversal", "perfect_tree_traversal"):
                        compiled = gbc.convert(model, strategy, batch_size=batch)
                        times[strategy] = time_call(lambda c=compiled, q=queries: c.predict(q), 0.05)
                    choice = gbc.convert(model, batch_size=batch).strategy
                    ratio = times[choice] / min(times.values())
                    ratios.append(ratio)
                    print(f"{depth:5d} {trees:5d} {features:8d} {batch:5d} | "
                          + "  ".join(format_time(times[name]).rjust(9) for name in times)
                          + f" | {choice:22s} {ratio:.2f}", flush=True)
    print(f"auto within 10% of the fastest in {np.mean(np.array(ratios) <= 1.1):.0%} of the cases; "
          f"worst {max(ratios):.2f}×, median {np.median(ratios):.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--strategies", action="store_true", help="time every strategy on a grid instead")
    parser.add_argument("--no-hummingbird", dest="hummingbird", action="store_false",
                        help="skip the (slow) hummingbird rows: scikit-learn ratios and conversion times only")
    args = parser.parse_args()
    if args.strategies:
        strategy_grid(args.threads)
    else:
        run(args.threads, args.markdown, args.hummingbird)


if __name__ == "__main__":
    main()
