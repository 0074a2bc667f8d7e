import numpy as np
import pytest

import glassbox as gb


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        gb.tensor([1, 2, 3], requires_grad=True)


def test_tensor_basics():
    x = gb.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.shape == (2, 2) and x.dtype == gb.float32 and x.device == "cpu"
    assert x.ndim == 2 and x.numel() == 4 and len(x) == 2 and x.size(1) == 2
    assert gb.tensor([1, 2]).dtype == gb.int64
    assert gb.tensor([True]).dtype == gb.bool
    assert gb.tensor(np.ones(2)).dtype == gb.float64
    assert x.sum().item() == 10.0
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert x.to(gb.float64).dtype == gb.float64
    assert x.double().float().dtype == gb.float32


def test_numpy_of_tensor_requiring_grad_raises():
    x = gb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_in_place_ops():
    x = gb.ones(3)
    x.add_(1).mul_(3)
    assert x.tolist() == [6.0, 6.0, 6.0]
    x += 1
    assert x.tolist() == [7.0, 7.0, 7.0]
    w = gb.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.add_(1)
    with gb.no_grad():
        w -= 0.5
    assert w.detach().tolist() == [0.5, 0.5, 0.5]
    assert w.requires_grad


def test_in_place_update_keeps_identity():
    x = gb.zeros(2)
    alias = x
    x += 1
    assert alias is x and alias.tolist() == [1.0, 1.0]


def test_cast_gradient_flows_back():
    x = gb.ones(3, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == gb.float32 and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_repr_looks_like_torch():
    assert repr(gb.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(gb.ones(1, requires_grad=True))
    assert "grad_fn" in repr(gb.ones(1, requires_grad=True) * 2)


def test_cuda_error_is_clear_without_cupy():
    if gb.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="cuda"):
        gb.ones(2, device="cuda")
