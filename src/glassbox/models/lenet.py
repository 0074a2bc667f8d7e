"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998): the convolutional network that read bank cheques.

    (N, 1, 32, 32) → C1 conv 5×5, 6 maps   → (N, 6, 28, 28)      28 = (32 + 2·0 − 5) / 1 + 1
                   → S2 pool 2×2           → (N, 6, 14, 14)
                   → C3 conv 5×5, 16 maps  → (N, 16, 10, 10)     10 = (14 − 5) / 1 + 1
                   → S4 pool 2×2           → (N, 16, 5, 5)
                   → C5 conv 5×5, 120 maps → (N, 120, 1, 1)      a 5×5 filter over a 5×5 map: fully connected
                   → F6 linear 84          → (N, 84)
                   → output linear 10      → (N, 10) logits

The original squashes with tanh and subsamples by averaging; ``activation="relu"`` and
``pooling="max"`` give the modern variant. Three simplifications, as in most reimplementations:
C3 connects every S2 map to every C3 map (the paper wires each of the 16 maps to a subset of
3 to 6 of the 6 inputs, 1 516 weights instead of 2 416), S2/S4 are plain pooling without the
paper's trainable coefficient and bias per map, and the output layer is a Linear layer where
the paper had Euclidean radial basis units. That gives 61 706 parameters.

``padding=2`` on C1 lets 28×28 MNIST digits in unchanged (28 + 2·2 = 32).
"""

from __future__ import annotations

from glassbox import nn

from .predict import predict_proba

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
_POOLINGS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


class LeNet5(nn.Module):
    """LeNet-5: ``features`` (C1 S2 C3 S4 C5) and ``classifier`` (F6, output); ``forward`` gives logits.

    Args:
        num_classes: size of the output layer (10 digits).
        in_channels: 1 for grey images, 3 for colour ones.
        activation: "tanh" (the original) or "relu".
        pooling: "avg" (the original's subsampling) or "max".
        padding: zero padding of C1; 2 lets 28×28 images in.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, activation: str = "tanh", pooling: str = "avg",
                 padding: int = 0):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"LeNet5: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        if pooling not in _POOLINGS:
            raise ValueError(f"LeNet5: pooling must be one of {sorted(_POOLINGS)}, got {pooling!r}")
        act, pool = _ACTIVATIONS[activation], _POOLINGS[pooling]
        self.num_classes, self.padding = num_classes, padding
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=padding), act(), pool(2),  # C1, S2
            nn.Conv2d(6, 16, 5), act(), pool(2),  # C3, S4
            nn.Conv2d(16, 120, 5), act(),  # C5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(120, 84), act(),  # F6
            nn.Linear(84, num_classes),  # output
        )

    def forward(self, x):
        if x.ndim != 4 or tuple(n + 2 * self.padding for n in x.shape[2:]) != (32, 32):
            raise ValueError(f"LeNet5 expects (N, C, H, W) images that are 32×32 after C1's padding of "
                             f"{self.padding}, got shape {tuple(x.shape)}")
        return self.classifier(self.features(x))  # (N, 120, 1, 1) → (N, num_classes)

    def predict_proba(self, x):
        """Class probabilities: the softmax of the logits, p_k = e^{z_k} / Σ_j e^{z_j}."""
        return predict_proba(self, x)


LeNet = LeNet5
