"""MNIST and Fashion-MNIST: 28x28 grey images of 10 classes, 60,000 for training and 10,000 for testing.

Both ship as four files in the IDX format (optionally gzipped). An IDX file is
a 4-byte magic number, one big-endian uint32 per dimension, then the values:

    magic = 0x00 0x00 <type code> <number of dimensions>
    type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64

MNIST images are 0x00000803 (uint8, 3 dimensions: N x 28 x 28), labels
0x00000801 (uint8, 1 dimension: N). A sample is ``(image, label)`` as in
torchvision, the image a float32 Tensor of shape (1, 28, 28) in [0, 1] and the
label an int; ``.data`` (uint8, N x 28 x 28) and ``.targets`` (int64, N) hold the
whole split for fast batching.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy

from glassbox.data.download import cache_dir, download_from_mirrors
from glassbox.tensor import Tensor

from .image import ImageDataset

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file of the expected kind."""


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":  # not gzip: the raw IDX bytes
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise IDXFormatError(f"{path}: the gzip stream is truncated or corrupt ({error})") from error


def read_idx(path, expected_magic: int | None = None) -> numpy.ndarray:
    """Read an IDX file (raw or gzipped) into a native-endian NumPy array, checking its header and size."""
    path = Path(path)
    content = _read_bytes(path)
    if len(content) < 4:
        raise IDXFormatError(f"{path}: {len(content)} bytes is too short for an IDX header (4-byte magic number)")
    magic = int.from_bytes(content[:4], "big")
    type_code, ndim = content[2], content[3]
    if content[:2] != b"\x00\x00" or type_code not in IDX_TYPES:
        raise IDXFormatError(
            f"{path}: bad magic number 0x{magic:08X}: an IDX file starts with two zero bytes and a type code "
            f"({', '.join(f'0x{code:02X}' for code in IDX_TYPES)})"
        )
    if expected_magic is not None and magic != expected_magic:
        raise IDXFormatError(f"{path}: bad magic number 0x{magic:08X}, expected 0x{expected_magic:08X}")
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise IDXFormatError(
            f"{path}: truncated header: {ndim} dimensions need {header_size} bytes, the file has {len(content)}"
        )
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = numpy.dtype(IDX_TYPES[type_code])
    expected = int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
    found = len(content) - header_size
    if found < expected:
        raise IDXFormatError(
            f"{path}: truncated file: the header promises shape {shape} ({expected} bytes of data), "
            f"but only {found} bytes follow it"
        )
    if found > expected:
        raise IDXFormatError(
            f"{path}: size mismatch: the header promises shape {shape} ({expected} bytes of data), "
            f"but {found} bytes follow it"
        )
    array = numpy.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class MNIST(ImageDataset):
    """The MNIST handwritten digits.

    Files are looked for in ``root/MNIST/raw`` (torchvision's layout, so an
    existing torchvision download is reused) and in ``root`` itself, gzipped or
    not. ``root`` defaults to the glassbox cache (``$GLASSBOX_DATA`` or
    ``~/.cache/glassbox``). ``download=True`` fetches missing files from the
    mirrors and verifies the published MD5 checksums.
    """

    add_channel_axis = True  # IDX files hold (N, 28, 28)

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    image_size = (28, 28)

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download: bool = False):
        self.root = cache_dir(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download and not self._files_present():
            self.download()
        images_path, labels_path = self._find_files()
        images = read_idx(images_path, IMAGE_MAGIC)
        labels = read_idx(labels_path, LABEL_MAGIC)
        if images.shape[1:] != self.image_size:
            raise IDXFormatError(f"{images_path}: images are {images.shape[1:]}, expected {self.image_size}")
        if len(images) != len(labels):
            raise IDXFormatError(
                f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
            )
        if labels.size and labels.max() >= len(self.classes):
            raise IDXFormatError(f"{labels_path}: label {labels.max()} is out of range for {len(self.classes)} classes")
        self.data = Tensor._wrap(images)  # (N, 28, 28) uint8
        self.targets = Tensor._wrap(labels.astype(numpy.int64))  # (N,)

    @property
    def raw_folder(self) -> Path:
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict:
        return {name: index for index, name in enumerate(self.classes)}

    def _split_files(self) -> list:
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _find_files(self) -> list:
        folders = [self.raw_folder, self.root / type(self).__name__, self.root]
        found = []
        for stem in self._split_files():
            candidates = [folder / name for folder in folders for name in (stem, stem + ".gz")]
            path = next((candidate for candidate in candidates if candidate.is_file()), None)
            if path is None:
                raise FileNotFoundError(
                    f"{type(self).__name__}: {stem}[.gz] not found in {', '.join(str(f) for f in folders)}; "
                    f"pass download=True to fetch it"
                )
            found.append(path)
        return found

    def _files_present(self) -> bool:
        try:
            self._find_files()
        except FileNotFoundError:
            return False
        return True

    def download(self) -> None:
        """Fetch the four files into ``raw_folder`` unless they are already there, verifying their checksums."""
        for filename, md5 in self.resources:
            download_from_mirrors(self.mirrors, filename, self.raw_folder, md5=md5)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the same format and sizes as MNIST, ten kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
