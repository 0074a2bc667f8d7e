"""Decision trees, random forests, extra trees and gradient boosting as compiled tree ensembles.

Every ensemble is ``per-tree outputs → sum in tree order → head``:

    forest (classifier)   P = (Σ_t P_t) / T          P_t = the leaf's class fractions
    forest (regressor)    y = (Σ_t y_t) / T
    gradient boosting     s = s_0 + Σ_t η · v_t       s_0 = the initial estimator's raw score
    hist. gradient boost. s = baseline + Σ_t v_t      (η already in the leaf values)
                          then P = logistic(s) (binary), softmax(s) (multiclass), y = link⁻¹(s)

The sums run tree after tree, in scikit-learn's order, starting from the same
value, so each partial sum rounds exactly as scikit-learn's does and a tie
between two classes breaks the same way.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.compile import link
from glassbox.compile.operator import Operator, take_labels
from glassbox.compile.registry import UnsupportedModelError, register, unsupported_option
from glassbox.compile.trees.strategy import build_evaluator
from glassbox.compile.trees.structure import from_hist_predictor, from_sklearn_tree

BOOSTING_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
FOREST_NOTE = "every strategy; missing values"


def sum_in_order(evaluator, Z, initial, outputs: int, dtype, space=None):
    """``((initial + tree_0) + tree_1) + …`` for every sample; ``initial`` None starts from 0 (0 + x = x exactly).

    ``space``: the ``FeatureSpace`` that made ``Z``, when known: the traversals then leave its NaN → -inf
    copies of the features out of their lookups in chunks without missing values (``structure.fold_copies``).
    """
    xp = backend.module_of(Z)
    if initial is None:
        total = xp.zeros((Z.shape[1], outputs), dtype=dtype)
    else:
        total = xp.repeat(xp.asarray(initial, dtype=dtype).reshape(1, outputs), Z.shape[1], axis=0)
    copied = space.n_features if space is not None and space.missing_left_rows else 0
    evaluator.accumulate(Z, total, copied)
    return total


class TreeEnsemble(Operator):
    """The shared part: the feature space and the per-tree evaluator of one strategy."""

    def total(self, X, initial=None):
        """The ordered sum of the trees' outputs, (n, outputs)."""
        return sum_in_order(self.evaluator, self.space(X), initial, self.evaluator.outputs, self.evaluator.dtype,
                            self.space)

    @property
    def strategy(self) -> str:
        return self.evaluator.strategy

    def working_bytes_per_row(self) -> int:
        return self.evaluator.working_bytes_per_row() + self.space.rows * 16


class ForestClassifier(TreeEnsemble):
    fields = ("space", "evaluator", "classes", "tree_count")
    methods = ("predict", "predict_proba", "predict_log_proba")

    def __init__(self, space, evaluator, classes, tree_count):
        self.space, self.evaluator, self.classes, self.tree_count = space, evaluator, classes, int(tree_count)

    def predict_proba(self, X):
        total = self.total(X)
        return total / self.tree_count if self.tree_count > 1 else total

    def predict_log_proba(self, X):
        return link.safe_log(self.predict_proba(X))

    def predict(self, X):
        return take_labels(self.classes, self.predict_proba(X).argmax(axis=1))


class ForestRegressor(TreeEnsemble):
    fields = ("space", "evaluator", "tree_count")
    methods = ("predict",)

    def __init__(self, space, evaluator, tree_count):
        self.space, self.evaluator, self.tree_count = space, evaluator, int(tree_count)

    def predict(self, X):
        total = self.total(X)
        total = total / self.tree_count if self.tree_count > 1 else total
        return total[:, 0] if total.shape[1] == 1 else total


class BoostingClassifier(TreeEnsemble):
    """Raw scores ``s`` from boosting; ``link`` is "logistic", "logistic_half" (exponential loss) or "softmax"."""

    fields = ("space", "evaluator", "initial", "classes", "link_name", "binary_threshold_inclusive", "methods")

    def __init__(self, space, evaluator, initial, classes, link_name, binary_threshold_inclusive, methods):
        self.space, self.evaluator, self.initial, self.classes = space, evaluator, initial, classes
        self.methods = tuple(methods)  # HistGradientBoostingClassifier has no predict_log_proba
        self.link_name = link_name
        self.binary_threshold_inclusive = bool(binary_threshold_inclusive)

    def raw(self, X):
        return self.total(X, self.initial)  # (n, trees per iteration)

    def decision_function(self, X):
        scores = self.raw(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        scores = self.raw(X)
        if self.link_name == "softmax":
            return link.softmax(scores)
        scale = 2.0 if self.link_name == "logistic_half" else 1.0
        return link.two_columns(link.logistic(scale * scores[:, 0]))

    def predict_log_proba(self, X):
        return link.safe_log(self.predict_proba(X))

    def predict(self, X):
        scores = self.raw(X)
        if scores.shape[1] == 1:
            # scikit-learn's GradientBoostingClassifier says class 1 at s >= 0, HistGradientBoosting at s > 0.
            positive = scores[:, 0] >= 0 if self.binary_threshold_inclusive else scores[:, 0] > 0
            return take_labels(self.classes, positive.astype(numpy.int64))
        return take_labels(self.classes, scores.argmax(axis=1))


class BoostingRegressor(TreeEnsemble):
    fields = ("space", "evaluator", "initial", "link_name")
    methods = ("predict",)

    def __init__(self, space, evaluator, initial, link_name):
        self.space, self.evaluator, self.initial, self.link_name = space, evaluator, initial, link_name

    def predict(self, X):
        scores = self.total(X, self.initial)[:, 0]
        if self.link_name == "exp":
            return backend.module_of(scores).exp(scores)
        return scores


# ---- converters ------------------------------------------------------------------------------------
def _single_output(model):
    if getattr(model, "n_outputs_", 1) != 1:
        raise UnsupportedModelError(
            f"glassbox.compile: {type(model).__name__} with {model.n_outputs_} outputs (multi-output "
            "classification) is not supported; supported: one output"
        )


def _class_fractions(tree) -> numpy.ndarray:
    """Per-node class probabilities: scikit-learn stores a leaf's class fractions in ``tree_.value``."""
    return numpy.asarray(tree.value[:, 0, :], dtype=numpy.float64)


def _methods_of(model) -> tuple[str, ...]:
    return tuple(name for name in BOOSTING_METHODS if hasattr(model, name))


def _evaluator(trees, model, options, input_dtype="float32"):
    return build_evaluator(trees, model.n_features_in_, input_dtype, options.dtype, options.strategy,
                           options.batch_hint)


@register("DecisionTreeClassifier", "ExtraTreeClassifier", family="trees", notes=FOREST_NOTE)
def convert_tree_classifier(model, options):
    _single_output(model)
    trees = [from_sklearn_tree(model.tree_, _class_fractions(model.tree_))]
    return ForestClassifier(*_evaluator(trees, model, options), model.classes_, 1)


@register("DecisionTreeRegressor", "ExtraTreeRegressor", family="trees", notes=FOREST_NOTE)
def convert_tree_regressor(model, options):
    trees = [from_sklearn_tree(model.tree_, model.tree_.value[:, :, 0])]
    return ForestRegressor(*_evaluator(trees, model, options), 1)


@register("RandomForestClassifier", "ExtraTreesClassifier", family="trees", notes=FOREST_NOTE)
def convert_forest_classifier(model, options):
    _single_output(model)
    trees = [from_sklearn_tree(tree.tree_, _class_fractions(tree.tree_)) for tree in model.estimators_]
    return ForestClassifier(*_evaluator(trees, model, options), model.classes_, len(trees))


@register("RandomForestRegressor", "ExtraTreesRegressor", family="trees", notes=FOREST_NOTE)
def convert_forest_regressor(model, options):
    trees = [from_sklearn_tree(tree.tree_, tree.tree_.value[:, :, 0]) for tree in model.estimators_]
    return ForestRegressor(*_evaluator(trees, model, options), len(trees))


def _gradient_boosting_trees(model):
    """Trees in scikit-learn's order (stage, then class), leaf values already multiplied by η."""
    init = model.init_
    if not (init == "zero" or type(init).__name__ in ("DummyClassifier", "DummyRegressor")):
        raise unsupported_option(model, "init", init, ["None (the default prior)", "'zero'"])
    initial = model._raw_predict_init(numpy.zeros((1, model.n_features_in_), dtype=numpy.float32))[0]
    trees = [
        from_sklearn_tree(stage[k].tree_, model.learning_rate * stage[k].tree_.value[:, 0, 0])
        for stage in model.estimators_
        for k in range(model.estimators_.shape[1])
    ]
    # Tree t adds to output k = t mod K: spread each tree's value into its own column.
    per_iteration = model.estimators_.shape[1]
    for index, tree in enumerate(trees):
        widened = numpy.zeros((len(tree.values), per_iteration))
        widened[:, index % per_iteration] = tree.values[:, 0]
        tree.values = widened
    return trees, numpy.asarray(initial, dtype=numpy.float64)[None, :]


@register("GradientBoostingClassifier", family="trees", notes="log_loss and exponential losses; " + FOREST_NOTE)
def convert_gradient_boosting_classifier(model, options):
    trees, initial = _gradient_boosting_trees(model)
    loss = type(model._loss).__name__
    names = {"HalfBinomialLoss": "logistic", "ExponentialLoss": "logistic_half", "HalfMultinomialLoss": "softmax"}
    if loss not in names:
        raise unsupported_option(model, "loss", model.loss, ["log_loss", "exponential"])
    space, evaluator = _evaluator(trees, model, options)
    return BoostingClassifier(space, evaluator, initial.astype(options.dtype), model.classes_, names[loss], True,
                              _methods_of(model))


@register("GradientBoostingRegressor", family="trees", notes="every loss; " + FOREST_NOTE)
def convert_gradient_boosting_regressor(model, options):
    trees, initial = _gradient_boosting_trees(model)
    space, evaluator = _evaluator(trees, model, options)
    return BoostingRegressor(space, evaluator, initial.astype(options.dtype), "identity")


def _hist_preprocessor(model, options):
    """The ordinal encoding of categorical columns that HistGradientBoosting applies first, or None.

    scikit-learn places the encoded categorical columns first and the numeric ones after them.
    """
    if getattr(model, "_preprocessor", None) is None:
        return None
    from glassbox.compile.pipeline import Columns, Identity

    columns = model._preprocessor._transformer_to_input_indices
    encoder = options.convert(model._preprocessor.named_transformers_["encoder"])
    return Columns([encoder, Identity()], [numpy.asarray(columns["encoder"], numpy.int64),
                                           numpy.asarray(columns["numerical"], numpy.int64)])


def _hist_trees(model):
    known_bitsets, feature_map = model._bin_mapper.make_known_categories_bitsets()
    categorical = model._bin_mapper.is_categorical
    categorical = numpy.zeros(0, bool) if categorical is None else numpy.asarray(categorical, bool)
    known = {int(feature): known_bitsets[feature_map[feature]] for feature in numpy.flatnonzero(categorical)}
    trees = []
    per_iteration = model.n_trees_per_iteration_
    for iteration in model._predictors:
        for k, predictor in enumerate(iteration):
            tree = from_hist_predictor(predictor, known)
            widened = numpy.zeros((len(tree.values), per_iteration))
            widened[:, k] = tree.values[:, 0]
            tree.values = widened
            trees.append(tree)
    initial = numpy.asarray(model._baseline_prediction, dtype=numpy.float64).reshape(1, per_iteration)
    return trees, initial


@register("HistGradientBoostingClassifier", family="trees",
          notes="categorical splits; " + FOREST_NOTE)
def convert_hist_gradient_boosting_classifier(model, options):
    trees, initial = _hist_trees(model)
    space, evaluator = _evaluator(trees, model, options, input_dtype="float64")
    name = "softmax" if initial.shape[1] > 1 else "logistic"
    boosting = BoostingClassifier(space, evaluator, initial.astype(options.dtype), model.classes_, name, False,
                                  _methods_of(model))
    return _after(_hist_preprocessor(model, options), boosting)


@register("HistGradientBoostingRegressor", family="trees",
          notes="identity and log links; categorical splits; " + FOREST_NOTE)
def convert_hist_gradient_boosting_regressor(model, options):
    trees, initial = _hist_trees(model)
    link_name = {"IdentityLink": "identity", "LogLink": "exp"}.get(type(model._loss.link).__name__)
    if link_name is None:
        raise unsupported_option(model, "loss", model.loss, ["squared_error", "absolute_error", "quantile",
                                                             "poisson", "gamma"])
    space, evaluator = _evaluator(trees, model, options, input_dtype="float64")
    boosting = BoostingRegressor(space, evaluator, initial.astype(options.dtype), link_name)
    return _after(_hist_preprocessor(model, options), boosting)


def _after(preprocessor, model):
    if preprocessor is None:
        return model
    from glassbox.compile.pipeline import Chain

    return Chain([preprocessor, model])
