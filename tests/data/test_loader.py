import numpy as np
import pytest
import torch
import torch.utils.data as torch_data

import glassbox as gb
from glassbox.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(10, 2, 3)).astype(np.float32)
Y = rng.integers(0, 5, size=10)


class Records(Dataset):
    """Dict samples mixing arrays, numbers and strings; counts fetches."""

    def __init__(self, n=7):
        self.n, self.fetched = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.fetched += 1
        return {"x": X[i], "label": int(Y[i]), "weight": i / 10, "id": f"r{i}", "pair": (X[i, 0], i)}


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter([(np.float32(i), i) for i in range(self.n)])


class SizedStream(Stream):
    def __len__(self):
        return self.n


def _torch_pair():
    return (TensorDataset(gb.tensor(X), gb.tensor(Y)),
            torch_data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)))


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_match_torch(batch_size, drop_last, same_batch):
    ours, theirs = _torch_pair()
    ours = DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    theirs = torch_data.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    our_batches, their_batches = list(ours), list(theirs)
    assert len(our_batches) == len(their_batches) == len(ours)
    for i, (a, b) in enumerate(zip(our_batches, their_batches, strict=True)):
        same_batch(a, b, f"batch {i}")


@pytest.mark.parametrize("batch_size", [2, 7])
def test_dict_samples_match_torch(batch_size, same_batch):
    ours = list(DataLoader(Records(), batch_size=batch_size))
    theirs = list(torch_data.DataLoader(Records(), batch_size=batch_size))
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        same_batch(a, b, f"batch {i}")


def test_unbatched_matches_torch(same_batch):
    ours = list(DataLoader(Records(3), batch_size=None))
    theirs = list(torch_data.DataLoader(Records(3), batch_size=None))
    for a, b in zip(ours, theirs, strict=True):
        same_batch(a, b)


def test_notes_example_iterations_per_epoch():
    # "1000 images, batch size 10: 100 iterations complete 1 epoch"
    loader = DataLoader(TensorDataset(np.zeros((1000, 1), np.float32)), batch_size=10, shuffle=True)
    assert len(loader) == 100 == len(list(loader))


def test_fast_path_is_used_and_equals_the_slow_path(same_batch):
    dataset = TensorDataset(X, Y)
    calls = []
    original = dataset.get_batch
    dataset.get_batch = lambda indices: calls.append(list(indices)) or original(indices)
    fast = list(DataLoader(dataset, batch_size=4))
    assert calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    slow = list(DataLoader(dataset, batch_size=4, collate_fn=lambda samples: default_collate(samples)))
    assert len(calls) == 3  # a custom collate_fn gets single samples, never get_batch
    for a, b in zip(fast, slow, strict=True):
        same_batch(a, [torch.from_numpy(t.numpy()) for t in b])


def test_fast_path_through_a_subset():
    dataset = Subset(TensorDataset(X, Y), [9, 8, 7, 6, 5])
    inputs, labels = next(iter(DataLoader(dataset, batch_size=3)))
    np.testing.assert_array_equal(inputs.numpy(), X[[9, 8, 7]])
    np.testing.assert_array_equal(labels.numpy(), Y[[9, 8, 7]])


def _epoch_labels(loader):
    return np.concatenate([labels.numpy() for _, labels in loader]).tolist()


def test_shuffle_visits_everything_in_a_new_order_each_epoch():
    dataset = TensorDataset(np.arange(50, dtype=np.float32), np.arange(50))
    loader = DataLoader(dataset, batch_size=8, shuffle=True)
    first, second = _epoch_labels(loader), _epoch_labels(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second and first != list(range(50))


def test_shuffle_sequence_repeats_after_manual_seed():
    dataset = TensorDataset(np.arange(30, dtype=np.float32), np.arange(30))
    loader = DataLoader(dataset, batch_size=4, shuffle=True)
    gb.manual_seed(123)
    epochs = [_epoch_labels(loader) for _ in range(3)]
    gb.manual_seed(123)
    assert [_epoch_labels(loader) for _ in range(3)] == epochs
    gb.manual_seed(124)
    assert _epoch_labels(loader) != epochs[0]


def test_shuffle_with_its_own_generator():
    dataset = TensorDataset(np.arange(30, dtype=np.float32), np.arange(30))
    first = DataLoader(dataset, batch_size=4, shuffle=True, generator=9)
    second = DataLoader(dataset, batch_size=4, shuffle=True, generator=9)
    epochs = [_epoch_labels(first) for _ in range(2)]
    gb.manual_seed(0)  # the global seed does not touch a loader with its own generator
    assert [_epoch_labels(second) for _ in range(2)] == epochs
    assert epochs[0] != epochs[1]


def test_shuffle_with_drop_last():
    loader = DataLoader(TensorDataset(np.arange(10), np.arange(10)), batch_size=3, shuffle=True, drop_last=True)
    batches = [labels.numpy().tolist() for _, labels in loader]
    assert len(loader) == len(batches) == 3 and all(len(b) == 3 for b in batches)
    assert len(set(sum(batches, []))) == 9


def test_custom_sampler_and_batch_sampler():
    dataset = TensorDataset(X, Y)
    reverse = list(range(9, -1, -1))
    _, labels = next(iter(DataLoader(dataset, batch_size=3, sampler=reverse)))
    np.testing.assert_array_equal(labels.numpy(), Y[[9, 8, 7]])
    loader = DataLoader(dataset, batch_sampler=[[0, 5], [2], [1, 1, 1]])
    assert [len(labels) for _, labels in loader] == [2, 1, 3]
    assert len(DataLoader(dataset, batch_sampler=BatchSampler(SequentialSampler(dataset), 4, True))) == 2


def test_len_with_sampler_matches_torch():
    ours = DataLoader(TensorDataset(X, Y), batch_size=3, sampler=[1, 2, 3, 4])
    theirs = torch_data.DataLoader(_torch_pair()[1], batch_size=3, sampler=[1, 2, 3, 4])
    assert len(ours) == len(theirs) == 2


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"sampler": [0, 1], "shuffle": True}, "mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
        ({"batch_size": 0}, "positive integer"),
        ({"num_workers": -1}, "num_workers"),
    ],
)
def test_conflicting_options_are_refused_like_torch(arguments, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(TensorDataset(X, Y), **arguments)
    with pytest.raises(ValueError):
        torch_data.DataLoader(_torch_pair()[1], **arguments)


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_matches_torch(drop_last, same_batch):
    ours = list(DataLoader(Stream(7), batch_size=3, drop_last=drop_last))
    theirs = list(torch_data.DataLoader(_TorchStream(7), batch_size=3, drop_last=drop_last))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        same_batch(a, b)
    assert len(DataLoader(SizedStream(7), batch_size=3, drop_last=drop_last)) == len(ours)


def test_iterable_dataset_refuses_shuffle():
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(3), shuffle=True)


class _TorchStream(torch_data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter([(np.float32(i), i) for i in range(self.n)])


def test_image_dataset_batches_train_a_step():
    # the loader's batches feed straight into a computation with gradients
    weights = gb.zeros(3, requires_grad=True)
    loader = DataLoader(TensorDataset(X[:, 0], Y.astype(np.float32)), batch_size=5)
    for inputs, targets in loader:
        ((inputs @ weights - targets) ** 2).mean().backward()
    assert weights.grad is not None and weights.grad.shape == (3,)
