import os

import numpy as np
import pytest
import torch

import glassbox as gb
from glassbox.models import LeNet5
from glassbox.pth import UnsafePickleError
from oracle import check_module


class TorchLeNet5(torch.nn.Module):
    """The same network in PyTorch, with the same module names."""

    def __init__(self, num_classes=10, in_channels=1, activation="tanh", pooling="avg", padding=0):
        super().__init__()
        act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]
        pool = {"avg": torch.nn.AvgPool2d, "max": torch.nn.MaxPool2d}[pooling]
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(in_channels, 6, 5, padding=padding), act(), pool(2),
            torch.nn.Conv2d(6, 16, 5), act(), pool(2),
            torch.nn.Conv2d(16, 120, 5), act(),
        )
        self.classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(120, 84), act(),
                                              torch.nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def test_parameter_count_equals_the_torch_twin():
    ours = sum(p.numel() for p in LeNet5().parameters())
    theirs = sum(p.numel() for p in TorchLeNet5().parameters())
    # C1 6·(25 + 1), C3 16·(6·25 + 1), C5 120·(16·25 + 1), F6 84·(120 + 1), output 10·(84 + 1)
    assert ours == theirs == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert list(LeNet5().state_dict()) == list(TorchLeNet5().state_dict())


@pytest.mark.parametrize("activation, pooling", [("tanh", "avg"), ("relu", "max")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_gradients_match_torch(activation, pooling, dtype):
    torch.manual_seed(0)
    check_module(LeNet5(activation=activation, pooling=pooling), TorchLeNet5(activation=activation, pooling=pooling),
                 [(4, 1, 32, 32)], dtype=dtype, steps=2)


def test_padding_lets_mnist_sized_images_in():
    torch.manual_seed(0)
    check_module(LeNet5(padding=2, num_classes=5, in_channels=3), TorchLeNet5(padding=2, num_classes=5, in_channels=3),
                 [(2, 3, 28, 28)], dtype="float64")


def test_feature_map_sizes_follow_the_paper():
    model = LeNet5()
    x = gb.randn(2, 1, 32, 32)
    sizes = []
    for layer in model.features:
        x = layer(x)
        sizes.append(tuple(x.shape[1:]))
    assert sizes[0] == (6, 28, 28) and sizes[2] == (6, 14, 14)  # C1, S2
    assert sizes[3] == (16, 10, 10) and sizes[5] == (16, 5, 5)  # C3, S4
    assert sizes[6] == (120, 1, 1)  # C5
    assert model(gb.randn(2, 1, 32, 32)).shape == (2, 10)


def test_predict_proba_is_the_softmax_of_the_logits_in_eval_mode():
    model = LeNet5()
    x = gb.randn(3, 1, 32, 32)
    probabilities = model.predict_proba(x)
    logits = model(x).detach().numpy()
    expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(probabilities.numpy(), expected, rtol=1e-5)
    assert model.training and not probabilities.requires_grad


def test_bad_arguments_and_inputs_fail_clearly():
    with pytest.raises(ValueError, match="activation must be one of"):
        LeNet5(activation="sigmoid")
    with pytest.raises(ValueError, match="pooling must be one of"):
        LeNet5(pooling="median")
    with pytest.raises(ValueError, match=r"32×32 after C1's padding of 0, got shape \(2, 1, 28, 28\)"):
        LeNet5()(gb.randn(2, 1, 28, 28))


class _Payload:
    """Unpickling this would create ``path``: the marker that code from the file ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


@pytest.mark.parametrize("payload", ["module", "function", "code"])
def test_a_pth_holding_anything_but_tensors_is_refused_unexecuted(tmp_path, payload):
    marker = tmp_path / "ran"
    state = TorchLeNet5().state_dict()
    if payload == "module":
        state = TorchLeNet5()  # a whole pickled model instead of its state_dict
    elif payload == "function":
        state["features.0.weight"] = np.mean  # a function where a tensor should be
    else:
        state["features.0.weight"] = _Payload(str(marker))
    path = tmp_path / "lenet.pth"
    torch.save(state, path)
    model = LeNet5()
    before = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    with pytest.raises(UnsafePickleError, match="refusing to load"):
        model.load_state_dict(gb.load(path))
    assert not marker.exists()
    assert all(np.array_equal(before[name], value.numpy()) for name, value in model.state_dict().items())
    if payload == "code":  # a plain unpickler would have run it: the refusal is what prevented it
        torch.load(path, weights_only=False)
        assert marker.exists()


def test_torch_weights_load_from_pth(tmp_path):
    torch.manual_seed(3)
    theirs = TorchLeNet5(activation="relu", pooling="max")
    torch.save(theirs.state_dict(), tmp_path / "lenet.pth")
    ours = LeNet5(activation="relu", pooling="max")
    ours.load_state_dict(gb.load(tmp_path / "lenet.pth"))
    x = np.random.default_rng(0).normal(size=(3, 1, 32, 32)).astype(np.float32)
    with gb.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours(gb.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), atol=1e-5, rtol=1e-4)
