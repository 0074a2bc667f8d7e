"""Scalers, Normalizer, Binarizer, SimpleImputer and PolynomialFeatures as column-wise array operations.

    StandardScaler   (x - mean) / scale            RobustScaler  (x - center) / scale
    MinMaxScaler     x · scale + min  (clipped to feature_range with clip=True)
    MaxAbsScaler     x / max|x|
    Normalizer       x / ‖x‖  per row (l1, l2 or max norm; a zero row stays zero)
    Binarizer        [x > threshold]
    SimpleImputer    x if present else the column's statistic (mean, median, most frequent, constant)
    PolynomialFeatures  every monomial  Π_j x_j^(p_j)  of degree ≤ d, in scikit-learn's column order

Each operation runs in scikit-learn's order (subtract, then divide …), so
results agree to the last bit or nearly.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.linear import as_numbers
from glassbox.compile.operator import Operator
from glassbox.compile.registry import UnsupportedModelError, register, unsupported_option


class ColumnArithmetic(Operator):
    """A sequence of column-wise ``operations`` ("subtract", "divide", "multiply", "add") with ``operands``."""

    fields = ("operations", "operands", "clip", "dtype")
    methods = ("transform",)

    def __init__(self, operations, operands, clip, dtype):
        self.operations, self.operands, self.clip, self.dtype = list(operations), list(operands), clip, dtype

    def transform(self, X):
        xp = backend.module_of(X) if X.dtype != object else numpy
        result = as_numbers(X, self.dtype).copy()
        for operation, operand in zip(self.operations, self.operands, strict=True):
            getattr(xp, operation)(result, operand, out=result)
        if self.clip is not None:
            xp.clip(result, self.clip[0], self.clip[1], out=result)
        return result


def _float_dtype(options, reference) -> str:
    return str(numpy.result_type(numpy.asarray(reference).dtype, options.dtype))


@register("StandardScaler", family="preprocessing")
def convert_standard_scaler(model, options):
    operations, operands = [], []
    if model.with_mean:
        operations.append("subtract")
        operands.append(numpy.asarray(model.mean_, dtype=options.dtype))
    if model.with_std:
        operations.append("divide")
        operands.append(numpy.asarray(model.scale_, dtype=options.dtype))
    return ColumnArithmetic(operations, operands, None, options.dtype)


@register("RobustScaler", family="preprocessing")
def convert_robust_scaler(model, options):
    operations, operands = [], []
    if model.center_ is not None:
        operations.append("subtract")
        operands.append(numpy.asarray(model.center_, dtype=options.dtype))
    if model.scale_ is not None:
        operations.append("divide")
        operands.append(numpy.asarray(model.scale_, dtype=options.dtype))
    return ColumnArithmetic(operations, operands, None, options.dtype)


@register("MinMaxScaler", family="preprocessing")
def convert_min_max_scaler(model, options):
    operands = [numpy.asarray(model.scale_, dtype=options.dtype), numpy.asarray(model.min_, dtype=options.dtype)]
    clip = [float(model.feature_range[0]), float(model.feature_range[1])] if model.clip else None
    return ColumnArithmetic(["multiply", "add"], operands, clip, options.dtype)


@register("MaxAbsScaler", family="preprocessing")
def convert_max_abs_scaler(model, options):
    return ColumnArithmetic(["divide"], [numpy.asarray(model.scale_, dtype=options.dtype)], None, options.dtype)


class RowNormalizer(Operator):
    fields = ("norm", "dtype")
    methods = ("transform",)

    def __init__(self, norm, dtype):
        self.norm, self.dtype = norm, dtype

    def transform(self, X):
        X = as_numbers(X, self.dtype)
        xp = backend.module_of(X)
        if self.norm == "l2":
            norms = xp.sqrt(xp.einsum("ij,ij->i", X, X))
        elif self.norm == "l1":
            norms = xp.abs(X).sum(axis=1)
        else:
            norms = xp.abs(X).max(axis=1) if X.shape[1] else xp.zeros(len(X), X.dtype)
        norms = xp.where(norms == 0, 1.0, norms)
        return X / norms[:, None]


@register("Normalizer", family="preprocessing", notes="l1, l2 and max norms")
def convert_normalizer(model, options):
    return RowNormalizer(model.norm, options.dtype)


class Threshold(Operator):
    fields = ("threshold", "dtype")
    methods = ("transform",)

    def __init__(self, threshold, dtype):
        self.threshold, self.dtype = float(threshold), dtype

    def transform(self, X):
        X = as_numbers(X, self.dtype)
        return (X > self.threshold).astype(X.dtype)


@register("Binarizer", family="preprocessing")
def convert_binarizer(model, options):
    return Threshold(model.threshold, options.dtype)


class Imputer(Operator):
    """Replace ``missing`` (NaN when None) by each column's ``statistics``, then keep ``columns``."""

    fields = ("statistics", "missing", "columns", "dtype")
    methods = ("transform",)

    def __init__(self, statistics, missing, columns, dtype):
        self.statistics, self.missing, self.columns, self.dtype = statistics, missing, columns, dtype

    def transform(self, X):
        X = as_numbers(X, self.dtype)
        xp = backend.module_of(X)
        absent = xp.isnan(X) if self.missing is None else X == self.missing
        return xp.where(absent, self.statistics, X)[:, self.columns]


@register("SimpleImputer", family="preprocessing", notes="numeric columns; every strategy")
def convert_simple_imputer(model, options):
    if model.add_indicator:
        raise unsupported_option(model, "add_indicator", True, [False])
    statistics = numpy.asarray(model.statistics_)
    if statistics.dtype == object:  # strategy="constant" stores its numbers as objects
        try:
            statistics = statistics.astype(numpy.float64)
        except (TypeError, ValueError):
            pass
    if statistics.dtype.kind not in "biuf":
        raise UnsupportedModelError(
            f"glassbox.compile: SimpleImputer fitted on non-numeric columns (statistics {statistics[:3]}…) is not "
            "supported; supported: numeric columns"
        )
    missing = model.missing_values
    missing = None if isinstance(missing, float) and missing != missing else float(missing)
    keep = numpy.ones(len(statistics), bool) if model.keep_empty_features else ~numpy.isnan(statistics)
    # A kept empty column is filled with 0 (or fill_value for strategy="constant"), as scikit-learn does.
    statistics = numpy.where(numpy.isnan(statistics), 0.0, statistics).astype(options.dtype)
    return Imputer(statistics, missing, numpy.flatnonzero(keep), options.dtype)


class Monomials(Operator):
    """Products of input columns: ``factors[d]`` lists, for each output column of degree d, its d features."""

    fields = ("order", "factors", "bias", "dtype")
    methods = ("transform",)

    def __init__(self, order, factors, bias, dtype):
        self.order = order  # output position of each column, degree by degree
        self.factors = list(factors)  # per degree d ≥ 1: (columns of degree d, d) int64, features ascending
        self.bias, self.dtype = bool(bias), dtype

    def transform(self, X):
        X = as_numbers(X, self.dtype)
        xp = backend.module_of(X)
        blocks = [xp.ones((len(X), 1), dtype=X.dtype)] if self.bias else []
        for factors in self.factors:
            # x_a·(x_b·(x_c)): scikit-learn multiplies a lower-degree column by the smallest feature last.
            product = X[:, factors[:, -1]]
            for position in range(factors.shape[1] - 2, -1, -1):
                product = X[:, factors[:, position]] * product
            blocks.append(product)
        stacked = xp.concatenate(blocks, axis=1) if blocks else xp.zeros((len(X), 0), X.dtype)
        return stacked[:, self.order]


@register("PolynomialFeatures", family="preprocessing")
def convert_polynomial_features(model, options):
    powers = numpy.asarray(model.powers_)
    degrees = powers.sum(axis=1)
    bias = bool((degrees == 0).any())
    factors, positions = [], [numpy.flatnonzero(degrees == 0)]
    for degree in range(1, int(degrees.max(initial=0)) + 1):
        rows = numpy.flatnonzero(degrees == degree)
        if len(rows) == 0:
            continue
        factors.append(numpy.asarray([numpy.repeat(numpy.arange(powers.shape[1]), powers[row]) for row in rows]))
        positions.append(rows)
    order = numpy.argsort(numpy.concatenate(positions), kind="stable")
    return Monomials(order, factors, bias, options.dtype)
