import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.nn import rnn_utils
from oracle import check

torch_utils = torch.nn.utils.rnn
STEPS, BATCH, FEATURES = 4, 3, 2


def packed_fields(packed):
    return [packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(("lengths", "enforce_sorted"), [([4, 2, 1], True), ([2, 4, 1], False), ([1, 3, 4], False)])
def test_pack_padded_sequence_matches_torch(lengths, enforce_sorted, batch_first, dtype):
    shape = (BATCH, STEPS, FEATURES) if batch_first else (STEPS, BATCH, FEATURES)
    outputs = check(lambda x: rnn_utils.pack_padded_sequence(x, lengths, batch_first, enforce_sorted).data,
                    [shape], dtype=dtype,
                    torch_fn=lambda x: torch_utils.pack_padded_sequence(x, torch.tensor(lengths), batch_first,
                                                                        enforce_sorted).data)
    assert outputs[0].shape == (sum(lengths), FEATURES)
    ours = rnn_utils.pack_padded_sequence(gb.zeros(*shape), gb.tensor(lengths), batch_first, enforce_sorted)
    theirs = torch_utils.pack_padded_sequence(torch.zeros(shape), torch.tensor(lengths), batch_first, enforce_sorted)
    for got, expected in zip(packed_fields(ours)[1:], packed_fields(theirs)[1:], strict=True):
        if expected is None:
            assert got is None
        else:
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 6])
def test_pack_then_pad_matches_torch(total_length, batch_first, dtype):
    lengths = [2, 3, 2]  # a tie: whatever order the sort breaks it in, padding restores the batch order

    def ours(x):
        packed = rnn_utils.pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
        return rnn_utils.pad_packed_sequence(packed, batch_first, padding_value=-7.0, total_length=total_length)[0]

    def theirs(x):
        packed = torch_utils.pack_padded_sequence(x, torch.tensor(lengths), batch_first, enforce_sorted=False)
        return torch_utils.pad_packed_sequence(packed, batch_first, padding_value=-7.0, total_length=total_length)[0]

    shape = (BATCH, STEPS, FEATURES) if batch_first else (STEPS, BATCH, FEATURES)
    check(ours, [shape], torch_fn=theirs, dtype=dtype)
    _, returned_lengths = rnn_utils.pad_packed_sequence(rnn_utils.pack_padded_sequence(
        gb.zeros(*shape), lengths, batch_first, enforce_sorted=False))
    assert returned_lengths.tolist() == lengths and returned_lengths.dtype == np.int64


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    check(lambda a, b, c: rnn_utils.pad_sequence([a, b, c], batch_first, 0.5, padding_side),
          [(2, FEATURES), (4, FEATURES), (1, FEATURES)], dtype="float64",
          torch_fn=lambda a, b, c: torch_utils.pad_sequence([a, b, c], batch_first, 0.5, padding_side))


def test_pack_sequence_matches_torch():
    check(lambda a, b: rnn_utils.pack_sequence([a, b], enforce_sorted=False).data, [(2, 3), (3, 3)],
          torch_fn=lambda a, b: torch_utils.pack_sequence([a, b], enforce_sorted=False).data)
    check(lambda a, b: rnn_utils.pack_sequence([a, b]).data, [(3, 3), (1, 3)],
          torch_fn=lambda a, b: torch_utils.pack_sequence([a, b]).data)


def test_errors_say_what_is_wrong():
    x = gb.zeros(STEPS, BATCH, FEATURES)
    with pytest.raises(RuntimeError, match="not sorted in decreasing order.*enforce_sorted=False"):
        rnn_utils.pack_padded_sequence(x, [1, 2, 3])
    with pytest.raises(ValueError, match=r"every length must lie in \[1, 4\].*got \[4, 0, 1\]"):
        rnn_utils.pack_padded_sequence(x, [4, 0, 1])
    with pytest.raises(ValueError, match="2 lengths given for a batch of 3"):
        rnn_utils.pack_padded_sequence(x, [4, 1])
    with pytest.raises(ValueError, match="whole numbers"):
        rnn_utils.pack_padded_sequence(x, [4, 1.5, 1])
    packed = rnn_utils.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length = 3 is shorter than the longest sequence"):
        rnn_utils.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(2, 3\)"):
        rnn_utils.pad_sequence([gb.zeros(2, 2), gb.zeros(2, 3)])
