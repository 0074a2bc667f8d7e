import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
import glassbox.nn.functional as F
from oracle import check_module

INDICES = [
    np.array([3, 1, 4, 1, 5, 9, 2, 6]),  # repeated ids: their gradients add up
    np.array([[0, 2, 2], [9, 0, 7]]),
    np.array(4),  # a single id gives a single vector
    np.array([[[1, 1], [1, 1]]], dtype=np.int32),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("indices", INDICES, ids=lambda a: str(a.shape))
@pytest.mark.parametrize("options", [{}, {"padding_idx": 1}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                     {"max_norm": 1.5}, {"max_norm": 2.0, "norm_type": 1.0},
                                     {"padding_idx": 0, "scale_grad_by_freq": True}], ids=str)
def test_embedding_matches_torch(indices, options, dtype):
    ours, theirs = nn.Embedding(10, 3, **options), torch.nn.Embedding(10, 3, **options)
    # weights, gradients (padding row none) and, with max_norm, the renormalised table after each step
    check_module(ours, theirs, inputs=[indices], dtype=dtype, steps=2)


def test_functional_embedding_matches_torch():
    weight = np.random.default_rng(0).normal(size=(6, 4))
    ids = np.array([[5, 0], [2, 2]])
    ours_weight = gb.tensor(weight, requires_grad=True)
    theirs_weight = torch.tensor(weight, requires_grad=True)
    ours = F.embedding(gb.tensor(ids), ours_weight, padding_idx=2)
    theirs = torch.nn.functional.embedding(torch.tensor(ids), theirs_weight, padding_idx=2)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(ours_weight.grad.numpy(), theirs_weight.grad.numpy())


def test_padding_row_starts_at_zero_and_receives_no_gradient():
    gb.manual_seed(0)
    table = nn.Embedding(5, 4, padding_idx=2)
    np.testing.assert_array_equal(table.weight.detach().numpy()[2], np.zeros(4))
    table(gb.tensor([2, 2, 3])).sum().backward()
    np.testing.assert_array_equal(table.weight.grad.numpy()[2], np.zeros(4))
    np.testing.assert_array_equal(table.weight.grad.numpy()[3], np.ones(4))
    assert nn.Embedding(5, 4, padding_idx=-2).padding_idx == 3


def test_default_initialisation_is_standard_normal():
    gb.manual_seed(1)
    values = nn.Embedding(1000, 200).weight.detach().numpy()
    assert abs(values.mean()) < 5 / math.sqrt(values.size)
    assert abs(values.std() - 1) < 0.01


def test_from_pretrained_copies_and_freezes():
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    table = nn.Embedding.from_pretrained(gb.tensor(vectors))
    assert not table.weight.requires_grad and table.weight.shape == (4, 3)
    np.testing.assert_array_equal(table(gb.tensor([3])).numpy(), vectors[[3]])
    table.weight.data[0, 0] = 100.0
    assert vectors[0, 0] == 0.0  # a copy, not a view
    trainable = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad
    np.testing.assert_array_equal(trainable.weight.detach().numpy()[1], vectors[1])  # kept, not zeroed
    trainable(gb.tensor([1, 2])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy()[1], np.zeros(3))
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(vectors), freeze=False, padding_idx=1)
    assert repr(trainable) == repr(theirs)
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(np.zeros(3))


def test_errors_are_clear():
    table = nn.Embedding(5, 2)
    with pytest.raises(TypeError, match="integer tensor"):
        table(gb.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"ids must lie in \[0, 4\], got ids from 0 to 5"):
        table(gb.tensor([0, 5]))
    with pytest.raises(IndexError, match="out of range"):
        table(gb.tensor([-1]))
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings 5"):
        nn.Embedding(5, 2, padding_idx=5)


def test_repr_and_state_dict_match_torch():
    for options in ({}, {"padding_idx": 0}, {"max_norm": 1.0, "norm_type": 1.0}, {"scale_grad_by_freq": True}):
        ours, theirs = nn.Embedding(10, 3, **options), torch.nn.Embedding(10, 3, **options)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
        assert ours.weight.shape == tuple(theirs.weight.shape)
