import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn, optim
from glassbox.models import MLP, DigitsCNN, LeNet5, freeze, parameter_groups, replace_head, unfreeze
from glassbox.models.transfer import trainable_parameters


def frozen_names(model):
    return [name for name, p in model.named_parameters() if not p.requires_grad]


def test_freeze_by_module_and_unfreeze():
    model = LeNet5()
    names = freeze(model.features)
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"]
    assert frozen_names(model) == ["features." + name for name in names]
    assert len(trainable_parameters(model)) == 4
    assert unfreeze(model) == [name for name, _ in model.named_parameters()]
    assert frozen_names(model) == []


def test_freeze_by_name_pattern_and_regex():
    model = LeNet5()
    assert freeze(model, "features.*.weight") == ["features.0.weight", "features.3.weight", "features.6.weight"]
    unfreeze(model)
    assert freeze(model, r"features\.[03]\..*", "classifier.3.bias", regex=False) == ["classifier.3.bias"]
    unfreeze(model)
    assert freeze(model, r"features\.[03]\..*", regex=True) == ["features.0.weight", "features.0.bias",
                                                                "features.3.weight", "features.3.bias"]
    assert unfreeze(model, "features.3.*") == ["features.3.weight", "features.3.bias"]
    assert frozen_names(model) == ["features.0.weight", "features.0.bias"]
    with pytest.raises(ValueError, match=r"no parameter name matches \('encoder\.\*',\); names look like"):
        freeze(model, "encoder.*")
    with pytest.raises(TypeError, match="expected a glassbox Module"):
        freeze([model])


def test_frozen_layers_keep_their_weights_while_the_rest_learns():
    gb.manual_seed(0)
    model = LeNet5()
    freeze(model.features)
    before = {name: p.detach().numpy().copy() for name, p in model.state_dict().items()}
    optimizer = optim.SGD(trainable_parameters(model), lr=0.1, momentum=0.9)
    x, y = gb.randn(8, 1, 32, 32), gb.tensor(np.arange(8) % 10)
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    after = model.state_dict()
    for name, value in before.items():
        changed = not np.array_equal(value, after[name].numpy())
        assert changed == name.startswith("classifier"), name
    assert all(p.grad is None for p in model.features.parameters())  # backward skipped them


@pytest.mark.parametrize("build, attribute", [
    (lambda: LeNet5(), "classifier.3"),
    (lambda: DigitsCNN(), "classifier.4"),
    (lambda: MLP(64, (32, 16), 10), "layers.4"),
])
def test_replace_head_on_zoo_models(build, attribute):
    gb.manual_seed(0)
    model = build()
    old = model.get_submodule(attribute)
    keep = {name: p.detach().numpy().copy() for name, p in model.state_dict().items() if not name.startswith(attribute)}
    new = replace_head(model, 3)
    assert model.get_submodule(attribute) is new and new is not old
    assert (new.in_features, new.out_features) == (old.in_features, 3)
    assert all(np.array_equal(value, model.state_dict()[name].numpy()) for name, value in keep.items())
    inputs = gb.randn(2, 1, 32, 32) if isinstance(model, LeNet5) else gb.randn(2, 64)
    assert model(inputs).shape == (2, 3)


class WithFc(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(5, 8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(self.body(x).relu())


def test_replace_head_finds_a_linear_attribute_keeps_dtype_and_updates_num_classes():
    model = WithFc().double()
    new = replace_head(model, 2)
    assert model.fc is new and new.weight.dtype == np.float64 and new.weight.requires_grad
    assert model(gb.randn(3, 5, dtype=gb.float64)).shape == (3, 2)
    lenet = LeNet5()
    freeze(lenet)
    replace_head(lenet, 4)
    assert lenet.num_classes == 4 and lenet.classifier[3].weight.requires_grad  # the new head learns
    assert replace_head(model, 6, attribute="body").out_features == 6
    with pytest.raises(ValueError, match="has no Linear output layer in any of"):
        replace_head(nn.Sequential(nn.ReLU()), 2)
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        replace_head(model, 0)


def test_parameter_groups_give_each_pattern_its_learning_rate():
    model = LeNet5()
    freeze(model, "features.0.*")
    groups = parameter_groups(model, {"features.*": 1e-4, "classifier.3.*": 1e-2}, default_lr=1e-3)
    assert [group["lr"] for group in groups] == [1e-4, 1e-2, 1e-3]
    assert [[name for name, _ in group["params"]] for group in groups] == [
        ["features.3.weight", "features.3.bias", "features.6.weight", "features.6.bias"],
        ["classifier.3.weight", "classifier.3.bias"],
        ["classifier.1.weight", "classifier.1.bias"],
    ]
    optimizer = optim.SGD(groups, lr=0.5)
    assert [group["lr"] for group in optimizer.param_groups] == [1e-4, 1e-2, 1e-3]
    assert optimizer.param_groups[1]["param_names"] == ["classifier.3.weight", "classifier.3.bias"]
    # one plain SGD step moves each parameter by lr · gradient, with its group's lr
    x, y = gb.randn(4, 1, 32, 32), gb.tensor([0, 1, 2, 3])
    before = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    F.cross_entropy(model(x), y).backward()
    gradients = {name: None if p.grad is None else p.grad.numpy().copy() for name, p in model.named_parameters()}
    optimizer.step()
    for group in optimizer.param_groups:
        for name, parameter in zip(group["param_names"], group["params"], strict=True):
            expected = before[name] - group["lr"] * gradients[name]
            np.testing.assert_allclose(parameter.detach().numpy(), expected, rtol=1e-6, atol=1e-9)
    assert np.array_equal(model.features[0].weight.detach().numpy(), before["features.0.weight"])  # frozen, left out
    everything = parameter_groups(model, {r"classifier\..*": 0.1}, 0.2, regex=True, include_frozen=True)
    assert sum(len(group["params"]) for group in everything) == 10
    with pytest.raises(ValueError, match="no trainable parameter name matches 'decoder.*'"):
        parameter_groups(model, {"decoder.*": 0.1}, 0.2)
