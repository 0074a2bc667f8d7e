"""Pipeline and ColumnTransformer: compiled operators composed.

    Pipeline            f_n(… f_2(f_1(x)))   every step but the last transforms; the last gives the methods
    ColumnTransformer   [g_1(x[:, S_1]) | g_2(x[:, S_2]) | …]   each transformer on its columns, side by side

A DataFrame with string columns arrives as an object array; each transformer
takes its columns, so a OneHotEncoder reads the strings and a scaler the numbers.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.operator import Operator
from glassbox.compile.registry import UnsupportedModelError, register

PREDICTION_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "score_samples")


class Chain(Operator):
    fields = ("steps",)

    def __init__(self, steps):
        self.steps = list(steps)
        self.methods = tuple(self.steps[-1].methods) if self.steps else ("transform",)

    def _features(self, X):
        for step in self.steps[:-1]:
            X = step.transform(X)
        return X

    def __getattr__(self, name):
        if name in PREDICTION_METHODS + ("transform",) and name in self.__dict__.get("methods", ()):
            final = getattr(self.steps[-1], name)
            return lambda X: final(self._features(X))
        raise AttributeError(name)

    def working_bytes_per_row(self) -> int:
        return sum(step.working_bytes_per_row() for step in self.steps)


class Identity(Operator):
    methods = ("transform",)

    def transform(self, X):
        return X


@register("Pipeline", family="composition", notes="'passthrough' steps included")
def convert_pipeline(model, options):
    named = [(name, options.convert(step)) for name, step in model.steps if step is not None and step != "passthrough"]
    for name, step in named[:-1]:
        if "transform" not in step.methods:
            raise UnsupportedModelError(f"glassbox.compile: Pipeline step {name!r} has no transform, so it can "
                                        "only be the last step")
    steps = [step for _, step in named]
    return Chain(steps or [Identity()])


class Columns(Operator):
    """``parts``: (operator, input columns) pairs whose outputs are placed side by side."""

    fields = ("transformers", "columns")
    methods = ("transform",)

    def __init__(self, transformers, columns):
        self.transformers, self.columns = list(transformers), list(columns)

    def transform(self, X):
        outputs = []
        for transformer, columns in zip(self.transformers, self.columns, strict=True):
            outputs.append(_numbers(transformer.transform(X[:, columns])))
        xp = backend.module_of(outputs[0]) if outputs else numpy
        if not outputs:
            return xp.zeros((len(X), 0))
        return xp.concatenate(outputs, axis=1)

    def working_bytes_per_row(self) -> int:
        return sum(transformer.working_bytes_per_row() for transformer in self.transformers)


def _numbers(values):
    """Passed-through object columns become numbers once they meet the others, as in scikit-learn's hstack."""
    return values.astype(numpy.float64) if values.dtype == object else values


@register("ColumnTransformer", family="composition", notes="column indices, names, masks; remainder; dense output")
def convert_column_transformer(model, options):
    transformers, columns = [], []
    indices = model._transformer_to_input_indices
    for name, transformer, _ in model.transformers_:
        if transformer == "drop" or len(indices.get(name, ())) == 0:
            continue
        transformers.append(Identity() if transformer == "passthrough" else options.convert(transformer))
        columns.append(numpy.asarray(indices[name], dtype=numpy.int64))
    if any(type(part).__name__ == "Chain" and "transform" not in part.methods for part in transformers):
        raise UnsupportedModelError("glassbox.compile: a ColumnTransformer part must be a transformer")
    return Columns(transformers, columns)


@register("FunctionTransformer", family="composition", notes="func=None (the identity: 'passthrough' columns)")
def convert_function_transformer(model, options):
    if model.func is not None:
        raise UnsupportedModelError(
            f"glassbox.compile: FunctionTransformer(func={getattr(model.func, '__name__', model.func)!r}) runs "
            "arbitrary Python and cannot be compiled; supported: func=None"
        )
    return Identity()
