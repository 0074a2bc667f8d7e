"""A small convolutional network for 8×8 digit images (scikit-learn's digits), and MNIST-sized inputs.

    (N, 1, 8, 8) → Conv 3×3, 32 → ReLU → MaxPool 2 → (N, 32, 4, 4)
                 → Conv 3×3, 64 → ReLU → MaxPool 2 → (N, 64, 2, 2)
                 → Flatten (256) → Linear 128 → ReLU → Dropout → Linear classes

"same" padding keeps each conv's output the size of its input: floor((n + 2·1 - 3) / 1) + 1 = n.
A flat (N, 64) input (the dataset's rows) is reshaped to images first.
"""

from __future__ import annotations

from glassbox import nn


class DigitsCNN(nn.Module):
    def __init__(self, classes: int = 10, image_size: int = 8, channels: int = 1, dropout: float = 0.25):
        super().__init__()
        self.image_size, self.channels = image_size, channels
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * side * side, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, classes),
        )

    def forward(self, x):
        if x.ndim == 2:  # (N, H·W) rows → (N, C, H, W) images
            x = x.reshape(-1, self.channels, self.image_size, self.image_size)
        return self.classifier(self.features(x))
