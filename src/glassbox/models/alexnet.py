"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), the network that won ImageNet 2012.

The notes: "5 convolutional layers, 3 max-pooling layers, 2 normalization layers, 2 fully
connected layers, and 1 softmax layer"; each convolution followed by ReLU; "input size is
mentioned at most of the places as 224 × 224 × 3 but due to some padding it works out to be
227 × 227 × 3"; about 60 million parameters. Each side goes through

    floor((n + 2p − f) / s) + 1

    AlexNet2012, input (N, 3, 227, 227) (or 224 with conv1 padding 2):
      conv1 96 11×11 /4   → (N, 96, 55, 55)      55 = (227 + 2·0 − 11) / 4 + 1
      LRN, max-pool 3 /2  → (N, 96, 27, 27)      27 = (55 − 3) / 2 + 1
      conv2 256 5×5 p2    → (N, 256, 27, 27), LRN, max-pool 3 /2 → (N, 256, 13, 13)
      conv3 384, conv4 384, conv5 256 (3×3 p1) → (N, 256, 13, 13), max-pool 3 /2 → (N, 256, 6, 6)
      fc6 9216 → 4096, fc7 4096 → 4096, fc8 4096 → classes (the two hidden fully connected layers
      and the output layer; the softmax is applied by the loss, or by ``predict_proba``)

    AlexNet (torchvision's single-tower variant, "One weird trick", Krizhevsky 2014):
      64-192-384-256-256 channels, no LRN, AdaptiveAvgPool2d((6, 6)) before the classifier
      (so other input sizes work too), dropout before each hidden fully connected layer;
      module names as torchvision's, so its ``alexnet`` state_dict loads unchanged: 61 100 840 parameters.

LRN is b_c = a_c (k + α/n Σ_{c' near c} a_{c'}²)^(−β) with the paper's n = 5, α = 1e-4, β = 0.75, k = 2.
``groups=2`` splits conv2, conv4 and conv5 into the paper's two GPU towers (60 965 224 parameters,
the "60 million"); ``groups=1`` (the default) is the same network on one device.
"""

from __future__ import annotations

from glassbox import nn

from .predict import predict_proba


class _SoftmaxOption(nn.Module):
    """``forward`` gives logits, or probabilities when the model was built with ``softmax=True``."""

    softmax: bool = False

    def _output(self, logits):
        return logits.softmax(-1) if self.softmax else logits

    def predict_proba(self, x):
        """Class probabilities p_k = e^{z_k} / Σ_j e^{z_j} in evaluation mode (the notes' softmax layer)."""
        return predict_proba(self, x)


class AlexNet(_SoftmaxOption):
    """torchvision's AlexNet: ``features`` → ``avgpool`` (6×6) → flatten → ``classifier``; 61 100 840 parameters.

    Args:
        num_classes: outputs of the last layer (1000 ImageNet classes).
        dropout: dropout probability before fc6 and fc7.
        softmax: forward returns probabilities instead of logits (train on logits: the loss applies the softmax).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, softmax: bool = False):
        super().__init__()
        self.num_classes, self.softmax = num_classes, softmax
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))  # (N, 256, 6, 6)
        return self._output(self.classifier(x.flatten(1)))  # (N, 9216) → (N, num_classes)


class AlexNet2012(_SoftmaxOption):
    """The paper's AlexNet: 96-256-384-384-256 channels, LRN after conv1 and conv2, fixed 227×227 (or 224×224) input.

    Args:
        num_classes: outputs of the last layer.
        input_size: 227, or 224 (conv1 then pads by 2, which gives the same 55×55 maps).
        groups: 2 for the paper's two towers (conv2, conv4, conv5 see half of the channels each), 1 for one.
        dropout: dropout probability before fc6 and fc7 (the paper's 0.5).
        softmax: forward returns probabilities instead of logits.
    """

    def __init__(self, num_classes: int = 1000, input_size: int = 227, groups: int = 1, dropout: float = 0.5,
                 softmax: bool = False):
        super().__init__()
        if input_size not in (224, 227):
            raise ValueError(f"AlexNet2012: input_size must be 227 (or 224 with padding 2), got {input_size}")
        self.num_classes, self.input_size, self.softmax = num_classes, input_size, softmax
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=(227 - input_size + 1) // 2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=groups), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=groups), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=groups), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, self.input_size, self.input_size):
            raise ValueError(f"AlexNet2012 expects (N, 3, {self.input_size}, {self.input_size}) images "
                             f"(its fully connected layers fix the input size), got shape {tuple(x.shape)}")
        x = self.features(x)  # (N, 256, 6, 6)
        return self._output(self.classifier(x.flatten(1)))  # (N, 9216) → (N, num_classes)


def alexnet(**kwargs) -> AlexNet:
    """torchvision's constructor name: ``alexnet(num_classes=10)``."""
    return AlexNet(**kwargs)
