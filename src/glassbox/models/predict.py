"""Prediction helpers shared by the zoo's classifiers: probabilities and labels from a model's logits.

A classifier's ``forward`` returns logits z (the loss applies the softmax, more stably); for
predictions the softmax turns them into probabilities,

    p_k = e^{z_k} / Σ_j e^{z_j},        label = argmax_k p_k = argmax_k z_k,

computed in evaluation mode (dropout off, batch norm on its running statistics) without
recording a graph; the model's mode is restored afterwards. A model whose ``softmax``
attribute is True (built with ``softmax=True``) already returns probabilities.
"""

from __future__ import annotations

from glassbox.autograd import no_grad
from glassbox.tensor import Tensor


def _logits(model, x) -> Tensor:
    if not isinstance(x, Tensor):
        x = Tensor(x)
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad():
            return model(x)
    finally:
        for module, training in modes:
            module.training = training


def predict_proba(model, x) -> Tensor:
    """(N, …) inputs → (N, classes) probabilities, each row summing to 1."""
    outputs = _logits(model, x)
    return outputs if getattr(model, "softmax", False) is True else outputs.softmax(-1)


def predict(model, x) -> Tensor:
    """(N, …) inputs → (N,) class indices: the largest logit of each row."""
    return _logits(model, x).argmax(-1)
