import numpy as np
import pytest
import torch
import torch.utils.data as torch_data

import glassbox as gb
from glassbox.data import ConcatDataset, Dataset, Subset, TensorDataset, default_collate, random_split

rng = np.random.default_rng(0)
X = rng.normal(size=(10, 3)).astype(np.float32)
Y = np.arange(10, dtype=np.int64) % 3


class Squares(Dataset):
    """A map-style dataset with no batch fast path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.float32(i), i * i


def test_tensor_dataset_items_match_torch(same_batch):
    ours = TensorDataset(gb.tensor(X), gb.tensor(Y))
    theirs = torch_data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    assert len(ours) == len(theirs) == 10
    for i in (0, 4, -1):
        same_batch(list(ours[i]), list(theirs[i]), f"sample {i}")


def test_tensor_dataset_accepts_numpy_and_shares_memory():
    features = X.copy()
    dataset = TensorDataset(features, Y)
    features[0, 0] = 123.0
    assert dataset[0][0][0].item() == 123.0
    assert dataset.tensors[1].dtype == gb.int64


def test_tensor_dataset_rejects_bad_input():
    with pytest.raises(ValueError, match=r"size mismatch .*\[10, 9\]"):
        TensorDataset(X, Y[:9])
    with pytest.raises(TypeError, match="argument 1 must be a Tensor or a NumPy array, got list"):
        TensorDataset(X, [1, 2])
    with pytest.raises(ValueError, match="0-dimensional"):
        TensorDataset(gb.tensor(1.0))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


@pytest.mark.parametrize("indices", [[3, 1, 4, 1, 5], [9], [-1, -10, 0], np.array([2, 7])])
def test_get_batch_equals_collating_single_samples(indices, same_batch):
    dataset = TensorDataset(X, Y)
    expected = default_collate([dataset[int(i)] for i in indices])
    same_batch(dataset.get_batch(indices), [torch.from_numpy(t.numpy()) for t in expected])


def test_get_batch_reports_out_of_range():
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of 10 samples"):
        TensorDataset(X, Y).get_batch([0, 10])


def test_get_batch_keeps_the_graph():
    weights = gb.tensor(X, requires_grad=True)
    inputs, _ = TensorDataset(weights, Y).get_batch([1, 1, 2])
    inputs.sum().backward()
    expected = np.zeros_like(X)
    expected[1], expected[2] = 2.0, 1.0
    np.testing.assert_array_equal(weights.grad.numpy(), expected)


def test_subset(same_batch):
    dataset = TensorDataset(X, Y)
    subset = Subset(dataset, [7, 2, 2, 9])
    assert len(subset) == 4
    np.testing.assert_array_equal(subset[1][0].numpy(), X[2])
    batch = subset.get_batch([0, 3])
    np.testing.assert_array_equal(batch[0].numpy(), X[[7, 9]])
    np.testing.assert_array_equal(batch[1].numpy(), Y[[7, 9]])
    assert [int(s[1]) for s in subset[[0, 1]]] == [Y[7], Y[2]]  # a list index gives a list of samples
    subset.indices = [0, 1, 2, 3]  # a changed index list is seen by later batches
    np.testing.assert_array_equal(subset.get_batch([3])[0].numpy(), X[[3]])


def test_subset_of_a_dataset_without_fast_path(same_batch):
    subset = Subset(Squares(6), [5, 0, 3])
    same_batch(subset.get_batch([0, 2]), [torch.tensor([5.0, 3.0]), torch.tensor([25, 9])])


def test_concat_dataset_matches_torch():
    parts = [Squares(3), Squares(0), Squares(4)]
    ours, theirs = ConcatDataset(parts), torch_data.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 7
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-7, 7):
        assert ours[i] == theirs[i], i
    for bad in (7, -8):
        with pytest.raises(IndexError, match="out of range"):
            ours[bad]


def test_dataset_addition_concatenates():
    joined = Squares(2) + Squares(3)
    assert isinstance(joined, ConcatDataset) and len(joined) == 5 and joined[4] == (np.float32(2), 4)


def test_concat_rejects_empty():
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


@pytest.mark.filterwarnings("ignore:Length of split")
@pytest.mark.parametrize("size", [10, 11, 97, 5])
@pytest.mark.parametrize("fractions", [[0.8, 0.2], [0.5, 0.3, 0.2], [1 / 3, 1 / 3, 1 / 3], [0.7, 0.1, 0.1, 0.1]])
def test_random_split_fraction_lengths_match_torch(size, fractions):
    ours = random_split(range(size), fractions, generator=0)
    theirs = torch_data.random_split(range(size), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]


def test_random_split_is_a_partition():
    splits = random_split(Squares(20), [12, 5, 3], generator=1)
    indices = [i for split in splits for i in split.indices]
    assert sorted(indices) == list(range(20))
    assert [len(s) for s in splits] == [12, 5, 3]
    assert indices != list(range(20))


def test_random_split_seeding():
    first = [s.indices for s in random_split(Squares(30), [0.5, 0.5], generator=4)]
    assert [s.indices for s in random_split(Squares(30), [0.5, 0.5], generator=4)] == first
    assert [s.indices for s in random_split(Squares(30), [0.5, 0.5], generator=5)] != first
    own = np.random.default_rng(4)
    assert [s.indices for s in random_split(Squares(30), [0.5, 0.5], generator=own)] == first
    gb.manual_seed(11)
    global_draw = [s.indices for s in random_split(Squares(30), [0.5, 0.5])]
    gb.manual_seed(11)
    assert [s.indices for s in random_split(Squares(30), [0.5, 0.5])] == global_draw


def test_random_split_rejects_bad_lengths():
    with pytest.raises(ValueError, match=r"add up to 9, but the dataset has 10"):
        random_split(Squares(10), [5, 4])
    with pytest.raises(ValueError, match="between 0 and 1"):
        random_split(Squares(10), [1.5, -0.5])
    with pytest.raises(ValueError, match="non-negative integers"):
        random_split(Squares(10), [11, -1])


def test_base_classes_explain_what_is_missing():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_importing_glassbox_data_stays_light():
    # scikit-learn and the network stack are imported only by the functions that use them
    import subprocess
    import sys

    code = ("import sys, glassbox.data; heavy = [m for m in ('sklearn', 'urllib.request', 'http.client', 'torch') "
            "if m in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
