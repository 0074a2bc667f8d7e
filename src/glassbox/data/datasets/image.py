"""What the image datasets share: uint8 pixels kept as loaded, served as float32 in [0, 1].

``data`` holds the images as stored (N, H, W) or (N, C, H, W) uint8 and ``targets``
the int64 labels; a sample is ``(image (C, H, W) float32, label int)`` after the
optional ``transform`` / ``target_transform``, and ``get_batch`` builds a whole
batch with one fancy index when no transform is set.
"""

from __future__ import annotations

import numpy

from glassbox.data.dataset import Dataset
from glassbox.tensor import Tensor


class ImageDataset(Dataset):
    add_channel_axis = False  # True where the files store (N, H, W): one channel is added on the way out

    def _pixels(self, images: numpy.ndarray) -> numpy.ndarray:
        if self.add_channel_axis:
            images = images[..., None, :, :]
        return images.astype(numpy.float32) / numpy.float32(255)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        image = Tensor._wrap(self._pixels(self.data.data[index]))  # (C, H, W)
        target = int(self.targets.data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def get_batch(self, indices) -> list:
        """``[images (B, C, H, W) float32, labels (B,) int64]``, straight from the arrays when no transform is set."""
        if self.transform is not None or self.target_transform is not None:
            from glassbox.data.collate import default_collate

            return default_collate([self[int(i)] for i in indices])
        positions = numpy.asarray(indices, dtype=numpy.int64)
        return [Tensor._wrap(self._pixels(self.data.data[positions])), Tensor._wrap(self.targets.data[positions])]

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {'Train' if self.train else 'Test'}")
