from collections import OrderedDict

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
from oracle import check_module


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sequential_matches_torch(dtype):
    ours = nn.Sequential(nn.Linear(4, 6), nn.Flatten(), nn.Linear(6, 3), nn.LayerNorm(3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Flatten(), torch.nn.Linear(6, 3),
                                 torch.nn.LayerNorm(3))
    check_module(ours, theirs, [(5, 4)], dtype=dtype, steps=2)


def test_sequential_with_ordered_dict_names_its_layers():
    model = nn.Sequential(OrderedDict([("encoder", nn.Linear(2, 3)), ("decoder", nn.Linear(3, 2))]))
    assert list(model.state_dict()) == ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"]
    assert model.encoder is model[0]
    theirs = torch.nn.Sequential(OrderedDict([("encoder", torch.nn.Linear(2, 3)), ("decoder", torch.nn.Linear(3, 2))]))
    assert repr(model) == repr(theirs)


def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 2) for _ in range(4)]
    model = nn.Sequential(*layers)
    assert len(model) == 4 and model[-1] is layers[3] and list(model) == layers
    head = model[1:3]
    assert isinstance(head, nn.Sequential) and list(head) == layers[1:3]
    assert list(head._modules) == ["1", "2"]  # slices keep the original names, as PyTorch's
    with pytest.raises(IndexError, match="out of range"):
        model[4]
    del model[0]
    assert list(model._modules) == ["0", "1", "2"] and model[0] is layers[1]
    extra = nn.Linear(2, 2)
    model.append(extra)
    assert model[3] is extra
    model.insert(0, layers[0])
    assert list(model) == layers + [extra]
    assert model.pop(-1) is extra and len(model) == 4
    model[0] = extra
    assert model[0] is extra
    model.extend([nn.Identity()])
    assert len(model) == 5


def test_sequential_gradients_reach_every_layer():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    model(gb.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_module_list_registers_and_reprs_like_torch():
    ours = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Dropout()])
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.Dropout()])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    with pytest.raises(NotImplementedError):
        ours(gb.ones(1))


def test_module_list_editing():
    first, second, third = nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(2, 2)
    items = nn.ModuleList([first])
    items.append(second)
    items += [third]
    assert list(items) == [first, second, third] and items[-1] is third
    assert list(items[1:]) == [second, third] and isinstance(items[1:], nn.ModuleList)
    items.insert(0, third)
    assert list(items._modules) == ["0", "1", "2", "3"] and items[0] is third
    del items[0]
    assert list(items) == [first, second, third]
    assert items.pop(1) is second and list(items) == [first, third]
    items[1] = second
    assert items[1] is second
    assert len(items + nn.ModuleList([third])) == 3
    with pytest.raises(TypeError, match="iterable"):
        items.extend(nn.Linear(1, 1))


def test_module_list_inside_a_model_contributes_parameters():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    class TorchStack(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(3, 3) for _ in range(3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    check_module(Stack(), TorchStack(), [(2, 3)], dtype="float64")


def test_module_dict():
    table = nn.ModuleDict({"a": nn.Linear(1, 1)})
    table["b"] = nn.Linear(1, 2)
    table.update([("c", nn.Identity())])
    assert list(table) == ["a", "b", "c"] and "b" in table and len(table) == 3
    assert list(table.keys()) == ["a", "b", "c"] and table["a"] is list(table.values())[0]
    assert list(table.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert table.pop("a") is not None and list(table) == ["b", "c"]
    del table["b"]
    assert list(dict(table.items())) == ["c"]
    table.clear()
    assert len(table) == 0
    theirs = torch.nn.ModuleDict({"x": torch.nn.Linear(1, 1), "y": torch.nn.Identity()})
    assert repr(nn.ModuleDict({"x": nn.Linear(1, 1), "y": nn.Identity()})) == repr(theirs)


def test_nested_sequential_repr_matches_torch():
    ours = nn.Sequential(nn.Sequential(nn.Linear(1, 2), nn.Dropout(0.5)), nn.Linear(2, 2))
    theirs = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.Dropout(0.5)),
                                 torch.nn.Linear(2, 2))
    assert repr(ours) == repr(theirs)
    np.testing.assert_equal(len(list(ours.modules())), len(list(theirs.modules())))

