"""A multi-layer perceptron: the notes' artificial neural network for tabular data.

Each hidden layer is the notes' neuron applied many times at once,

    h = Act(x Wᵀ + b)          (N, in) @ (in, out) → (N, out)

and the last layer gives one score (logit) per class; the softmax that turns
scores into probabilities is left to the loss (``cross_entropy``), which is
more stable.
"""

from __future__ import annotations

from glassbox import nn


def _activation(activation):
    if isinstance(activation, str):
        from glassbox.nn.activation import get_activation

        return get_activation(activation)()
    if isinstance(activation, type):
        return activation()
    return activation


class MLP(nn.Module):
    """``in_features`` → ``hidden_features`` (one Linear + activation each) → ``out_features``.

    Args:
        activation: a name ("relu", "leaky_relu", "tanh", "gelu", …), a module class or an instance.
        dropout: dropout probability after each hidden activation (0 for none).
        batch_norm: BatchNorm1d between each hidden Linear and its activation.
    """

    def __init__(self, in_features: int, hidden_features=(128,), out_features: int = 10, activation="relu",
                 dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        layers = []
        width = in_features
        for hidden in hidden_features:
            layers.append(nn.Linear(width, hidden))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(_activation(activation))
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(width, out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x.flatten(1) if x.ndim > 2 else x)  # (N, …) → (N, in_features) → (N, out_features)
