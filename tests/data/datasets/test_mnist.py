import gzip
import hashlib
import struct

import numpy as np
import pytest

import glassbox as gb
from glassbox.data import ChecksumError, DataLoader, default_collate
from glassbox.data.datasets import MNIST, FashionMNIST, IDXFormatError, read_idx

rng = np.random.default_rng(0)


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """The IDX encoding: 0x00 0x00 <type> <ndim>, big-endian uint32 sizes, big-endian values."""
    big_endian = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian).tobytes()


def make_split(n):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    return images, labels


def write_mnist(folder, n_train=12, n_test=5, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    splits = {"train": make_split(n_train), "t10k": make_split(n_test)}
    for prefix, (images, labels) in splits.items():
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            content = idx_bytes(array)
            name = f"{prefix}-{kind}-ubyte"
            if compress:
                (folder / (name + ".gz")).write_bytes(gzip.compress(content))
            else:
                (folder / name).write_bytes(content)
    return splits


@pytest.mark.parametrize("compress", [True, False])
def test_reads_the_torchvision_layout(tmp_path, compress):
    splits = write_mnist(tmp_path / "MNIST" / "raw", compress=compress)
    for train, prefix in ((True, "train"), (False, "t10k")):
        dataset = MNIST(tmp_path, train=train)
        images, labels = splits[prefix]
        assert len(dataset) == len(images)
        assert dataset.data.dtype == gb.uint8 and dataset.data.shape == images.shape
        assert dataset.targets.dtype == gb.int64
        np.testing.assert_array_equal(dataset.data.numpy(), images)
        np.testing.assert_array_equal(dataset.targets.numpy(), labels)
        image, label = dataset[3]
        assert image.shape == (1, 28, 28) and image.dtype == gb.float32
        np.testing.assert_allclose(image.numpy()[0], images[3] / 255.0, rtol=1e-6)
        assert type(label) is int and label == labels[3]


def test_reads_a_plain_folder_and_fashion_mnist(tmp_path):
    write_mnist(tmp_path)
    assert len(MNIST(tmp_path)) == 12
    write_mnist(tmp_path / "FashionMNIST" / "raw", n_train=7)
    fashion = FashionMNIST(tmp_path)
    assert len(fashion) == 7 and fashion.classes[9] == "Ankle boot"
    assert fashion.class_to_idx["Trouser"] == 1


def test_root_defaults_to_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    write_mnist(tmp_path / "MNIST" / "raw")
    assert MNIST(train=False).root == tmp_path


def test_transforms(tmp_path):
    write_mnist(tmp_path)
    dataset = MNIST(tmp_path, transform=lambda image: image * 2, target_transform=lambda label: label + 100)
    image, label = dataset[0]
    np.testing.assert_allclose(image.numpy(), dataset.data.numpy()[0][None] / 255.0 * 2, rtol=1e-6)
    assert label == int(dataset.targets.numpy()[0]) + 100


@pytest.mark.parametrize("with_transform", [False, True])
def test_loader_batches_equal_single_samples(tmp_path, with_transform):
    write_mnist(tmp_path)
    dataset = MNIST(tmp_path, transform=(lambda image: image + 0) if with_transform else None)
    images, labels = next(iter(DataLoader(dataset, batch_size=5)))
    expected_images, expected_labels = default_collate([dataset[i] for i in range(5)])
    assert images.shape == (5, 1, 28, 28) and images.dtype == gb.float32 and labels.dtype == gb.int64
    np.testing.assert_array_equal(images.numpy(), expected_images.numpy())
    np.testing.assert_array_equal(labels.numpy(), expected_labels.numpy())
    assert 0.0 <= images.numpy().min() and images.numpy().max() <= 1.0


@pytest.mark.parametrize("type_code, dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                              (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)])
def test_read_idx_every_type(tmp_path, type_code, dtype):
    array = (rng.normal(size=(3, 2, 4)) * 50).astype(dtype)
    path = tmp_path / "array.idx"
    path.write_bytes(idx_bytes(array, type_code))
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)


def _replace(tmp_path, name, content):
    folder = tmp_path / "MNIST" / "raw"
    path = folder / name
    path.write_bytes(content)
    return path


def test_bad_magic_number_names_the_file(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    _, labels = make_split(12)
    path = _replace(tmp_path, "train-images-idx3-ubyte.gz", gzip.compress(idx_bytes(labels)))  # a label file
    with pytest.raises(IDXFormatError) as caught:
        MNIST(tmp_path)
    assert str(path) in str(caught.value)
    assert "bad magic number 0x00000801, expected 0x00000803" in str(caught.value)


def test_garbage_header(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    path = _replace(tmp_path, "train-labels-idx1-ubyte.gz", gzip.compress(b"PK\x03\x04 not an idx file"))
    with pytest.raises(IDXFormatError, match="bad magic number 0x504B0304") as caught:
        MNIST(tmp_path)
    assert str(path) in str(caught.value)


def test_truncated_file(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw", compress=False)
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(IDXFormatError) as caught:
        MNIST(tmp_path)
    message = str(caught.value)
    assert str(path) in message and "truncated" in message
    assert f"{12 * 28 * 28} bytes of data" in message and f"only {12 * 28 * 28 - 100} bytes" in message


def test_truncated_header_and_extra_bytes(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw", compress=False)
    path = tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    full = path.read_bytes()
    path.write_bytes(full[:6])
    with pytest.raises(IDXFormatError, match="truncated header"):
        MNIST(tmp_path)
    path.write_bytes(full + b"\x00\x00")
    with pytest.raises(IDXFormatError, match="size mismatch.*14 bytes follow"):
        MNIST(tmp_path)


def test_truncated_gzip(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(IDXFormatError, match="gzip stream is truncated or corrupt") as caught:
        MNIST(tmp_path)
    assert str(path) in str(caught.value)


def test_mismatched_counts_sizes_and_labels(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    images, labels = make_split(11)
    _replace(tmp_path, "train-labels-idx1-ubyte.gz", gzip.compress(idx_bytes(labels)))
    with pytest.raises(IDXFormatError, match="holds 12 images but .* holds 11 labels"):
        MNIST(tmp_path)
    _replace(tmp_path, "train-images-idx3-ubyte.gz", gzip.compress(idx_bytes(images[:, :20, :20])))
    with pytest.raises(IDXFormatError, match=r"images are \(20, 20\), expected \(28, 28\)"):
        MNIST(tmp_path)
    _replace(tmp_path, "train-images-idx3-ubyte.gz", gzip.compress(idx_bytes(images)))
    _replace(tmp_path, "train-labels-idx1-ubyte.gz", gzip.compress(idx_bytes(np.full(11, 12, np.uint8))))
    with pytest.raises(IDXFormatError, match="label 12 is out of range for 10 classes"):
        MNIST(tmp_path)


def test_missing_files_suggest_download(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\[\.gz\] not found.*download=True"):
        MNIST(tmp_path)


def _serve_mnist(local_server, tmp_path, corrupt_md5=False):
    write_mnist(local_server.folder)
    resources = []
    for name in sorted(p.name for p in local_server.folder.iterdir()):
        md5 = hashlib.md5((local_server.folder / name).read_bytes()).hexdigest()
        resources.append((name, "0" * 32 if corrupt_md5 and name.startswith("train-images") else md5))
    attributes = {"mirrors": [local_server.url + "gone/", local_server.url], "resources": resources}
    return type("MNIST", (MNIST,), attributes)


def test_download_from_mirrors_with_checksums(local_server, tmp_path):
    LocalMNIST = _serve_mnist(local_server, tmp_path)  # noqa: N806  (a class)
    root = tmp_path / "root"
    dataset = LocalMNIST(root, download=True)
    assert len(dataset) == 12
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted(name for name, _ in dataset.resources)
    requests = len(local_server.requested)
    LocalMNIST(root, train=False, download=True)  # already there: nothing fetched
    assert len(local_server.requested) == requests


def test_download_with_a_bad_checksum_fails(local_server, tmp_path):
    LocalMNIST = _serve_mnist(local_server, tmp_path, corrupt_md5=True)  # noqa: N806
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte.gz") as caught:
        LocalMNIST(tmp_path / "root", download=True)
    assert "checksum mismatch" in str(caught.value)
    assert not (tmp_path / "root" / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").exists()

