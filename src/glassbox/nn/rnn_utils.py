"""Batches of sequences of different lengths, as ``torch.nn.utils.rnn``: padding and packing.

A padded batch (T, N, *) wastes work and, worse, changes the answer: an RNN run
over the padding of a short sequence would keep updating its state. *Packing*
keeps only the real steps, sequences sorted longest first, time-major:

    lengths 3, 1, 2  →  sorted 3, 2, 1  →  data = [a₀ c₀ b₀ | a₁ c₁ | a₂]   batch_sizes = [3, 2, 1]

Step t holds the first ``batch_sizes[t]`` sequences, the ones still running.
The recurrent layers accept a ``PackedSequence`` and return one, so each
sequence's final state is the state at its own last step, and
``pad_packed_sequence`` turns the outputs back into a padded batch with zeros
(or ``padding_value``) past each sequence's end.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from glassbox import backend, dtypes
from glassbox.ops.movement import cat, stack
from glassbox.tensor import Tensor


class PackedSequence(NamedTuple):
    """data (sum of lengths, *): the steps of every sequence, time-major, longest sequence first;
    batch_sizes (int64, one per step); sorted_indices[j] = the batch position of the j-th longest
    sequence, unsorted_indices its inverse (both None when the batch came sorted)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _lengths_array(lengths, batch: int, steps: int, where: str) -> numpy.ndarray:
    if isinstance(lengths, Tensor):
        lengths = backend.to_numpy(lengths.data)
    array = numpy.asarray(lengths)
    if array.ndim != 1 or array.dtype.kind not in "iuf":
        raise ValueError(f"{where}: lengths must be a 1-D list or tensor of integers, got {lengths!r}")
    if array.dtype.kind == "f" and numpy.any(array != numpy.round(array)):
        raise ValueError(f"{where}: lengths must be whole numbers, got {array.tolist()}")
    array = array.astype(numpy.int64)
    if array.shape[0] != batch:
        raise ValueError(f"{where}: {array.shape[0]} lengths given for a batch of {batch} sequences")
    if batch and (array.min() < 1 or array.max() > steps):
        raise ValueError(f"{where}: every length must lie in [1, {steps}] (the padded length), "
                         f"got {array.tolist()}")
    return array


def _index_tensor(array: numpy.ndarray, device: str) -> Tensor:
    return Tensor._wrap(backend.to_device(array.astype(dtypes.int64), device))


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, N, *) — or (N, T, *) with ``batch_first`` — given each sequence's length.

    With ``enforce_sorted`` the lengths must be in decreasing order; otherwise the batch is sorted
    here and the permutation kept, so that ``pad_packed_sequence`` and the recurrent layers undo it.
    """
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: expected a padded batch of at least 2 dims, got shape "
                         f"{tuple(input.shape)}")
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    lengths = _lengths_array(lengths, batch, steps, "pack_padded_sequence")
    if enforce_sorted:
        if numpy.any(numpy.diff(lengths) > 0):
            raise RuntimeError(f"pack_padded_sequence: lengths {lengths.tolist()} are not sorted in decreasing "
                               f"order; sort the batch or pass enforce_sorted=False")
        order = numpy.arange(batch)
    else:
        order = numpy.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > numpy.arange(sorted_lengths[0])[:, None]).sum(axis=1)
    # the padded row of (step t, j-th longest sequence), for every step each sequence really has
    rows = [t * batch + order[:size] if not batch_first else order[:size] * steps + t
            for t, size in enumerate(batch_sizes)]
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat[_index_tensor(numpy.concatenate(rows), input.device)]
    if enforce_sorted:
        return PackedSequence(data, _index_tensor(batch_sizes, "cpu"))
    return PackedSequence(data, _index_tensor(batch_sizes, "cpu"), _index_tensor(order, input.device),
                          _index_tensor(numpy.argsort(order), input.device))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: (padded batch, lengths), in the original batch order.

    Steps past a sequence's end hold ``padding_value``; ``total_length`` pads to that many steps
    (at least the longest sequence) instead of the longest length.
    """
    data, batch_sizes, _, unsorted_indices = sequence
    batch_sizes = backend.to_numpy(batch_sizes.data).astype(numpy.int64)
    steps, batch, total = len(batch_sizes), int(batch_sizes[0]), data.shape[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length = {total_length} is shorter than the longest "
                             f"sequence ({steps} steps)")
        steps = total_length
    sorted_lengths = (batch_sizes[None, :] > numpy.arange(batch)[:, None]).sum(axis=1)  # (N,)
    position = (numpy.arange(batch) if unsorted_indices is None
                else backend.to_numpy(unsorted_indices.data))  # original b → sorted position j
    first_rows = numpy.concatenate(([0], numpy.cumsum(batch_sizes)[:-1]))  # of each step in data
    time = numpy.arange(steps)[:, None]  # (T, 1)
    real = time < sorted_lengths[position][None, :]  # (T, N): a step this sequence has
    rows = numpy.where(real, first_rows[numpy.minimum(time, len(first_rows) - 1)] + position[None, :], total)
    if batch_first:
        rows = rows.T
    padding = Tensor._wrap(backend.module_of(data.data).full((1, *data.shape[1:]), padding_value,
                                                             dtype=data.dtype))
    padded = cat([data, padding])[_index_tensor(rows.reshape(-1), data.device)]  # row `total`: the padding
    lengths = _index_tensor(sorted_lengths[position], "cpu")
    return padded.reshape(*rows.shape, *data.shape[1:]), lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into one (T, N, *) batch — (N, T, *) with ``batch_first`` —
    padded with ``padding_value`` on the right (or the left) up to the longest length T."""
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    trailing = tuple(sequences[0].shape[1:])
    for i, sequence in enumerate(sequences):
        if tuple(sequence.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: sequence {i} has shape {tuple(sequence.shape)}, expected "
                               f"(length, {', '.join(map(str, trailing))}) like sequence 0")
    longest = max(sequence.shape[0] for sequence in sequences)
    padded = []
    for sequence in sequences:
        missing = longest - sequence.shape[0]
        if missing:
            block = Tensor._wrap(backend.module_of(sequence.data).full((missing, *trailing), padding_value,
                                                                      dtype=sequence.dtype))
            sequence = cat([sequence, block] if padding_side == "right" else [block, sequence])
        padded.append(sequence)
    return stack(padded, dim=0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *) directly (pad_sequence, then pack_padded_sequence)."""
    sequences = list(sequences)
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
