"""glassbox.autograd: the recorded graph, its backward pass and the grad modes, through the Tensor API."""

import numpy as np
import pytest
import torch

import glassbox as gb


def test_long_chain_has_no_recursion_limit():
    x = gb.tensor(1.0, dtype=gb.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000, rel=1e-9)


def test_diamond_graph_accumulates_both_paths():
    x = gb.tensor([2.0, -1.0], requires_grad=True)
    shared = x * x  # used twice below
    out = (shared.exp() + shared * 3).sum()
    out.backward()
    tx = torch.tensor([2.0, -1.0], requires_grad=True)
    ts = tx * tx
    (ts.exp() + ts * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_gradients_accumulate_across_backward_calls():
    x = gb.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.numpy().tolist() == [6.0, 6.0]


def test_same_tensor_twice_in_one_op():
    x = gb.tensor([3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.item() == 6.0
    y = gb.tensor([1.0, 2.0], requires_grad=True)
    (y + y).sum().backward()
    assert y.grad.numpy().tolist() == [2.0, 2.0]


def test_leaf_gradients_do_not_share_memory():
    a = gb.ones(3, requires_grad=True)
    b = gb.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10
    assert b.grad.numpy().tolist() == [1.0, 1.0, 1.0]


def test_graph_is_freed_after_backward():
    x = gb.ones(2, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = gb.ones(2, requires_grad=True)
    y = (x * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.numpy().tolist() == [4.0, 4.0]


def test_backward_on_non_scalar_needs_gradient():
    x = gb.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar output"):
        y.backward()
    y.backward(gb.tensor([1.0, 0.0, 2.0]))
    assert x.grad.numpy().tolist() == [2.0, 0.0, 4.0]


def test_backward_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gb.ones(2).sum().backward()


def test_no_grad_records_nothing():
    x = gb.ones(2, requires_grad=True)
    with gb.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @gb.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert gb.is_grad_enabled()


def test_graph_recorded_only_when_needed():
    a, b = gb.ones(2), gb.ones(2)
    assert (a * b).grad_fn is None
    assert (a * gb.ones(2, requires_grad=True)).grad_fn is not None


def test_detach_cuts_the_graph():
    x = gb.ones(2, requires_grad=True)
    y = (x * 2).detach() * x
    y.sum().backward()
    assert x.grad.numpy().tolist() == [2.0, 2.0]


def test_retain_grad_keeps_intermediate_gradient():
    x = gb.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.numpy().tolist() == [6.0, 6.0]
