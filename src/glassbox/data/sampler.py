"""Samplers: the order in which a DataLoader visits the samples of a dataset.

A sampler yields dataset indices; a batch sampler groups them into lists, one
list per mini-batch. With N samples and batch size B one epoch is
``ceil(N / B)`` iterations (``floor(N / B)`` with ``drop_last``): the notes'
"1000 images, batch size 10: 100 iterations complete 1 epoch".

Randomness comes from ``glassbox.random`` unless a generator is given, so
``gb.manual_seed(n)`` makes the whole sequence of shuffled epochs repeat.
"""

from __future__ import annotations

import numpy

from glassbox import random as gb_random


def as_generator(generator=None):
    """The NumPy generator to draw from: ``None`` means glassbox's global one (looked up now, so a later
    ``gb.manual_seed`` takes effect), an int is a seed for a new private generator."""
    if generator is None:
        return gb_random.generator("cpu")
    if isinstance(generator, numpy.random.Generator):
        return generator
    if isinstance(generator, int | numpy.integer) and not isinstance(generator, bool):
        return numpy.random.default_rng(int(generator))
    raise TypeError(
        f"generator must be None (glassbox's seeded generator), an int seed or a numpy.random.Generator, "
        f"got {type(generator).__name__}"
    )


def _private_generator(generator):
    """A generator kept for the sampler's lifetime (so every epoch draws afresh), or None for the global one."""
    return None if generator is None else as_generator(generator)


class Sampler:
    """Base class: ``__iter__`` yields indices (or lists of indices), ``__len__`` says how many."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no length")


class SequentialSampler(Sampler):
    """0, 1, …, N-1: the dataset in its own order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random permutation of 0 … N-1 every epoch (or ``num_samples`` draws with replacement).

    Without replacement and with ``num_samples`` > N, whole permutations are
    chained, as PyTorch does, so every sample appears equally often.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _private_generator(generator)
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples must be a positive integer, got {self.num_samples!r}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng = as_generator(self.generator)
        n = len(self.data_source)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order every epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = _private_generator(generator)

    def __iter__(self):
        order = as_generator(self.generator).permutation(len(self.indices))
        for position in order.tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (e.g. to balance classes)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        weights = numpy.asarray(weights, dtype=numpy.float64)
        if weights.ndim != 1 or weights.size == 0:
            raise ValueError(
                f"WeightedRandomSampler: weights must be a non-empty 1-D sequence, got shape {weights.shape}"
            )
        if not numpy.all(numpy.isfinite(weights)) or numpy.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples must be a positive integer, got {num_samples!r}")
        if not replacement and num_samples > numpy.count_nonzero(weights):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement from "
                f"{numpy.count_nonzero(weights)} with non-zero weight"
            )
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = _private_generator(generator)

    def __iter__(self):
        rng = as_generator(self.generator)
        drawn = rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter one is kept
    unless ``drop_last``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
