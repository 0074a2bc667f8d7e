"""Collating: turning a list of samples into one batch, as ``torch.utils.data.default_collate`` does.

The structure of one sample is kept and every leaf gains a leading batch
dimension of size B:

    tensors / NumPy arrays of shape S  ->  a Tensor of shape (B, *S)
    Python floats                      ->  a float64 Tensor of shape (B,)
    Python ints (bools)                ->  an int64 (bool) Tensor of shape (B,)
    strings                            ->  the list of strings
    dicts                              ->  a dict of collated values, key by key
    tuples / lists                     ->  a list of collated fields (namedtuples stay namedtuples)
"""

from __future__ import annotations

import collections.abc

import numpy

from glassbox import backend
from glassbox.tensor import Tensor


def _stack_tensors(batch: list) -> Tensor:
    first = batch[0]
    for position, item in enumerate(batch):
        if item.shape != first.shape:
            raise RuntimeError(
                f"default_collate: every tensor in a batch must have the same shape, but sample 0 has "
                f"{tuple(first.shape)} and sample {position} has {tuple(item.shape)}; pad them or pass a collate_fn"
            )
    if any(item.requires_grad for item in batch):
        from glassbox.ops import stack  # keeps the graph, so gradients reach the samples

        return stack(batch)
    return Tensor._wrap(backend.module_of(first.data).stack([item.data for item in batch]))


def _is_string_array(array) -> bool:
    return array.dtype.kind in "SaUO"


def default_collate(batch):
    """Stack a list of samples into a batch (see the module docstring for the rules)."""
    if not isinstance(batch, collections.abc.Sequence) or len(batch) == 0:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got {type(batch).__name__}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, numpy.ndarray | numpy.generic) and not isinstance(elem, numpy.str_ | numpy.bytes_):
        if _is_string_array(numpy.asarray(elem)):
            raise TypeError(f"default_collate: NumPy arrays of strings or objects cannot be batched, got {elem.dtype}")
        return _stack_tensors([Tensor._wrap(numpy.asarray(item)) for item in batch])
    if isinstance(elem, bool):
        return Tensor._wrap(numpy.asarray(batch, dtype=numpy.bool_))
    if isinstance(elem, int):
        return Tensor._wrap(numpy.asarray(batch, dtype=numpy.int64))
    if isinstance(elem, float):
        return Tensor._wrap(numpy.asarray(batch, dtype=numpy.float64))
    if isinstance(elem, str | bytes):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        for position, sample in enumerate(batch):
            if set(sample) != set(elem):
                raise KeyError(
                    f"default_collate: sample {position} has keys {sorted(map(str, sample))}, "
                    f"sample 0 has {sorted(map(str, elem))}"
                )
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a Mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch, strict=True)))
    if isinstance(elem, collections.abc.Sequence):
        for position, sample in enumerate(batch):
            if len(sample) != len(elem):
                raise RuntimeError(
                    f"default_collate: each sample in a batch must have the same number of fields, but sample 0 "
                    f"has {len(elem)} and sample {position} has {len(sample)}"
                )
        return [default_collate(list(field)) for field in zip(*batch, strict=True)]
    raise TypeError(
        f"default_collate: a batch must hold tensors, NumPy arrays, numbers, strings, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def default_convert(data):
    """Turn NumPy arrays into Tensors throughout a sample, leaving everything else as it is
    (the collate used when a DataLoader does not batch, ``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, numpy.ndarray):
        return data if _is_string_array(data) else Tensor._wrap(data)
    if isinstance(data, numpy.generic) and not isinstance(data, numpy.str_ | numpy.bytes_):
        return Tensor._wrap(numpy.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):
        return [default_convert(value) for value in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        try:
            return type(data)([default_convert(value) for value in data])
        except TypeError:
            return [default_convert(value) for value in data]
    return data
