"""OneHotEncoder and OrdinalEncoder: categories → codes → one-hot columns or numbers.

For each input column with fitted categories ``c_0 … c_{k-1}``:

    code(x) = j where x == c_j (NaN matches a NaN category), -1 for an unknown value
    one-hot:  [code(x) == j] for j = 0 … k-1, without the dropped category
    ordinal:  code(x), or unknown_value / encoded_missing_value

Numeric categories are compared on the array module of the input (a GPU
included); string categories are looked up on the CPU with a binary search over
the sorted categories.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.operator import Operator
from glassbox.compile.registry import UnsupportedModelError, register, unsupported_option

MISSING_KEY = "\x00nan"


def category_codes(column, categories):
    """Codes (n,) int64 of ``column`` against ``categories``: the index of the match, -1 when none."""
    if categories.dtype.kind in "biuf" and column.dtype != object:
        xp = backend.module_of(column)
        values = column.astype(numpy.float64)
        known = xp.asarray(categories, dtype=numpy.float64)
        matches = (values[:, None] == known[None, :]) | (xp.isnan(values)[:, None] & xp.isnan(known)[None, :])
        return xp.where(matches.any(axis=1), matches.argmax(axis=1), -1)
    column = numpy.asarray(backend.to_numpy(column), dtype=object)
    strings = numpy.array([_category_key(value) for value in column], dtype=object)
    keys = numpy.array([_category_key(value) for value in categories], dtype=object)
    order = numpy.argsort(keys)
    sorted_keys = keys[order]
    position = numpy.clip(numpy.searchsorted(sorted_keys, strings), 0, max(len(keys) - 1, 0))
    found = sorted_keys[position] == strings if len(keys) else numpy.zeros(len(strings), bool)
    return numpy.where(found, order[position] if len(keys) else -1, -1).astype(numpy.int64)


def _category_key(value) -> str:
    """A sortable key that tells types apart; NaN and None are categories of their own, as in scikit-learn."""
    if value is None:
        return "\x00none"
    if isinstance(value, float) and value != value:
        return MISSING_KEY
    if isinstance(value, str):
        return "s" + value
    return "n" + repr(float(value)) if isinstance(value, int | float | numpy.number) else "o" + repr(value)


def _raise_unknown(model_name, feature, column, codes):
    unknown = numpy.asarray(backend.to_numpy(column))[backend.to_numpy(codes) < 0]
    raise ValueError(f"compiled {model_name}: found unknown categories {list(unknown[:5])} in column {feature} "
                     "(the encoder was fitted with handle_unknown='error')")


class OneHot(Operator):
    fields = ("categories", "dropped", "unknown_is_error", "dtype")
    methods = ("transform",)

    def __init__(self, categories, dropped, unknown_is_error, dtype):
        self.categories = list(categories)  # per feature: (k,) categories
        self.dropped = list(dropped)  # per feature: the dropped category's index, or -1
        self.unknown_is_error, self.dtype = bool(unknown_is_error), dtype

    def transform(self, X):
        blocks = []
        for feature, (categories, dropped) in enumerate(zip(self.categories, self.dropped, strict=True)):
            codes = category_codes(X[:, feature], categories)
            xp = backend.module_of(codes)
            if self.unknown_is_error and bool((codes < 0).any()):
                _raise_unknown("OneHotEncoder", feature, X[:, feature], codes)
            kept = xp.asarray([j for j in range(len(categories)) if j != dropped], dtype=numpy.int64)
            blocks.append((codes[:, None] == kept[None, :]).astype(self.dtype))
        xp = backend.module_of(blocks[0]) if blocks else numpy
        return xp.concatenate(blocks, axis=1) if blocks else xp.zeros((len(X), 0), self.dtype)


def _no_infrequent(model):
    if getattr(model, "_infrequent_enabled", False):
        raise UnsupportedModelError(
            f"glassbox.compile: {type(model).__name__} with infrequent categories (min_frequency / max_categories) "
            "is not supported; supported: min_frequency=None, max_categories=None"
        )


@register("OneHotEncoder", family="preprocessing", notes="numeric or string categories; drop; dense output")
def convert_one_hot_encoder(model, options):
    _no_infrequent(model)
    if model.handle_unknown not in ("error", "ignore", "infrequent_if_exist"):
        raise unsupported_option(model, "handle_unknown", model.handle_unknown, ["error", "ignore"])
    drop = model.drop_idx_
    dropped = [-1 if drop is None or drop[i] is None else int(drop[i]) for i in range(len(model.categories_))]
    dtype = numpy.dtype(model.dtype).name if numpy.dtype(model.dtype).kind == "f" else options.dtype
    return OneHot(list(model.categories_), dropped, model.handle_unknown == "error", dtype)


class Ordinal(Operator):
    fields = ("categories", "unknown_value", "missing_value", "unknown_is_error", "dtype")
    methods = ("transform",)

    def __init__(self, categories, unknown_value, missing_value, unknown_is_error, dtype):
        self.categories = list(categories)
        self.unknown_value, self.missing_value = float(unknown_value), float(missing_value)
        self.unknown_is_error, self.dtype = bool(unknown_is_error), dtype

    def transform(self, X):
        columns = []
        for feature, categories in enumerate(self.categories):
            codes = category_codes(X[:, feature], categories)
            xp = backend.module_of(codes)
            if self.unknown_is_error and bool((codes < 0).any()):
                _raise_unknown("OrdinalEncoder", feature, X[:, feature], codes)
            values = xp.where(codes < 0, self.unknown_value, codes.astype(self.dtype))
            missing = [j for j, value in enumerate(categories) if _category_key(value) == MISSING_KEY]
            if missing:
                values = xp.where(codes == missing[0], self.missing_value, values)
            columns.append(values.astype(self.dtype))
        xp = backend.module_of(columns[0]) if columns else numpy
        return xp.stack(columns, axis=1) if columns else xp.zeros((len(X), 0), self.dtype)


@register("OrdinalEncoder", family="preprocessing", notes="numeric or string categories; unknown and missing values")
def convert_ordinal_encoder(model, options):
    _no_infrequent(model)
    unknown = model.unknown_value if model.handle_unknown == "use_encoded_value" else numpy.nan
    dtype = numpy.dtype(model.dtype).name if numpy.dtype(model.dtype).kind == "f" else options.dtype
    return Ordinal(list(model.categories_), unknown, model.encoded_missing_value, model.handle_unknown == "error",
                   dtype)
