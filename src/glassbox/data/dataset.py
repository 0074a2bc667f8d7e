"""Datasets: indexable collections of samples, and ways to combine and split them.

A map-style ``Dataset`` answers ``len(dataset)`` and ``dataset[i]`` (one
sample, e.g. an ``(image, label)`` pair); an ``IterableDataset`` only yields
samples in order.

A dataset that can hand out a whole batch at once defines
``get_batch(indices)``, returning exactly what ``default_collate`` would make of
``[dataset[i] for i in indices]``. The DataLoader calls it instead of fetching
and stacking B samples one by one: for a ``TensorDataset`` that is one fancy
index per array per batch.
"""

from __future__ import annotations

import bisect
import itertools
import math

import numpy

from glassbox import backend
from glassbox.tensor import Tensor

from .collate import default_collate
from .sampler import as_generator


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset:
    """Base class of datasets read as a stream: subclasses define ``__iter__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


def _index_array(indices, length: int, owner: str):
    """Indices as an int64 array, negatives wrapped, out-of-range ones reported."""
    positions = numpy.asarray(indices, dtype=numpy.int64).reshape(-1)
    if positions.size and (positions.max() >= length or positions.min() < -length):
        bad = positions[(positions >= length) | (positions < -length)][0]
        raise IndexError(f"{owner}: index {int(bad)} is out of range for a dataset of {length} samples")
    return numpy.where(positions < 0, positions + length, positions)


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor: ``dataset[i] = (x[i], y[i])``.

    Accepts glassbox Tensors or NumPy arrays (kept as Tensors sharing their memory);
    all must have the same length along dimension 0.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        converted = []
        for position, item in enumerate(tensors):
            if not isinstance(item, Tensor):
                if not isinstance(item, numpy.ndarray):
                    raise TypeError(
                        f"TensorDataset: argument {position} must be a Tensor or a NumPy array, "
                        f"got {type(item).__name__}"
                    )
                item = Tensor._wrap(item)
            if item.ndim == 0:
                raise ValueError(f"TensorDataset: argument {position} is 0-dimensional; samples are rows of dim 0")
            converted.append(item)
        lengths = [len(item) for item in converted]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors along dimension 0: {lengths}")
        self.tensors = tuple(converted)

    def __getitem__(self, index):
        return tuple(item[index] for item in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])

    def get_batch(self, indices) -> list:
        """``[x[indices], y[indices], …]``: one fancy index per tensor instead of B rows stacked."""
        positions = _index_array(indices, len(self), "TensorDataset")
        batch = []
        for item in self.tensors:
            if item.requires_grad:
                batch.append(item[positions])  # through the indexing op, so the graph is kept
            else:
                where = backend.to_device(positions, item.device) if item.device != "cpu" else positions
                batch.append(Tensor._wrap(item.data[where]))
        return batch


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        self._index_cache = (None, None)  # (the indices object, it as an int64 array)

    def __getitem__(self, index):
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    def get_batch(self, indices):
        inner = getattr(self.dataset, "get_batch", None)
        if inner is None:
            return default_collate([self[i] for i in indices])
        positions = _index_array(indices, len(self), "Subset")
        source, as_array = self._index_cache
        if source is not self.indices:  # converting a long list every batch would cost more than the batch
            as_array = numpy.asarray(self.indices, dtype=numpy.int64)
            self._index_cache = (self.indices, as_array)
        return inner(as_array[positions])


class ConcatDataset(Dataset):
    """Several datasets one after another: index i falls in the first dataset whose cumulative size exceeds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
            index += len(self)
        if index >= len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} samples")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def _lengths_from_fractions(fractions, total: int) -> list:
    """floor(total * fraction) each, then the remainder handed out one at a time from the first split on."""
    for fraction in fractions:
        if not 0 <= fraction <= 1:
            raise ValueError(f"random_split: fraction {fraction} is not between 0 and 1")
    lengths = [math.floor(total * fraction) for fraction in fractions]
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    return lengths


def random_split(dataset, lengths, generator=None) -> list:
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are counts that add up to ``len(dataset)``, or fractions that
    add up to 1 (``[0.8, 0.2]``; rounding leftovers go to the first splits, as
    in PyTorch). ``generator`` is an int seed or a NumPy generator; without one
    the draw comes from glassbox's seeded generator (``gb.manual_seed``).
    """
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and any(isinstance(n, float) for n in lengths):
        lengths = _lengths_from_fractions(lengths, total)
    for length in lengths:
        if not isinstance(length, int | numpy.integer) or length < 0:
            raise ValueError(f"random_split: lengths must be non-negative integers or fractions, got {lengths}")
    if sum(lengths) != total:
        raise ValueError(
            f"random_split: the lengths {lengths} add up to {sum(lengths)}, but the dataset has {total} samples"
        )
    order = as_generator(generator).permutation(total).tolist()
    splits, start = [], 0
    for length in lengths:
        splits.append(Subset(dataset, order[start : start + length]))
        start += length
    return splits
