"""XGBoost's boosted trees (``XGBClassifier``, ``XGBRegressor``, ``xgboost.Booster``) as compiled ensembles.

The trees are read from XGBoost's own JSON model, ``booster.save_raw("json")``;
the learning rate is already in their leaf values. XGBoost reads the features
as float32 and a node with ``split_condition`` ``c`` sends ``x`` left when
``x < c``, a missing value (NaN) to its ``missing`` side. In the compiled
trees' test "right ⇔ x > t" that is ``t = c↓``, the float32 just below ``c``:
for float32 ``x``, ``x >= c ⇔ x > c↓``, so the two take the same branches.

XGBoost adds the trees in float32, tree after tree, starting from the base
margin, and so does the compiled model (whatever ``dtype`` was asked for):

    m_k = b_k + Σ_t v_t          over the trees t of class k (``tree_info``), in XGBoost's order
    binary:logistic   P(class 1) = 1 / (1 + e^(-m)),   label 1 ⇔ P > 0.5
    multi:softprob    P = softmax(m),                  label = argmax P
    reg:…             y = m;     count:poisson   y = e^m

in float32 as well, each ``e^x`` the float32 nearest to it (numpy's float32
``exp`` is often one unit in the last place away from XGBoost's).

The base margin ``b`` is the one XGBoost derives from ``base_score`` (its logit
for binary:logistic, its log for count:poisson): a copy of the model with every
leaf set to 0 predicts it, so it is XGBoost's number to the last bit.
"""

from __future__ import annotations

import json

import numpy

from glassbox import backend
from glassbox.compile import link
from glassbox.compile.operator import take_labels
from glassbox.compile.registry import UnsupportedModelError, register, unsupported_option
from glassbox.compile.trees.ensembles import TreeEnsemble, sum_in_order
from glassbox.compile.trees.strategy import build_evaluator
from glassbox.compile.trees.structure import TreeArrays

LINKS = {"binary:logistic": "logistic", "multi:softprob": "softmax", "reg:squarederror": "identity",
         "reg:absoluteerror": "identity", "reg:pseudohubererror": "identity", "count:poisson": "exp"}
NOTES = "every strategy; missing values"


class XGBoostModel(TreeEnsemble):
    """Margins of an XGBoost ensemble and the predictions of the estimator (or Booster) it came from.

    ``classes`` is None for a regressor and for a Booster, whose ``predict`` gives the
    probabilities (binary: of class 1) or the values.
    """

    fields = ("space", "evaluator", "initial", "n_features", "classes", "link_name", "methods")

    def __init__(self, space, evaluator, initial, n_features, classes, link_name, methods):
        self.space, self.evaluator, self.initial = space, evaluator, initial  # initial: (1, classes) float32
        self.n_features, self.classes, self.link_name = int(n_features), classes, link_name
        self.methods = tuple(methods)

    def margin(self, X):
        """The margins ``m``, (n, classes) float32."""
        if X.shape[1] != self.n_features:
            raise ValueError(f"compiled XGBoost model: X has {X.shape[1]} features, the booster was trained "
                             f"with {self.n_features}")
        return sum_in_order(self.evaluator, self.space(X), self.initial, self.evaluator.outputs,
                            self.evaluator.dtype)

    def outputs(self, X):
        """What ``Booster.predict`` returns: probabilities or values, one column per class when several."""
        margins = self.margin(X)
        if self.link_name == "softmax":
            exponentials = _exp(margins - margins.max(axis=1, keepdims=True))  # (n, classes)
            return exponentials / exponentials.sum(axis=1, keepdims=True, dtype=numpy.float64).astype(numpy.float32)
        margins = margins[:, 0]
        if self.link_name == "logistic":
            return numpy.float32(1.0) / (numpy.float32(1.0) + _exp(-margins))
        return _exp(margins) if self.link_name == "exp" else margins

    def predict_proba(self, X):
        probabilities = self.outputs(X)
        return probabilities if probabilities.ndim == 2 else link.two_columns(probabilities)

    def predict(self, X):
        outputs = self.outputs(X)
        if self.classes is None:
            return outputs
        index = outputs.argmax(axis=1) if outputs.ndim == 2 else (outputs > 0.5).astype(numpy.int64)
        return take_labels(self.classes, index)


def _exp(values):
    """e^x of float32 values, rounded from float64: the float32 nearest e^x, as XGBoost's expf almost always gives."""
    xp = backend.module_of(values)
    with numpy.errstate(over="ignore"):  # beyond float32's range XGBoost's expf gives inf as well
        return xp.exp(values.astype(numpy.float64)).astype(numpy.float32)


def _read_tree(tree: dict, classes: int, output: int) -> TreeArrays:
    """One tree of the JSON model, nodes renumbered depth-first from the root (parents before children)."""
    children_left, children_right = tree["left_children"], tree["right_children"]
    if any(kind != 0 for kind in tree["split_type"]):
        raise UnsupportedModelError("glassbox.compile: XGBoost models with categorical splits "
                                    "(enable_categorical=True) are not supported; supported: numerical splits")
    if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
        raise UnsupportedModelError("glassbox.compile: XGBoost models with vector leaves "
                                    "(multi_strategy='multi_output_tree') are not supported; supported: "
                                    "multi_strategy='one_output_per_tree'")
    order, stack = [], [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if children_left[node] >= 0:
            stack.extend((children_right[node], children_left[node]))
    position = {node: index for index, node in enumerate(order)}
    order = numpy.asarray(order, numpy.int64)
    left = numpy.asarray(children_left, numpy.int64)[order]
    leaf = left < 0
    right = numpy.asarray(children_right, numpy.int64)[order]
    condition = numpy.asarray(tree["split_conditions"], numpy.float32)[order]
    # x < c goes left; for float32 x that is x <= c↓, the float32 below c.
    below = numpy.nextafter(condition, numpy.float32(-numpy.inf)).astype(numpy.float64)
    values = numpy.zeros((len(order), classes))
    values[leaf, output] = condition[leaf]
    return TreeArrays(
        left=numpy.where(leaf, -1, [position.get(int(node), -1) for node in left]),
        right=numpy.where(leaf, -1, [position.get(int(node), -1) for node in right]),
        feature=numpy.where(leaf, 0, numpy.asarray(tree["split_indices"], numpy.int64)[order]),
        threshold=numpy.where(leaf, 0.0, below),
        missing_left=numpy.asarray(tree["default_left"], bool)[order] & ~leaf,
        values=values,
    )


def _base_margin(booster, n_features: int) -> numpy.ndarray:
    """(1, classes) float32: what the model predicts as margin once every leaf is 0."""
    import xgboost

    zeroed = json.loads(booster.save_raw("json"))
    for tree in zeroed["learner"]["gradient_booster"]["model"]["trees"]:
        tree["split_conditions"] = [0.0 if child < 0 else condition for child, condition in
                                    zip(tree["left_children"], tree["split_conditions"], strict=True)]
    copy = xgboost.Booster(model_file=bytearray(json.dumps(zeroed), "utf-8"))
    row = xgboost.DMatrix(numpy.zeros((1, n_features), numpy.float32))
    margin = copy.predict(row, output_margin=True, validate_features=False)  # the row has no feature names
    return numpy.asarray(margin, numpy.float32).reshape(1, -1)


def _iterations_used(model, indptr) -> int:
    """Trees that ``predict`` uses: those up to the best iteration after early stopping, else all."""
    if type(model).__name__ == "Booster":
        return indptr[-1]
    try:
        best = model.best_iteration
    except AttributeError:
        return indptr[-1]
    return indptr[best + 1]


@register("XGBClassifier", family="trees", library="xgboost", notes="binary:logistic and multi:softprob; " + NOTES)
@register("XGBRegressor", family="trees", library="xgboost",
          notes="reg:squarederror, reg:absoluteerror, reg:pseudohubererror, count:poisson; " + NOTES)
@register("Booster", family="trees", library="xgboost",
          notes="predict, as Booster.predict; the objectives of the two estimators")
def convert_xgboost(model, options):
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    name = type(model).__name__
    missing = getattr(model, "missing", numpy.nan)
    if not (missing is None or numpy.isnan(missing)):
        raise unsupported_option(model, "missing", missing, [numpy.nan])
    learner = json.loads(booster.save_raw("json"))["learner"]
    gradient_booster = learner["gradient_booster"]
    if gradient_booster["name"] != "gbtree":
        raise unsupported_option(model, "booster", gradient_booster["name"], ["gbtree"])
    objective = learner["objective"]["name"]
    link_name = LINKS.get(objective)
    classifier = name == "XGBClassifier"
    if link_name is None or (name != "Booster" and classifier != (link_name in ("logistic", "softmax"))):
        supported = [key for key, value in LINKS.items() if (value in ("logistic", "softmax")) == classifier]
        raise unsupported_option(model, "objective", objective, supported if name != "Booster" else list(LINKS))
    parameters = learner["learner_model_param"]
    n_features = int(parameters["num_feature"])
    classes = max(1, int(parameters["num_class"]))
    forest = gradient_booster["model"]
    if forest.get("cats", {}).get("enc"):
        raise UnsupportedModelError(f"glassbox.compile: {name} trained on pandas categorical columns is not "
                                    "supported; supported: numerical features")
    used = _iterations_used(model, forest["iteration_indptr"])
    trees = [_read_tree(tree, classes, int(group))
             for tree, group in zip(forest["trees"][:used], forest["tree_info"][:used], strict=True)]
    initial = _base_margin(booster, n_features)
    space, evaluator = build_evaluator(trees, n_features, "float32", "float32", options.strategy,
                                       options.batch_hint)
    methods = tuple(method for method in ("predict", "predict_proba") if hasattr(model, method))
    labels = numpy.asarray(model.classes_) if classifier else None
    return XGBoostModel(space, evaluator, initial, n_features, labels, link_name, methods)
