import numpy as np
import pytest
import torch.utils.data as torch_data

import glassbox as gb
from glassbox.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from glassbox.data.sampler import as_generator

DATA = list(range(10))


def test_sequential():
    assert list(SequentialSampler(DATA)) == DATA
    assert len(SequentialSampler(DATA)) == 10


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(DATA), batch_size, drop_last)
    theirs = torch_data.BatchSampler(torch_data.SequentialSampler(DATA), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs) == len(list(ours))


def test_batch_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="positive integer"):
        BatchSampler(DATA, 0, False)
    with pytest.raises(ValueError, match="boolean"):
        BatchSampler(DATA, 2, 1)


def test_random_sampler_is_a_new_permutation_each_epoch():
    sampler = RandomSampler(DATA, generator=3)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == DATA
    assert first != second


def test_random_sampler_repeats_after_manual_seed():
    sampler = RandomSampler(DATA)
    gb.manual_seed(7)
    epochs = [list(sampler) for _ in range(3)]
    gb.manual_seed(7)
    assert [list(sampler) for _ in range(3)] == epochs
    assert epochs[0] != epochs[1]


def test_random_sampler_num_samples_chains_permutations():
    drawn = list(RandomSampler(DATA, num_samples=25, generator=0))
    counts = np.bincount(drawn, minlength=10)
    assert len(drawn) == 25 and counts.min() >= 2 and counts.max() <= 3
    assert sorted(drawn[:10]) == DATA and sorted(drawn[10:20]) == DATA


def test_random_sampler_with_replacement():
    sampler = RandomSampler(DATA, replacement=True, num_samples=1000, generator=0)
    drawn = np.array(list(sampler))
    assert len(sampler) == 1000 and drawn.min() >= 0 and drawn.max() <= 9
    assert len(np.unique(drawn[:20])) < 20  # repeats appear: 20 draws from 10 values


def test_random_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(DATA, num_samples=0)
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(DATA, replacement=1)


def test_subset_random_sampler():
    indices = [4, 8, 15, 16, 23, 42]
    sampler = SubsetRandomSampler(indices, generator=1)
    assert sorted(sampler) == sorted(indices) and len(sampler) == 6


def test_weighted_random_sampler_follows_the_weights():
    weights = [0.0, 1.0, 3.0]
    drawn = np.array(list(WeightedRandomSampler(weights, 4000, generator=0)))
    counts = np.bincount(drawn, minlength=3)
    assert counts[0] == 0
    assert abs(counts[2] / counts[1] - 3.0) < 0.3


def test_weighted_random_sampler_without_replacement():
    drawn = list(WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=0))
    assert sorted(drawn) == [0, 1, 2]
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1, 0], 2, replacement=False)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1, -1], 2)


def test_as_generator():
    assert as_generator(None) is gb.random.generator("cpu")
    own = np.random.default_rng(0)
    assert as_generator(own) is own
    assert as_generator(5).integers(1000) == np.random.default_rng(5).integers(1000)
    with pytest.raises(TypeError, match="generator must be"):
        as_generator("seed")
