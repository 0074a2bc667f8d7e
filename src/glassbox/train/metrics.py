"""Metrics: plain functions on predictions and targets, and streaming versions for ``fit``.

The functions take glassbox Tensors or NumPy arrays. Classification metrics accept
either class scores/logits of shape (N, C) (the class is the argmax) or class
labels of shape (N,); for binary problems, scores of shape (N,) or (N, 1) are
thresholded at 0.5 when they are probabilities in [0, 1], else at 0 (logits).

    accuracy   = correct / N
    precision  = TP / (TP + FP)       recall = TP / (TP + FN)
    F1         = 2 · precision · recall / (precision + recall)
    MSE        = mean((y - ŷ)²)       MAE = mean(|y - ŷ|)
    R²         = 1 - sum((y - ŷ)²) / sum((y - mean(y))²)
"""

from __future__ import annotations

import numpy


def _array(values) -> numpy.ndarray:
    from glassbox import backend
    from glassbox.tensor import Tensor

    if isinstance(values, Tensor):
        values = values.data
    return backend.to_numpy(values) if not isinstance(values, numpy.ndarray) else values


def predicted_labels(outputs) -> numpy.ndarray:
    """Class labels from scores (N, C), binary scores (N,)/(N, 1), or labels already."""
    outputs = _array(outputs)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    outputs = outputs.reshape(-1)
    if outputs.dtype.kind in "iub":
        return outputs.astype(numpy.int64)
    threshold = 0.5 if outputs.size and outputs.min() >= 0 and outputs.max() <= 1 else 0.0
    return (outputs > threshold).astype(numpy.int64)


def _labels(targets) -> numpy.ndarray:
    targets = _array(targets)
    if targets.ndim == 2 and targets.shape[1] > 1:  # one-hot or probabilities
        return targets.argmax(axis=1)
    return targets.reshape(-1).astype(numpy.int64)


def accuracy(outputs, targets) -> float:
    predicted, truth = predicted_labels(outputs), _labels(targets)
    if predicted.shape != truth.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions for {truth.shape[0]} targets")
    return float((predicted == truth).mean()) if truth.size else float("nan")


def top_k_accuracy(outputs, targets, k: int = 5) -> float:
    scores, truth = _array(outputs), _labels(targets)
    if scores.ndim != 2:
        raise ValueError(f"top_k_accuracy: needs scores of shape (N, C), got {scores.shape}")
    k = min(k, scores.shape[1])
    top = numpy.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float((top == truth[:, None]).any(axis=1).mean())


def confusion_matrix(outputs, targets, num_classes: int | None = None) -> numpy.ndarray:
    """Counts[i, j] = number of samples of true class i predicted as class j."""
    predicted, truth = predicted_labels(outputs), _labels(targets)
    if num_classes is None:
        num_classes = int(max(predicted.max(initial=0), truth.max(initial=0))) + 1
    counts = numpy.zeros((num_classes, num_classes), dtype=numpy.int64)
    numpy.add.at(counts, (truth, predicted), 1)
    return counts


def _precision_recall_from_counts(counts: numpy.ndarray, average: str):
    true_positive = numpy.diag(counts).astype(numpy.float64)
    predicted_positive = counts.sum(axis=0)
    actual_positive = counts.sum(axis=1)
    if average == "micro":
        total = counts.sum()
        value = true_positive.sum() / total if total else 0.0
        return value, value
    with numpy.errstate(divide="ignore", invalid="ignore"):
        precision = numpy.where(predicted_positive > 0, true_positive / predicted_positive, 0.0)
        recall = numpy.where(actual_positive > 0, true_positive / actual_positive, 0.0)
    if average == "binary":
        return float(precision[1]) if len(precision) > 1 else 0.0, float(recall[1]) if len(recall) > 1 else 0.0
    if average == "macro":
        return float(precision.mean()), float(recall.mean())
    if average == "weighted":
        weights = actual_positive / max(actual_positive.sum(), 1)
        return float((precision * weights).sum()), float((recall * weights).sum())
    if average == "none":
        return precision, recall
    raise ValueError(f"average must be 'binary', 'micro', 'macro', 'weighted' or 'none', got {average!r}")


def precision(outputs, targets, average: str = "macro", num_classes: int | None = None):
    return _precision_recall_from_counts(confusion_matrix(outputs, targets, num_classes), average)[0]


def recall(outputs, targets, average: str = "macro", num_classes: int | None = None):
    return _precision_recall_from_counts(confusion_matrix(outputs, targets, num_classes), average)[1]


def f1_score(outputs, targets, average: str = "macro", num_classes: int | None = None):
    """F1 per class then averaged (macro), as scikit-learn's ``f1_score``."""
    counts = confusion_matrix(outputs, targets, num_classes)
    if average in ("micro",):
        p, r = _precision_recall_from_counts(counts, "micro")
        return 2 * p * r / (p + r) if p + r else 0.0
    p, r = _precision_recall_from_counts(counts, "none")
    with numpy.errstate(divide="ignore", invalid="ignore"):
        per_class = numpy.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    if average == "binary":
        return float(per_class[1]) if len(per_class) > 1 else 0.0
    if average == "macro":
        return float(per_class.mean())
    if average == "weighted":
        support = counts.sum(axis=1)
        return float((per_class * support).sum() / max(support.sum(), 1))
    if average == "none":
        return per_class
    raise ValueError(f"average must be 'binary', 'micro', 'macro', 'weighted' or 'none', got {average!r}")


def _regression_pair(outputs, targets):
    predicted, truth = _array(outputs).astype(numpy.float64), _array(targets).astype(numpy.float64)
    if predicted.size != truth.size:
        raise ValueError(f"regression metric: {predicted.size} predictions for {truth.size} targets")
    return predicted.reshape(truth.shape), truth


def mean_squared_error(outputs, targets) -> float:
    predicted, truth = _regression_pair(outputs, targets)
    return float(((predicted - truth) ** 2).mean())


def mean_absolute_error(outputs, targets) -> float:
    predicted, truth = _regression_pair(outputs, targets)
    return float(numpy.abs(predicted - truth).mean())


def r2_score(outputs, targets) -> float:
    predicted, truth = _regression_pair(outputs, targets)
    residual = ((truth - predicted) ** 2).sum()
    total = ((truth - truth.mean(axis=0)) ** 2).sum()
    return float(1 - residual / total) if total else 0.0


# ---- streaming metrics: accumulate over batches, compute once per epoch --------------------------------------
class Metric:
    """Collects (outputs, targets) over an epoch and computes one number from all of them."""

    name = "metric"

    def __init__(self, function=None, name: str | None = None, **options):
        self.function = function
        self.options = options
        if name is not None:
            self.name = name
        self.reset()

    def reset(self) -> None:
        self.outputs, self.targets = [], []

    def update(self, outputs, targets) -> None:
        self.outputs.append(_array(outputs))
        self.targets.append(_array(targets))

    def compute(self) -> float:
        if not self.outputs:
            return float("nan")
        outputs = numpy.concatenate(self.outputs)
        targets = numpy.concatenate(self.targets)
        return self.function(outputs, targets, **self.options)


class Accuracy(Metric):
    """Running accuracy without keeping the predictions: correct and seen counts."""

    name = "accuracy"

    def reset(self) -> None:
        self.correct, self.seen = 0, 0

    def update(self, outputs, targets) -> None:
        predicted, truth = predicted_labels(outputs), _labels(targets)
        self.correct += int((predicted == truth).sum())
        self.seen += truth.size

    def compute(self) -> float:
        return self.correct / self.seen if self.seen else float("nan")


METRICS = {
    "accuracy": lambda: Accuracy(),
    "acc": lambda: Accuracy(),
    "top5_accuracy": lambda: Metric(top_k_accuracy, "top5_accuracy", k=5),
    "precision": lambda: Metric(precision, "precision"),
    "recall": lambda: Metric(recall, "recall"),
    "f1": lambda: Metric(f1_score, "f1"),
    "mse": lambda: Metric(mean_squared_error, "mse"),
    "mae": lambda: Metric(mean_absolute_error, "mae"),
    "r2": lambda: Metric(r2_score, "r2"),
}


def get_metric(metric) -> Metric:
    """A Metric from a name ("accuracy", "f1", "mse" …), a Metric, or a function f(outputs, targets)."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        try:
            return METRICS[metric]()
        except KeyError:
            raise ValueError(f"unknown metric {metric!r}; known: {', '.join(sorted(METRICS))}") from None
    if callable(metric):
        return Metric(metric, getattr(metric, "__name__", "metric"))
    raise TypeError(f"a metric must be a name, a Metric or a function, got {type(metric).__name__}")
