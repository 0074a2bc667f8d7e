"""Feature selection: keep the columns the fitted selector chose (``get_support()``)."""

from __future__ import annotations

import numpy

from glassbox.compile.operator import Operator
from glassbox.compile.registry import register


class SelectColumns(Operator):
    fields = ("columns",)
    methods = ("transform",)

    def __init__(self, columns):
        self.columns = columns  # (kept,) int64, ascending

    def transform(self, X):
        return X[:, self.columns]


@register("SelectKBest", "SelectPercentile", "VarianceThreshold", "SelectFromModel", family="feature selection")
def convert_selector(model, options):
    return SelectColumns(numpy.flatnonzero(model.get_support()).astype(numpy.int64))
