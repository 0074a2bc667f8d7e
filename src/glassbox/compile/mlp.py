"""Multi-layer perceptrons: the forward pass, layer by layer.

    a_0 = x,   a_l = f(a_{l-1}·W_l + b_l)   (f = identity, logistic, tanh or ReLU)
    output: softmax (multiclass), logistic (binary), identity (regression)
"""

from __future__ import annotations

from glassbox import backend
from glassbox.compile import link
from glassbox.compile.linear import as_numbers
from glassbox.compile.operator import Operator, take_labels
from glassbox.compile.registry import register, unsupported_option

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def activate(values, name: str):
    xp = backend.module_of(values)
    if name == "logistic":
        return link.logistic(values)
    if name == "tanh":
        return xp.tanh(values)
    if name == "relu":
        return xp.maximum(values, 0)
    return values


class Perceptron(Operator):
    """``classes`` None: a regressor; otherwise ``output`` is "softmax" or "logistic" (binary)."""

    fields = ("weights", "biases", "activation", "output", "classes")

    def __init__(self, weights, biases, activation, output, classes):
        self.weights, self.biases, self.activation = list(weights), list(biases), activation
        self.output, self.classes = output, classes
        self.methods = ("predict",) if classes is None else ("predict", "predict_proba", "predict_log_proba")

    def forward(self, X):
        values = as_numbers(X, self.weights[0].dtype)
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            values = values @ weight + bias
            if layer < len(self.weights) - 1:
                values = activate(values, self.activation)
        if self.output == "softmax":
            return link.softmax(values)
        return activate(values, self.output)

    def predict_proba(self, X):
        output = self.forward(X)
        return link.two_columns(output[:, 0]) if output.shape[1] == 1 else output

    def predict_log_proba(self, X):
        return link.safe_log(self.predict_proba(X))

    def predict(self, X):
        output = self.forward(X)
        if self.classes is None:
            return output[:, 0] if output.shape[1] == 1 else output
        if output.shape[1] == 1:
            return take_labels(self.classes, (output[:, 0] > 0.5).astype("int64"))
        return take_labels(self.classes, output.argmax(axis=1))


def _layers(model, options):
    if model.activation not in ACTIVATIONS:
        raise unsupported_option(model, "activation", model.activation, ACTIVATIONS)
    weights = [weight.astype(options.dtype) for weight in model.coefs_]
    return weights, [bias.astype(options.dtype) for bias in model.intercepts_]


@register("MLPClassifier", family="neural network", notes="binary and multiclass")
def convert_mlp_classifier(model, options):
    if model.out_activation_ not in ("softmax", "logistic") or (
            model.out_activation_ == "logistic" and len(model.classes_) > 2):
        raise unsupported_option(model, "targets", "multilabel", ["binary", "multiclass"])
    return Perceptron(*_layers(model, options), model.activation, model.out_activation_, model.classes_)


@register("MLPRegressor", family="neural network")
def convert_mlp_regressor(model, options):
    return Perceptron(*_layers(model, options), model.activation, "identity", None)
