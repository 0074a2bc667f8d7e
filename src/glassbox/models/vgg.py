"""VGG (Simonyan and Zisserman, 2014): deep stacks of small convolutions, with torchvision's layout.

The notes: "In AlexNet we have a lot of variations, something that you don't find in VGG16";
every convolution has filter size 3×3, stride 1 and "same" padding (p = 1), so it keeps the
side of its input,

    floor((n + 2·1 − 3) / 1) + 1 = n,

and each 2×2 max-pool (stride 2) halves it: 224 → 112 → 56 → 28 → 14 → 7 after five pools.
Convolution + ReLU blocks, max pooling, then fully connected + ReLU layers:

    configuration A (VGG11): 64 M 128 M 256 256 M 512 512 M 512 512 M          (M: max-pool)
    configuration D (VGG16): 64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M
    then AdaptiveAvgPool2d((7, 7)) → flatten (25 088) → 4096 → 4096 → classes (ReLU and dropout between)

Two 3×3 convolutions see a 5×5 patch, three see 7×7, with fewer weights (3·9·C² against 49·C²)
and more non-linearities. ``batch_norm=True`` puts BatchNorm2d between each convolution and its
ReLU (torchvision's vgg16_bn). Module names and initialisation follow torchvision, so its
state_dicts load unchanged: VGG16 has 138 357 544 parameters, VGG11 132 863 336.
"""

from __future__ import annotations

from glassbox import nn

from .predict import predict_proba

CONFIGURATIONS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def make_layers(configuration: list, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The convolutional part: a 3×3 same-padded convolution (+ BatchNorm2d) + ReLU per number, a max-pool per "M"."""
    layers = []
    for entry in configuration:
        if entry == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # (N, C, n, n) → (N, C, n/2, n/2)
            continue
        layers.append(nn.Conv2d(in_channels, entry, kernel_size=3, padding=1))  # (N, C, n, n) → (N, entry, n, n)
        if batch_norm:
            layers.append(nn.BatchNorm2d(entry))
        layers.append(nn.ReLU(inplace=True))
        in_channels = entry
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``features`` (convolutions) → ``avgpool`` (7×7) → flatten → ``classifier``; ``forward`` gives logits.

    Args:
        features: the convolutional part, usually ``make_layers(CONFIGURATIONS["D"])``.
        num_classes: outputs of the last layer (1000 ImageNet classes).
        init_weights: torchvision's initialisation: He normal (fan-out) convolutions, N(0, 0.01) linear
            weights, zero biases, batch norm γ = 1 and β = 0.
        dropout: dropout probability after each hidden fully connected layer.
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.num_classes = num_classes
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            self.apply(_initialise)

    def forward(self, x):
        x = self.avgpool(self.features(x))  # (N, 512, 7, 7)
        return self.classifier(x.flatten(1))  # (N, 25088) → (N, num_classes)

    def predict_proba(self, x):
        """Class probabilities p_k = e^{z_k} / Σ_j e^{z_j} in evaluation mode."""
        return predict_proba(self, x)


def _initialise(module: nn.Module) -> None:
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        if module.bias is not None:
            nn.init.constant_(module.bias, 0)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.constant_(module.weight, 1)
        nn.init.constant_(module.bias, 0)
    elif isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0, 0.01)
        nn.init.constant_(module.bias, 0)


class VGG11(VGG):
    """Configuration A: 8 convolutions + 3 fully connected layers (132 863 336 parameters)."""

    def __init__(self, num_classes: int = 1000, batch_norm: bool = False, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__(make_layers(CONFIGURATIONS["A"], batch_norm), num_classes, init_weights, dropout)


class VGG16(VGG):
    """Configuration D: 13 convolutions + 3 fully connected layers (138 357 544 parameters)."""

    def __init__(self, num_classes: int = 1000, batch_norm: bool = False, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__(make_layers(CONFIGURATIONS["D"], batch_norm), num_classes, init_weights, dropout)


def vgg11(**kwargs) -> VGG11:
    """torchvision's constructor names: ``vgg11``, ``vgg11_bn``, ``vgg16``, ``vgg16_bn``."""
    return VGG11(**kwargs)


def vgg11_bn(**kwargs) -> VGG11:
    return VGG11(batch_norm=True, **kwargs)


def vgg16(**kwargs) -> VGG16:
    return VGG16(**kwargs)


def vgg16_bn(**kwargs) -> VGG16:
    return VGG16(batch_norm=True, **kwargs)
