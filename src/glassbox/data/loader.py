"""DataLoader: mini-batches from a dataset, epoch after epoch.

One epoch visits every sample once; with N samples and batch size B it takes

    len(loader) = ceil(N / B)        (floor(N / B) with drop_last=True)

iterations, as in the notes ("1000 images, batch size 10: 100 iterations
complete 1 epoch"). ``shuffle=True`` draws a new permutation at the start of
every epoch from glassbox's seeded generator, so after ``gb.manual_seed(n)``
the sequence of epochs repeats exactly; pass ``generator=`` (an int seed or a
NumPy generator) to give the loader its own stream.

Same names, arguments and batches as ``torch.utils.data.DataLoader`` (loading
happens in the calling process: ``num_workers`` and ``pin_memory`` are
accepted for compatibility and change nothing in the batches).

Fast path: with the default collate, a dataset that defines ``get_batch``
(``TensorDataset``, ``Subset`` of one, the image datasets without transforms)
is asked for whole batches, one fancy index per array, instead of B single
samples stacked together.
"""

from __future__ import annotations

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    Args:
        dataset: a map-style dataset (``len`` and ``[i]``) or an ``IterableDataset``.
        batch_size: samples per batch; ``None`` yields single samples, unbatched.
        shuffle: visit the samples in a new random order every epoch.
        sampler: the order of indices (excludes ``shuffle``).
        batch_sampler: yields whole lists of indices (excludes batch_size, shuffle, sampler, drop_last).
        collate_fn: turns a list of samples into a batch; default ``default_collate``.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: int seed or ``numpy.random.Generator`` for shuffling; default glassbox's generator.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator=None,
    ):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.drop_last = drop_last
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)

        if self._iterable:
            if shuffle:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 "got shuffle=True")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected no sampler or batch_sampler")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler "
                    "and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                                 "exclusive with drop_last")
        elif not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but got {batch_size!r}")

        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        batched = batch_size is not None or batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if batched else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    def _fetch(self, indices):
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None and self.collate_fn is default_collate:
            return get_batch(indices)
        return self.collate_fn([self.dataset[index] for index in indices])

    def _iterate_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __iter__(self):
        if self._iterable:
            yield from self._iterate_stream()
        elif self._auto_collation:
            for indices in self.batch_sampler:
                yield self._fetch(indices)
        else:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else -(-length // self.batch_size)
        if self._auto_collation:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __repr__(self) -> str:
        size = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (f"DataLoader({type(self.dataset).__name__} of {size} samples, batch_size={self.batch_size}, "
                f"drop_last={self.drop_last}, sampler={type(self.sampler).__name__})")
