import numpy as np
import pytest
import sklearn.datasets

import glassbox as gb
from glassbox.data import DataLoader
from glassbox.data.datasets import BreastCancer, Diabetes, Digits, Iris, Wine

DATASETS = {
    "digits": (Digits, sklearn.datasets.load_digits, (1797, 64)),
    "iris": (Iris, sklearn.datasets.load_iris, (150, 4)),
    "wine": (Wine, sklearn.datasets.load_wine, (178, 13)),
    "breast_cancer": (BreastCancer, sklearn.datasets.load_breast_cancer, (569, 30)),
    "diabetes": (Diabetes, sklearn.datasets.load_diabetes, (442, 10)),
}


@pytest.mark.parametrize("name", DATASETS)
def test_split_is_complementary_eighty_twenty_and_typed(name):
    cls, load, (n, features) = DATASETS[name]
    bunch = load()
    train, test = cls(train=True), cls(train=False)
    assert len(test) == int(np.ceil(0.2 * n)) and len(train) + len(test) == n
    assert sorted(np.concatenate([train.source_rows, test.source_rows]).tolist()) == list(range(n))
    for split in (train, test):
        assert split.data.dtype == gb.float32 and split.data.shape == (len(split), features)
        expected_target_dtype = gb.float32 if name == "diabetes" else gb.int64
        assert split.targets.dtype == expected_target_dtype
        np.testing.assert_array_equal(split.data.numpy(), bunch.data[split.source_rows].astype(np.float32))
        expected_targets = bunch.target[split.source_rows].astype(expected_target_dtype)
        np.testing.assert_array_equal(split.targets.numpy(), expected_targets)
    assert train.feature_names == list(getattr(bunch, "feature_names", []))


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer"])
def test_classification_splits_are_stratified(name):
    cls, load, _ = DATASETS[name]
    classes = len(load().target_names)
    train, test = cls(train=True), cls(train=False)
    full = np.bincount(np.concatenate([train.targets.numpy(), test.targets.numpy()]), minlength=classes)
    in_test = np.bincount(test.targets.numpy(), minlength=classes)
    # each class keeps its share: within one sample of 20 % of its count
    assert np.all(np.abs(in_test - 0.2 * full) <= 1), (in_test, full)
    assert train.classes == [str(c) for c in load().target_names]


def test_split_is_fixed_and_seeded():
    assert np.array_equal(Iris().source_rows, Iris().source_rows)
    gb.manual_seed(1234)  # the global seed does not move the fixed split
    assert np.array_equal(Iris().source_rows, Iris(seed=0).source_rows)
    assert not np.array_equal(Iris(seed=1).source_rows, Iris(seed=0).source_rows)
    assert len(Iris(train=False, test_fraction=0.5)) == 75


def test_sample_and_transforms():
    dataset = Wine(transform=lambda x: x * 0 + 1, target_transform=lambda y: y + 10)
    features, target = dataset[0]
    np.testing.assert_array_equal(features.numpy(), np.ones(13, np.float32))
    assert target.item() == Wine().targets.numpy()[0] + 10
    batch_features, batch_targets = next(iter(DataLoader(dataset, batch_size=4)))
    assert batch_features.shape == (4, 13) and batch_targets.numpy().min() >= 10


def test_loader_batches():
    loader = DataLoader(Digits(), batch_size=64, shuffle=True)
    features, labels = next(iter(loader))
    assert features.shape == (64, 64) and features.dtype == gb.float32 and labels.dtype == gb.int64
    assert len(loader) == int(np.ceil(1437 / 64))


def test_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
        Iris(test_fraction=1.0)
