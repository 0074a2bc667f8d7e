"""CIFAR-10: 32x32 colour images of 10 classes, 50,000 for training and 10,000 for testing.

Read from the binary version (no pickle is ever loaded): the archive
``cifar-10-binary.tar.gz`` unpacks to ``cifar-10-batches-bin/`` with
``data_batch_1.bin`` … ``data_batch_5.bin`` (training) and ``test_batch.bin``.
Each file is a run of 3073-byte records:

    1 byte label (0-9) | 1024 bytes red | 1024 bytes green | 1024 bytes blue   (each channel 32x32, row by row)

so the pixels are already channels-first. A sample is ``(image, label)``, the
image a float32 Tensor of shape (3, 32, 32) in [0, 1], the label an int.
``.data`` holds the whole split as uint8 (N, 3, 32, 32) (channels-first, unlike
torchvision's HWC array, so batches need no transposing) and ``.targets`` int64 (N,).
"""

from __future__ import annotations

from pathlib import Path

import numpy

from glassbox.data.download import cache_dir, check_integrity, download_url, extract_tar
from glassbox.tensor import Tensor

from .image import ImageDataset

RECORD_SIZE = 1 + 3 * 32 * 32


class CIFARFormatError(ValueError):
    """A file is not in the CIFAR-10 binary format."""


def read_cifar_batch(path, num_classes: int = 10):
    """One binary batch file as (images uint8 (N, 3, 32, 32), labels int64 (N,)), checking its size and labels."""
    path = Path(path)
    content = path.read_bytes()
    if len(content) == 0 or len(content) % RECORD_SIZE != 0:
        whole, extra = divmod(len(content), RECORD_SIZE)
        raise CIFARFormatError(
            f"{path}: wrong record size: {len(content)} bytes is not a whole number of {RECORD_SIZE}-byte records "
            f"(1 label byte + 3x32x32 pixels); {whole} whole records and {extra} bytes left over. The file is "
            f"truncated or not the CIFAR-10 binary version (CIFAR-100's records are 3074 bytes)"
        )
    records = numpy.frombuffer(content, dtype=numpy.uint8).reshape(-1, RECORD_SIZE)
    labels = records[:, 0].astype(numpy.int64)
    if labels.max() >= num_classes:
        record = int(numpy.argmax(labels >= num_classes))
        raise CIFARFormatError(
            f"{path}: label {labels[record]} in record {record} is out of range 0..{num_classes - 1}; "
            f"the file is damaged or not CIFAR-10"
        )
    images = records[:, 1:].reshape(-1, 3, 32, 32)  # (N, 3, 32, 32): R, G, B planes, each row by row
    return images, labels


class CIFAR10(ImageDataset):
    """CIFAR-10, binary version.

    Files are looked for in ``root/cifar-10-batches-bin`` (``root`` defaults
    to the glassbox cache). ``download=True`` fetches the archive, verifies its
    published MD5 checksum and unpacks it safely.
    """

    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download: bool = False):
        self.root = cache_dir(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download and self._missing_files():
            self.download()
        missing = self._missing_files()
        if missing:
            raise FileNotFoundError(
                f"{type(self).__name__}: {', '.join(missing)} not found in {self.folder}; pass download=True to fetch "
                f"{self.url}"
            )
        parts = [read_cifar_batch(self.folder / name, len(self.classes)) for name in self._split_files()]
        self.data = Tensor._wrap(numpy.concatenate([images for images, _ in parts]))  # (N, 3, 32, 32) uint8
        self.targets = Tensor._wrap(numpy.concatenate([labels for _, labels in parts]))  # (N,) int64

    @property
    def folder(self) -> Path:
        return self.root / self.base_folder

    @property
    def class_to_idx(self) -> dict:
        return {name: index for index, name in enumerate(self.classes)}

    def _split_files(self) -> list:
        return self.train_list if self.train else self.test_list

    def _missing_files(self) -> list:
        return [name for name in self._split_files() if not (self.folder / name).is_file()]

    def download(self) -> None:
        """Fetch the archive (kept if already there and intact), check its MD5, and unpack it into ``root``."""
        archive = self.root / self.filename
        if not check_integrity(archive, md5=self.md5):
            archive = download_url(self.url, self.root, self.filename, md5=self.md5)
        extract_tar(archive, self.root)
