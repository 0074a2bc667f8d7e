"""OneVsRestClassifier: one binary classifier per class, the highest score wins.

    score_k(x) = decision_k(x)   (or P_k(class 1 | x) when the binary model has no decision function)
    label = classes[argmax_k score_k]      P_k = p_k / Σ_j p_j
"""

from __future__ import annotations

from glassbox import backend
from glassbox.compile.operator import Operator, take_labels
from glassbox.compile.registry import UnsupportedModelError, register


class OneVsRest(Operator):
    fields = ("estimators", "classes")

    def __init__(self, estimators, classes):
        self.estimators, self.classes = list(estimators), classes
        shared = set.intersection(*(set(estimator.methods) for estimator in self.estimators))
        self.methods = ("predict",) + tuple(name for name in ("predict_proba", "decision_function") if name in shared)

    def _scores(self, X, method):
        if method == "decision_function":
            columns = [estimator.decision_function(X).reshape(-1) for estimator in self.estimators]
        else:
            columns = [estimator.predict_proba(X)[:, 1] for estimator in self.estimators]
        return backend.module_of(columns[0]).stack(columns, axis=1)  # (n, estimators)

    def decision_function(self, X):
        scores = self._scores(X, "decision_function")
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        positive = self._scores(X, "predict_proba")
        xp = backend.module_of(positive)
        if positive.shape[1] == 1:
            positive = xp.concatenate([1 - positive, positive], axis=1)
        total = positive.sum(axis=1, keepdims=True)
        return xp.where(total != 0, positive / xp.where(total != 0, total, 1.0), positive)

    def predict(self, X):
        method = "decision_function" if "decision_function" in self.methods else "predict_proba"
        scores = self._scores(X, method)
        if scores.shape[1] == 1:
            threshold = 0.0 if method == "decision_function" else 0.5
            return take_labels(self.classes, (scores[:, 0] > threshold).astype("int64"))
        return take_labels(self.classes, scores.argmax(axis=1))


@register("OneVsRestClassifier", family="linear", notes="one-vs-rest over any supported binary classifier")
def convert_one_vs_rest(model, options):
    if model.multilabel_:
        raise UnsupportedModelError("glassbox.compile: OneVsRestClassifier on multilabel targets is not supported; "
                                    "supported: binary and multiclass targets")
    estimators = []
    for estimator in model.estimators_:
        if type(estimator).__name__ == "_ConstantPredictor":
            raise UnsupportedModelError("glassbox.compile: OneVsRestClassifier with a class present in every (or no) "
                                        "training row is not supported")
        estimators.append(options.convert(estimator))
    return OneVsRest(estimators, model.classes_)
