"""``check``: how far a compiled model's answers are from the original's on given data.

    report = check(model, compiled, X)
    report.max_difference          # largest |compiled - original| over every numeric output
    report.changed_label_share     # share of rows whose predicted label differs
    print(report)                  # one line per method

Every prediction method the two share is run on ``X``: numeric outputs
(probabilities, scores, regression values, transforms) are compared by their
largest absolute difference, labels by the share of rows that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy

from glassbox import backend
from glassbox.compile.operator import METHODS


@dataclass
class MethodCheck:
    method: str
    max_difference: float | None = None  # numeric outputs
    changed_label_share: float | None = None  # label outputs

    def __str__(self) -> str:
        if self.changed_label_share is not None:
            return f"{self.method}: {self.changed_label_share:.4%} of labels changed"
        return f"{self.method}: largest difference {self.max_difference:.3g}"


@dataclass
class CheckReport:
    model: str
    rows: int
    methods: list[MethodCheck] = field(default_factory=list)

    @property
    def max_difference(self) -> float:
        values = [item.max_difference for item in self.methods if item.max_difference is not None]
        return max(values, default=0.0)

    @property
    def changed_label_share(self) -> float:
        values = [item.changed_label_share for item in self.methods if item.changed_label_share is not None]
        return max(values, default=0.0)

    def __str__(self) -> str:
        lines = [f"check of the compiled {self.model} on {self.rows} rows:"]
        lines += [f"  {item}" for item in self.methods]
        return "\n".join(lines)


def _is_labels(values: numpy.ndarray, method: str, model) -> bool:
    if values.dtype.kind not in "fc":
        return True
    return method == "predict" and (hasattr(model, "classes_") or getattr(model, "_estimator_type", "") in
                                    ("classifier", "clusterer", "outlier_detector"))


def check(model, compiled, X) -> CheckReport:
    """Compare every prediction method ``model`` and ``compiled`` share on ``X``."""
    report = CheckReport(type(model).__name__, len(X))
    for method in METHODS:
        if not (hasattr(model, method) and hasattr(compiled, method)):
            continue
        expected = numpy.asarray(getattr(model, method)(X))
        actual = backend.to_numpy(getattr(compiled, method)(X))
        if hasattr(expected, "toarray"):
            expected = expected.toarray()
        if expected.shape != actual.shape:
            raise ValueError(f"check: {method} of the compiled {report.model} has shape {actual.shape}, "
                             f"the original's {expected.shape}")
        if _is_labels(expected, method, model):
            share = float(numpy.mean(expected != actual)) if expected.size else 0.0
            report.methods.append(MethodCheck(method, changed_label_share=share))
        else:
            with numpy.errstate(invalid="ignore"):
                difference = numpy.abs(expected.astype(numpy.float64) - actual.astype(numpy.float64))
            same_infinity = (expected == actual) | (numpy.isnan(expected) & numpy.isnan(actual))
            difference = numpy.where(same_infinity, 0.0, difference)
            largest = float(numpy.nan_to_num(difference, nan=numpy.inf).max()) if difference.size else 0.0
            report.methods.append(MethodCheck(method, max_difference=largest))
    return report
