"""glassbox on the GPU: the same programs give the same numbers on "cuda" (CuPy) as on "cpu" (NumPy).

Every test but the last needs CuPy and a GPU and is skipped without them. The whole op and layer
suite runs on the GPU too, with the oracle's device switch:

    GLASSBOX_TEST_DEVICE=cuda python -m pytest tests/ops tests/nn tests/optim tests/test_cuda.py

The last test runs everywhere: it checks the error a user gets when asking for "cuda" on a machine
without CuPy (its absence simulated).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import backend, nn, optim

needs_gpu = pytest.mark.skipif(not backend.cuda_is_available(), reason="needs CuPy and a GPU")


@needs_gpu
def test_a_round_trip_keeps_values_and_gradients_flow_back_across_the_device_boundary():
    values = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    leaf = gb.tensor(values, requires_grad=True)  # a CPU leaf
    on_gpu = leaf.to("cuda")
    assert on_gpu.device == "cuda" and on_gpu.is_cuda and on_gpu.requires_grad
    squares = (on_gpu * on_gpu).sum(dim=1)  # (3,), computed on the GPU
    assert squares.device == "cuda"
    back = squares.to("cpu")
    assert back.device == "cpu"
    (back * gb.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert leaf.grad.device == "cpu"
    np.testing.assert_allclose(leaf.grad.numpy(), 2 * values * np.array([[1.0], [2.0], [3.0]]), rtol=1e-6)
    np.testing.assert_array_equal(on_gpu.detach().cpu().numpy(), values)

    gpu_leaf = gb.tensor(values, device="cuda", requires_grad=True)  # a GPU leaf, through a CPU detour
    (gpu_leaf.cpu() * 3.0).sum().backward()
    assert gpu_leaf.grad.device == "cuda"
    np.testing.assert_array_equal(gpu_leaf.grad.numpy(), np.full_like(values, 3.0))


@needs_gpu
def test_random_draws_on_the_gpu_repeat_from_the_same_seed():
    gb.manual_seed(7)
    first = gb.randn(4, 5, device="cuda")
    gb.manual_seed(7)
    second = gb.randn(4, 5, device="cuda")
    assert first.device == "cuda"
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert np.std(first.numpy()) > 0.1  # real draws, not a constant


@needs_gpu
def test_a_cpu_tensor_meeting_gpu_inputs_is_a_clear_error_and_plain_arrays_follow_the_input():
    scores = gb.randn(2, 3, 4, device="cuda")
    allowed = np.tril(np.ones((3, 3), dtype=bool))  # (L, S) for the self-attention of (2, 3, 4)
    with pytest.raises(RuntimeError, match="the mask is on cpu, the scores on cuda"):
        F.scaled_dot_product_attention(scores, scores, scores, attn_mask=gb.tensor(allowed))
    out = F.scaled_dot_product_attention(scores, scores, scores, attn_mask=allowed)  # a NumPy mask moves along
    assert out.device == "cuda"
    logits, labels = gb.randn(4, 3, device="cuda"), gb.tensor([0, 2, 1, 0], device="cuda")
    with pytest.raises(RuntimeError, match="weight is on cpu, the input on cuda"):
        F.cross_entropy(logits, labels, weight=gb.tensor([1.0, 2.0, 0.5]))


def _mlp():
    return nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 5))


def _cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 4, 4, 4)
        nn.Flatten(), nn.Linear(4 * 4 * 4, 3),
    )


def _loss_curve(build, make_optimizer, inputs, targets, device, steps):
    gb.manual_seed(0)  # the same initial weights on both devices (drawn on the CPU, then moved)
    model = build().to(device)
    optimizer = make_optimizer(model.parameters())
    x, y = gb.tensor(inputs, device=device), gb.tensor(targets, device=device)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        assert loss.device == device
        losses.append(loss.item())
    assert all(parameter.device == device for parameter in model.parameters())
    return np.array(losses)


@needs_gpu
@pytest.mark.parametrize("name, build, input_shape, classes, make_optimizer", [
    ("mlp", _mlp, (16, 20), 5, lambda parameters: optim.SGD(parameters, lr=0.1, momentum=0.9)),
    ("cnn", _cnn, (8, 1, 8, 8), 3, lambda parameters: optim.SGD(parameters, lr=0.05, momentum=0.9)),
])
def test_training_on_the_gpu_follows_the_cpu_loss_curve(name, build, input_shape, classes, make_optimizer):
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal(input_shape).astype(np.float32)
    targets = rng.integers(0, classes, size=input_shape[0])
    on_cpu = _loss_curve(build, make_optimizer, inputs, targets, "cpu", steps=8)
    on_gpu = _loss_curve(build, make_optimizer, inputs, targets, "cuda", steps=8)
    assert on_cpu[-1] < on_cpu[0], f"{name}: the loss did not fall ({on_cpu}): the comparison would prove little"
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-4, atol=1e-5, err_msg=f"{name}: loss per step")


@needs_gpu
@pytest.mark.parametrize("kind", ["random_forest", "logistic_regression"])
def test_compiled_models_give_scikit_learns_labels_on_the_gpu(kind):
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    import glassbox.compile

    X, y = make_classification(n_samples=400, n_features=8, n_informative=5, n_classes=3, random_state=0)
    if kind == "random_forest":
        model = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(X, y)
    else:
        model = LogisticRegression(max_iter=1000).fit(X, y)
    compiled = glassbox.compile.convert(model, device="cuda")
    labels = compiled.predict(X)
    assert backend.device_of(labels) == "cuda"
    np.testing.assert_array_equal(backend.to_numpy(labels), model.predict(X))
    np.testing.assert_allclose(backend.to_numpy(compiled.predict_proba(X)), model.predict_proba(X), atol=1e-9)


def test_asking_for_cuda_without_cupy_fails_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError
    assert not backend.cuda_is_available()
    with pytest.raises(backend.DeviceError, match="needs CuPy, which is not installed"):
        gb.zeros(2, device="cuda")
    with pytest.raises(backend.DeviceError, match="needs CuPy"):
        gb.tensor([1.0, 2.0]).to("cuda")
    with pytest.raises(backend.DeviceError, match="needs CuPy"):
        nn.Linear(2, 2).to("cuda")
