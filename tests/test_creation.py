import numpy as np
import pytest
import torch

import glassbox as gb


def test_factories_match_torch_shapes_and_dtypes():
    pairs = [
        (gb.zeros(2, 3), torch.zeros(2, 3)),
        (gb.ones((2, 3)), torch.ones((2, 3))),
        (gb.full((2,), 7), torch.full((2,), 7)),
        (gb.full((2,), 7.5), torch.full((2,), 7.5)),
        (gb.arange(5), torch.arange(5)),
        (gb.arange(1, 2, 0.25), torch.arange(1, 2, 0.25)),
        (gb.arange(0.0, 3), torch.arange(0.0, 3)),
        (gb.linspace(0, 1, 5), torch.linspace(0, 1, 5)),
        (gb.eye(3), torch.eye(3)),
        (gb.eye(2, 3), torch.eye(2, 3)),
        (gb.zeros_like(gb.ones(2, dtype=gb.float64)), torch.zeros_like(torch.ones(2, dtype=torch.float64))),
        (gb.ones_like(gb.arange(3)), torch.ones_like(torch.arange(3))),
        (gb.full_like(gb.ones(2), 3), torch.full_like(torch.ones(2), 3)),
    ]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype)[6:]
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_random_factories():
    gb.manual_seed(0)
    assert gb.rand(3, 4).shape == (3, 4) and gb.rand(2).dtype == gb.float32
    assert gb.randn(2, 2, dtype=gb.float64).dtype == gb.float64
    ints = gb.randint(0, 5, (1000,))
    assert ints.dtype == gb.int64 and ints.min().item() >= 0 and ints.max().item() <= 4
    assert sorted(gb.randperm(6).tolist()) == list(range(6))
    assert gb.randn_like(gb.ones(3, dtype=gb.float64)).dtype == gb.float64
    samples = gb.randn(100_000)
    assert abs(samples.mean().item()) < 0.02 and abs(samples.std().item() - 1) < 0.02
    uniform = gb.rand(100_000)
    assert 0 <= uniform.min().item() and uniform.max().item() < 1
    assert abs(uniform.mean().item() - 0.5) < 0.01


def test_manual_seed_makes_draws_repeat():
    gb.manual_seed(42)
    first = (gb.randn(5).tolist(), gb.rand(3).tolist(), gb.randint(10, (4,)).tolist())
    gb.manual_seed(42)
    second = (gb.randn(5).tolist(), gb.rand(3).tolist(), gb.randint(10, (4,)).tolist())
    assert first == second
    gb.manual_seed(43)
    assert gb.randn(5).tolist() != first[0]


def test_rng_state_round_trip():
    gb.manual_seed(1)
    state = gb.get_rng_state()
    a = gb.randn(4).tolist()
    gb.set_rng_state(state)
    assert gb.randn(4).tolist() == a


def test_requires_grad_factories():
    x = gb.zeros(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_bad_sizes():
    with pytest.raises(ValueError, match="non-negative"):
        gb.zeros(-1)


def test_tensor_copies_numpy_but_from_numpy_shares():
    array = np.zeros(3, dtype=np.float32)
    copied, shared = gb.tensor(array), gb.from_numpy(array)
    array[0] = 1
    assert copied.tolist()[0] == 0 and shared.tolist()[0] == 1
