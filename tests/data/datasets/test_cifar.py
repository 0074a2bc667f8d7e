import hashlib
import io
import tarfile

import numpy as np
import pytest

import glassbox as gb
from glassbox.data import ChecksumError, DataLoader, default_collate
from glassbox.data.datasets import CIFAR10, CIFARFormatError, read_cifar_batch

rng = np.random.default_rng(0)
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]


def records(n, labels=None):
    """CIFAR-10 binary records: a label byte, then the red, green and blue 32x32 planes."""
    images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8) if labels is None else np.asarray(labels, np.uint8)
    content = b"".join(bytes([label]) + image.tobytes() for label, image in zip(labels, images, strict=True))
    return content, images, labels


def cifar_files(sizes=(3, 2, 4, 1, 2), test_size=3):
    """{file name: (bytes, images, labels)} for the five training batches and the test batch."""
    files = {name: records(n) for name, n in zip(TRAIN_FILES, sizes, strict=True)}
    files["test_batch.bin"] = records(test_size)
    return files


def write_folder(root, files):
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (content, _, _) in files.items():
        (folder / name).write_bytes(content)
    return folder


def archive_bytes(files, extra_members=()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in [(f"cifar-10-batches-bin/{n}", c) for n, (c, _, _) in files.items()] + list(extra_members):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_record_layout_is_label_then_red_green_blue_planes(tmp_path):
    image = np.zeros((3, 32, 32), np.uint8)
    image[0, 0, 1] = 200  # red, row 0, column 1: byte 1 of the red plane
    image[2, 31, 31] = 7  # blue, last pixel: the record's last byte
    content = bytes([4]) + image.tobytes()
    assert content[1 + 1] == 200 and content[-1] == 7
    path = tmp_path / "one.bin"
    path.write_bytes(content)
    images, labels = read_cifar_batch(path)
    assert images.shape == (1, 3, 32, 32) and labels.tolist() == [4]
    np.testing.assert_array_equal(images[0], image)


def test_train_and_test_splits(tmp_path):
    files = cifar_files()
    write_folder(tmp_path, files)
    train = CIFAR10(tmp_path, train=True)
    expected_images = np.concatenate([files[name][1] for name in TRAIN_FILES])
    expected_labels = np.concatenate([files[name][2] for name in TRAIN_FILES])
    assert len(train) == 12
    assert train.data.dtype == gb.uint8 and train.data.shape == (12, 3, 32, 32)
    assert train.targets.dtype == gb.int64
    np.testing.assert_array_equal(train.data.numpy(), expected_images)
    np.testing.assert_array_equal(train.targets.numpy(), expected_labels)
    image, label = train[5]
    assert image.shape == (3, 32, 32) and image.dtype == gb.float32 and type(label) is int
    np.testing.assert_allclose(image.numpy(), expected_images[5] / 255.0, rtol=1e-6)
    assert label == expected_labels[5]
    test = CIFAR10(tmp_path, train=False)
    np.testing.assert_array_equal(test.targets.numpy(), files["test_batch.bin"][2])
    assert train.classes[3] == "cat" and train.class_to_idx["truck"] == 9


@pytest.mark.parametrize("with_transform", [False, True])
def test_loader_batches_equal_single_samples(tmp_path, with_transform):
    write_folder(tmp_path, cifar_files())
    dataset = CIFAR10(tmp_path, transform=(lambda image: image * 1) if with_transform else None)
    batches = list(DataLoader(dataset, batch_size=5))
    assert [len(labels) for _, labels in batches] == [5, 5, 2]
    images, labels = batches[1]
    expected_images, expected_labels = default_collate([dataset[i] for i in range(5, 10)])
    assert images.shape == (5, 3, 32, 32) and images.dtype == gb.float32
    np.testing.assert_array_equal(images.numpy(), expected_images.numpy())
    np.testing.assert_array_equal(labels.numpy(), expected_labels.numpy())


def test_wrong_record_size_names_the_file(tmp_path):
    files = cifar_files()
    folder = write_folder(tmp_path, files)
    path = folder / "data_batch_3.bin"
    path.write_bytes(files["data_batch_3.bin"][0][:-10])  # truncated
    with pytest.raises(CIFARFormatError) as caught:
        CIFAR10(tmp_path)
    message = str(caught.value)
    assert str(path) in message and "wrong record size" in message
    assert f"{4 * 3073 - 10} bytes is not a whole number of 3073-byte records" in message


def test_cifar100_records_are_recognised_as_wrong(tmp_path):
    path = tmp_path / "cifar100.bin"
    path.write_bytes(bytes(3074 * 3))  # CIFAR-100 binary: coarse and fine label bytes
    with pytest.raises(CIFARFormatError, match="CIFAR-100"):
        read_cifar_batch(path)


def test_empty_file_and_bad_label(tmp_path):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    with pytest.raises(CIFARFormatError, match="wrong record size: 0 bytes"):
        read_cifar_batch(path)
    content, _, _ = records(3, labels=[1, 2, 11])
    path.write_bytes(content)
    with pytest.raises(CIFARFormatError, match=r"label 11 in record 2 is out of range 0..9") as caught:
        read_cifar_batch(path)
    assert str(path) in str(caught.value)


def test_missing_files_suggest_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_batch_1.bin.*download=True"):
        CIFAR10(tmp_path)


def _local_cifar(local_server, archive: bytes, md5=None):
    url = local_server.publish("cifar-10-binary.tar.gz", archive)
    return type("CIFAR10", (CIFAR10,), {"url": url, "md5": md5 or hashlib.md5(archive).hexdigest()})


def test_download_verifies_and_extracts(local_server, tmp_path):
    files = cifar_files()
    LocalCIFAR = _local_cifar(local_server, archive_bytes(files))  # noqa: N806  (a class)
    root = tmp_path / "root"
    test = LocalCIFAR(root, train=False, download=True)
    np.testing.assert_array_equal(test.data.numpy(), files["test_batch.bin"][1])
    assert (root / "cifar-10-binary.tar.gz").is_file()
    assert len(LocalCIFAR(root, train=True, download=True)) == 12
    assert local_server.requested == ["/cifar-10-binary.tar.gz"]  # fetched once, then found on disk


def test_download_with_a_bad_checksum_extracts_nothing(local_server, tmp_path):
    LocalCIFAR = _local_cifar(local_server, archive_bytes(cifar_files()), md5="0" * 32)  # noqa: N806
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        LocalCIFAR(tmp_path / "root", download=True)
    assert not (tmp_path / "root" / "cifar-10-batches-bin").exists()
    assert not (tmp_path / "root" / "cifar-10-binary.tar.gz").exists()


def test_archive_with_path_traversal_is_refused(local_server, tmp_path):
    archive = archive_bytes(cifar_files(), extra_members=[("../../outside.txt", b"owned")])
    LocalCIFAR = _local_cifar(local_server, archive)  # noqa: N806
    with pytest.raises(ValueError, match=r"unsafe archive .*'\.\./\.\./outside\.txt'"):
        LocalCIFAR(tmp_path / "a" / "root", download=True)
    assert not (tmp_path / "outside.txt").exists()
    assert not (tmp_path / "a" / "root" / "cifar-10-batches-bin").exists()
