"""LightGBM's boosted trees (``LGBMClassifier``, ``LGBMRegressor``, ``lightgbm.Booster``) as compiled ensembles.

The trees are read from LightGBM's own JSON dump, ``booster.dump_model()``; the
learning rate and the initial score (``boost_from_average``) are already in its
leaf values. LightGBM compares float64 features with float64 thresholds, and so
does the compiled form. A numerical node with threshold ``t`` decides

    missing_type "None"   NaN is read as 0                     left ⇔ 0 <= t
    missing_type "NaN"    NaN goes to the default side          (default_left)
    missing_type "Zero"   NaN and every |x| <= 1e-35 go to the default side
    any other x           left ⇔ x <= t

"Zero" can send the zeros across the threshold (``t < 0`` with zeros to the
left, say), which no single comparison does: such a node reads a copy of its
feature in which the zeros have become NaN, and then follows the "NaN" rule.
A categorical node sends ``x`` left when ``trunc(x)`` is one of its categories,
everything else (NaN, negative codes, unknown categories) right.

The scores and what follows them, as LightGBM's ``predict``:

    s_k = Σ_t v_t       over the trees t of class k, in LightGBM's order (the raw score)
    boosting="rf"       s_k ← s_k / iterations before the link (the raw score stays the sum)
    binary       P(class 1) = 1 / (1 + e^(-σ·s))      σ = the objective's sigmoid parameter
    multiclass   P = softmax(s)
    regression   y = s, or e^s for poisson, gamma and tweedie
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile import link
from glassbox.compile.operator import Operator, take_labels
from glassbox.compile.registry import UnsupportedModelError, register
from glassbox.compile.trees.ensembles import TreeEnsemble, sum_in_order
from glassbox.compile.trees.strategy import build_evaluator
from glassbox.compile.trees.structure import CATEGORY_LIMIT, TreeArrays

ZERO_THRESHOLD = float(numpy.float32(1e-35))  # LightGBM's kZeroThreshold: |x| <= this counts as zero
LINKS = {"binary": "logistic", "multiclass": "softmax", "regression": "identity", "regression_l1": "identity",
         "huber": "identity", "quantile": "identity", "poisson": "exp", "gamma": "exp", "tweedie": "exp"}
NOTES = "categorical splits; every strategy; missing values"


class LightGBMInputs(Operator):
    """``X`` (n, F) → ``[X | copies of the zero-as-missing features with the zeros as NaN]`` (n, F + Z).

    Categorical columns are truncated toward zero, as LightGBM casts them to int:
    ``-0.5`` is category 0 there.
    """

    fields = ("zero_features", "categorical_features")
    methods = ("transform",)

    def __init__(self, zero_features, categorical_features):
        self.zero_features = zero_features  # (Z,) int64
        self.categorical_features = categorical_features  # (C,) int64

    def transform(self, X):
        xp = backend.module_of(X)
        X = X.astype(numpy.float64, copy=True)
        if len(self.categorical_features):
            X[:, self.categorical_features] = xp.trunc(X[:, self.categorical_features])
        if not len(self.zero_features):
            return X
        copies = X[:, self.zero_features]  # (n, Z)
        copies = xp.where(xp.abs(copies) <= ZERO_THRESHOLD, xp.nan, copies)
        return xp.concatenate([X, copies], axis=1)


class LightGBMModel(TreeEnsemble):
    """Scores of a LightGBM ensemble and the predictions of the estimator (or Booster) it came from.

    ``classes`` is None for a regressor and for a Booster, whose ``predict`` gives the
    probabilities (binary: of class 1) or the values.
    """

    fields = ("inputs", "space", "evaluator", "n_features", "classes", "link_name", "sigmoid", "iterations",
              "methods")

    def __init__(self, inputs, space, evaluator, n_features, classes, link_name, sigmoid, iterations, methods):
        self.inputs, self.space, self.evaluator = inputs, space, evaluator
        self.n_features, self.classes, self.link_name = int(n_features), classes, link_name
        self.sigmoid = float(sigmoid)
        self.iterations = int(iterations)  # boosting="rf" averages the iterations: divide by this; 0 otherwise
        self.methods = tuple(methods)

    def raw(self, X):
        """The scores ``s``, (n, trees per iteration)."""
        if X.shape[1] != self.n_features:
            raise ValueError(f"compiled LightGBM model: X has {X.shape[1]} features, the booster was trained "
                             f"with {self.n_features}")
        features = self.inputs.transform(X) if self.inputs is not None else X
        return sum_in_order(self.evaluator, self.space(features), None, self.evaluator.outputs, self.evaluator.dtype)

    def outputs(self, X):
        """What ``Booster.predict`` returns: probabilities or values, one column per class when several."""
        scores = self.raw(X)
        if self.iterations:  # boosting="rf": the raw scores are sums, the predictions follow from their mean
            scores = scores / self.iterations
        xp = backend.module_of(scores)
        if self.link_name == "softmax":
            return link.softmax(scores)
        scores = scores[:, 0]
        with numpy.errstate(over="ignore"):  # e^s beyond the float range is inf there too: P = 0, y = inf
            if self.link_name == "logistic":
                return 1.0 / (1.0 + xp.exp(-self.sigmoid * scores))
            return xp.exp(scores) if self.link_name == "exp" else scores

    def decision_function(self, X):
        scores = self.raw(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        probabilities = self.outputs(X)
        return probabilities if probabilities.ndim == 2 else link.two_columns(probabilities)

    def predict(self, X):
        if self.classes is None:
            return self.outputs(X)
        return take_labels(self.classes, self.predict_proba(X).argmax(axis=1))


def _read_tree(structure: dict, n_features: int, zero_columns: dict[int, int], per_iteration: int,
               output: int) -> TreeArrays:
    """One tree of the dump, nodes numbered depth-first (parents before children)."""
    nodes, left, right = [], [], []
    stack = [(structure, -1, left)]
    while stack:
        node, parent, side = stack.pop()
        index = len(nodes)
        nodes.append(node)
        left.append(-1)
        right.append(-1)
        if parent >= 0:
            side[parent] = index
        if "split_index" in node:
            stack.append((node["right_child"], index, right))
            stack.append((node["left_child"], index, left))
    count = len(nodes)
    feature = numpy.zeros(count, numpy.int64)
    threshold = numpy.zeros(count)
    missing_left = numpy.zeros(count, bool)
    values = numpy.zeros((count, per_iteration))
    category_left = {}
    for index, node in enumerate(nodes):
        if "split_index" not in node:
            if "leaf_const" in node:
                raise UnsupportedModelError("glassbox.compile: LightGBM models with linear_tree=True are not "
                                            "supported; supported: linear_tree=False (constant leaves)")
            values[index, output] = node["leaf_value"]
            continue
        feature[index] = node["split_feature"]
        if node["decision_type"] == "==":
            categories = numpy.asarray([int(value) for value in str(node["threshold"]).split("||")])
            if categories.max() >= CATEGORY_LIMIT:
                raise UnsupportedModelError(
                    f"glassbox.compile: a LightGBM categorical split on feature {feature[index]} sends category "
                    f"{categories.max()} left; supported: category codes 0 to {CATEGORY_LIMIT - 1}")
            table = numpy.zeros(CATEGORY_LIMIT + 1, bool)  # NaN, negative and unknown codes go right
            table[categories] = True
            category_left[index] = table
            continue
        threshold[index] = node["threshold"]
        missing = node["missing_type"]
        if missing == "None":
            missing_left[index] = 0.0 <= threshold[index]
        else:
            missing_left[index] = bool(node["default_left"])
            if missing == "Zero":
                feature[index] = zero_columns.setdefault(int(feature[index]), n_features + len(zero_columns))
    return TreeArrays(numpy.asarray(left, numpy.int64), numpy.asarray(right, numpy.int64), feature, threshold,
                      missing_left, values, category_left or None)


def _categorical_features(trees) -> list[int]:
    return sorted({int(tree.feature[node]) for tree in trees for node in (tree.category_left or {})})


def _link_of(model, objective: str) -> tuple[str, float]:
    """(link name, sigmoid parameter) of the dump's objective string, e.g. "binary sigmoid:1"."""
    name, *parameters = objective.split()
    if name not in LINKS or any(parameter == "sqrt" for parameter in parameters):
        raise UnsupportedModelError(
            f"glassbox.compile: {type(model).__name__} with objective {objective!r} is not supported; supported: "
            f"{', '.join(LINKS)} (without reg_sqrt)")
    sigmoid = 1.0
    for parameter in parameters:
        key, _, value = parameter.partition(":")
        if key == "sigmoid":
            sigmoid = float(value)
    return LINKS[name], sigmoid


@register("LGBMClassifier", family="trees", library="lightgbm", notes="binary and multiclass; " + NOTES)
@register("LGBMRegressor", family="trees", library="lightgbm",
          notes="regression, regression_l1, huber, quantile, poisson, gamma, tweedie; " + NOTES)
@register("Booster", family="trees", library="lightgbm",
          notes="predict, as Booster.predict; the objectives of the two estimators")
def convert_lightgbm(model, options):
    booster = getattr(model, "booster_", model)
    dump = booster.dump_model()
    if dump.get("pandas_categorical"):
        raise UnsupportedModelError(
            f"glassbox.compile: {type(model).__name__} trained on pandas categorical columns is not supported; "
            "supported: categorical features given as integer codes (categorical_feature=[…])")
    link_name, sigmoid = _link_of(model, dump["objective"])
    classifier = type(model).__name__ == "LGBMClassifier"
    if classifier != (link_name in ("logistic", "softmax")) and type(model).__name__ != "Booster":
        raise UnsupportedModelError(
            f"glassbox.compile: {type(model).__name__} with objective {dump['objective']!r} is not supported; "
            "supported: binary and multiclass for LGBMClassifier, the regression objectives for LGBMRegressor")
    n_features = int(dump["max_feature_idx"]) + 1
    per_iteration = int(dump["num_tree_per_iteration"])
    zero_columns: dict[int, int] = {}
    trees = [_read_tree(info["tree_structure"], n_features, zero_columns, per_iteration, index % per_iteration)
             for index, info in enumerate(dump["tree_info"])]
    categorical = _categorical_features(trees)
    inputs = None
    if zero_columns or categorical:
        inputs = LightGBMInputs(numpy.asarray(list(zero_columns), numpy.int64), numpy.asarray(categorical,
                                                                                               numpy.int64))
    space, evaluator = build_evaluator(trees, n_features + len(zero_columns), "float64", options.dtype,
                                       options.strategy, options.batch_hint)
    iterations = len(trees) // per_iteration if dump.get("average_output") else 0
    methods = tuple(name for name in ("predict", "predict_proba", "decision_function") if hasattr(model, name))
    classes = getattr(model, "classes_", None) if classifier else None
    return LightGBMModel(inputs, space, evaluator, n_features, classes, link_name, sigmoid, iterations, methods)
