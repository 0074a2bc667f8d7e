"""``convert``: a fitted scikit-learn model → a ``CompiledModel`` that predicts with array programs.

    compiled = glassbox.compile.convert(forest)               # strategy="auto", float64 values
    compiled.predict_proba(X)                                 # same numbers as forest.predict_proba(X)
    compiled.save("forest.safetensors"); glassbox.compile.load("forest.safetensors")

The compiled model has the prediction methods the original has (``predict``,
``predict_proba``, ``predict_log_proba``, ``decision_function``, ``transform``,
``score_samples``) and no others. It takes NumPy arrays, CuPy arrays (on a GPU)
and pandas DataFrames. Rows are processed in chunks whose working memory stays
within ``memory_budget`` bytes (or ``batch_size`` rows), so a batch of millions
of rows never needs more memory than one chunk; ``n_threads`` chunks run at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy

from glassbox import backend
from glassbox.compile.operator import METHODS, Operator
from glassbox.compile.registry import UnsupportedModelError, find_converter
from glassbox.ufunc_buffers import small_buffers

TREE_STRATEGIES = ("auto", "gemm", "tree_traversal", "perfect_tree_traversal")
DEFAULT_MEMORY_BUDGET = 64 << 20
MAX_CHUNK_ROWS = 2048  # rows per chunk: longer rows spread NumPy's per-call cost, shorter ones stay in cache


@dataclass
class ConvertOptions:
    """What every converter may read. ``batch_hint``: the rows per chunk the tree cost model plans for."""

    strategy: str = "auto"
    dtype: str = "float64"
    batch_hint: int = MAX_CHUNK_ROWS

    def convert(self, model) -> Operator:
        """Compile a sub-model (a pipeline step, a wrapped estimator) with the same options."""
        return find_converter(model).function(model, self)


def convert(model, strategy: str = "auto", *, dtype: str = "float64", batch_size: int | None = None,
            memory_budget: int = DEFAULT_MEMORY_BUDGET, n_threads: int = 1, device: str = "cpu") -> CompiledModel:
    """Compile a fitted scikit-learn estimator or pipeline.

    strategy: for tree models, "gemm", "tree_traversal", "perfect_tree_traversal", or "auto" (the
        cost model in ``trees/strategy.py`` picks one for the model's depth, tree count, features and
        ``batch_size``). Every strategy gives the same predictions.
    dtype: "float64" (default: the values scikit-learn computes, labels identical) or "float32"
        (faster, smaller; ``check`` tells how far its results move).
    batch_size: most rows per chunk; None sizes chunks by ``memory_budget`` bytes of working memory.
    n_threads: chunks computed at once (NumPy releases the interpreter lock inside its loops).
    device: "cpu" (NumPy) or "cuda" (CuPy).
    """
    if strategy not in TREE_STRATEGIES:
        raise ValueError(f"glassbox.compile.convert: strategy={strategy!r}; expected one of {list(TREE_STRATEGIES)}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"glassbox.compile.convert: dtype={dtype!r}; expected 'float64' or 'float32'")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"glassbox.compile.convert: batch_size must be a positive number of rows, got {batch_size}")
    _check_fitted(model)
    options = ConvertOptions(strategy, dtype, batch_size or MAX_CHUNK_ROWS)
    operator = options.convert(model)
    compiled = CompiledModel(operator, _input_description(model), batch_size, memory_budget, n_threads)
    return compiled.to(device) if backend.normalize_device(device) != "cpu" else compiled


def _check_fitted(model) -> None:
    try:
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted
    except ImportError as error:
        raise ImportError("glassbox.compile needs scikit-learn: pip install 'glassbox[compile]'") from error
    find_converter(model)  # an unsupported model is reported as such, before any other complaint
    if not hasattr(model, "fit"):
        return  # a lightgbm.Booster or xgboost.Booster is no estimator: it only exists trained
    try:
        check_is_fitted(model)
    except NotFittedError as error:
        raise ValueError(f"glassbox.compile.convert: {type(model).__name__} is not fitted: call fit first") from error


def _input_description(model) -> dict:
    names = getattr(model, "feature_names_in_", None)
    return {
        "model": type(model).__name__,
        "n_features": int(getattr(model, "n_features_in_", -1)),
        "feature_names": None if names is None else [str(name) for name in names],
    }


class CompiledModel:
    """A compiled estimator: the original's prediction methods, computed on NumPy or CuPy arrays."""

    def __init__(self, operator: Operator, inputs: dict, batch_size=None, memory_budget=DEFAULT_MEMORY_BUDGET,
                 n_threads: int = 1):
        self.operator = operator
        self.inputs = inputs
        self.batch_size = batch_size
        self.memory_budget = int(memory_budget)
        self.n_threads = max(1, int(n_threads))
        self.device = "cpu"

    @property
    def strategy(self) -> str | None:
        """The tree strategy in use (None for models without trees)."""
        return getattr(self.operator, "strategy", None)

    def to(self, device: str) -> CompiledModel:
        moved = CompiledModel(self.operator.to(backend.normalize_device(device)), self.inputs, self.batch_size,
                              self.memory_budget, self.n_threads)
        moved.device = backend.normalize_device(device)
        return moved

    def save(self, path) -> None:
        from glassbox.compile.serialization import save

        save(self, path)

    def __dir__(self):
        return [name for name in super().__dir__() if name not in METHODS or name in self.operator.methods]

    def __getattribute__(self, name):
        # Only the methods the original model has exist here, so hasattr() answers as it would for it.
        if name in METHODS and name not in object.__getattribute__(self, "operator").methods:
            model = object.__getattribute__(self, "inputs")["model"]
            raise AttributeError(f"the compiled {model} has no {name}(): the original model has none")
        return object.__getattribute__(self, name)

    def predict(self, X):
        return self._run("predict", X)

    def predict_proba(self, X):
        return self._run("predict_proba", X)

    def predict_log_proba(self, X):
        return self._run("predict_log_proba", X)

    def decision_function(self, X):
        return self._run("decision_function", X)

    def transform(self, X):
        return self._run("transform", X)

    def score_samples(self, X):
        return self._run("score_samples", X)

    def rows_per_chunk(self) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return int(max(1, min(MAX_CHUNK_ROWS, self.memory_budget // max(1, self.operator.working_bytes_per_row()))))

    def _run(self, method: str, X):
        X = self._as_input(X)
        function = getattr(self.operator, method)
        rows = self.rows_per_chunk()

        def run_chunk(start):
            with small_buffers():  # set in the thread that runs the chunk: the setting is each thread's own
                return function(X[start : start + rows])

        if len(X) <= rows:
            return run_chunk(0)
        starts = range(0, len(X), rows)
        if self.n_threads > 1:
            with ThreadPoolExecutor(self.n_threads) as pool:
                parts = list(pool.map(run_chunk, starts))
        else:
            parts = [run_chunk(start) for start in starts]
        return _concatenate(parts)

    def _as_input(self, X):
        """A 2-D array of the model's features: numbers as float64 (or as given), mixed columns as objects."""
        model, expected, names = self.inputs["model"], self.inputs["n_features"], self.inputs["feature_names"]
        if hasattr(X, "columns") and hasattr(X, "dtypes"):  # a pandas DataFrame
            if names is not None:
                missing = [name for name in names if name not in set(map(str, X.columns))]
                if missing:
                    raise ValueError(f"compiled {model}: the DataFrame lacks the columns {missing} seen in fit")
                X = X[[column for name in names for column in X.columns if str(column) == name]]
            numeric = all(dtype.kind in "biuf" for dtype in X.dtypes)
            X = X.to_numpy(dtype=numpy.float64 if numeric else object)
        elif not (hasattr(X, "shape") and hasattr(X, "dtype")):
            X = numpy.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"compiled {model}: expected a 2-D array (samples, features), got shape {X.shape}; "
                             "reshape a single sample with X.reshape(1, -1)")
        if expected >= 0 and X.shape[1] != expected:
            raise ValueError(f"compiled {model}: X has {X.shape[1]} features, but the model was fitted with "
                             f"{expected}")
        if X.dtype.kind not in "biufO":
            X = X.astype(object)
        if self.device != "cpu" and X.dtype != object:
            X = backend.to_device(X, self.device)
        return X


def _concatenate(parts):
    first = parts[0]
    if isinstance(first, numpy.ndarray) and first.dtype.kind not in "biuf":
        return numpy.concatenate(parts)
    return backend.module_of(first).concatenate(parts)


__all__ = ["CompiledModel", "ConvertOptions", "UnsupportedModelError", "convert"]
