"""IsolationForest: anomaly scores from the depth at which each tree isolates a sample.

    h_t(x) = (splits on the path to x's leaf) + c(samples in the leaf) - 1
    c(m)   = 2·(ln(m - 1) + γ) - 2·(m - 1)/m        (the average depth of an unsuccessful search)
    score(x) = -2^(-Σ_t h_t(x) / (T · c(max_samples)))      decision = score - offset,  outlier ⇔ decision < 0

``h_t`` depends only on the leaf, so each leaf stores it (from scikit-learn's
per-tree tables) and the forest is evaluated like any other tree ensemble.
A tree that was grown on a subset of the features reads its splits' features
through that subset.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile.registry import register
from glassbox.compile.trees.ensembles import TreeEnsemble
from glassbox.compile.trees.strategy import build_evaluator
from glassbox.compile.trees.structure import from_sklearn_tree


class IsolationScores(TreeEnsemble):
    fields = ("space", "evaluator", "denominator", "offset")
    methods = ("predict", "decision_function", "score_samples")

    def __init__(self, space, evaluator, denominator, offset):
        self.space, self.evaluator = space, evaluator
        self.denominator, self.offset = float(denominator), float(offset)

    def score_samples(self, X):
        depths = self.total(X)[:, 0]
        xp = backend.module_of(depths)
        if self.denominator == 0:  # a forest fitted on a single sample scores every row 1
            return -xp.ones_like(depths)
        return -(2 ** (-(depths / self.denominator)))

    def decision_function(self, X):
        return self.score_samples(X) - self.offset

    def predict(self, X):
        decision = self.decision_function(X)
        xp = backend.module_of(decision)
        return xp.where(decision < 0, -1, 1)


@register("IsolationForest", family="trees", notes="score_samples, decision_function, predict")
def convert_isolation_forest(model, options):
    from sklearn.ensemble._iforest import _average_path_length

    trees = []
    for index, (estimator, features) in enumerate(zip(model.estimators_, model.estimators_features_, strict=True)):
        leaf_depth = model._decision_path_lengths[index] + model._average_path_length_per_tree[index] - 1.0
        tree = from_sklearn_tree(estimator.tree_, leaf_depth)
        tree.feature = numpy.asarray(features, dtype=numpy.int64)[tree.feature]
        trees.append(tree)
    denominator = len(model.estimators_) * _average_path_length([model._max_samples])[0]
    space, evaluator = build_evaluator(trees, model.n_features_in_, "float32", options.dtype, options.strategy,
                                       options.batch_hint)
    return IsolationScores(space, evaluator, denominator, model.offset_)



