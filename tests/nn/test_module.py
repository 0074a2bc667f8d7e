import copy
import pickle

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
from oracle import load_torch_weights


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(gb.ones(4))
        self.register_buffer("steps", gb.zeros(1))
        self.register_buffer("scratch", gb.zeros(2), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class TorchBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.scale = torch.nn.Parameter(torch.ones(4))
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3), nn.Dropout(0.1), Block())
        self.head = nn.Linear(4, 2)


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(gb.zeros(2, 3))
    assert isinstance(p, gb.Tensor) and p.requires_grad and p.is_leaf
    assert not nn.Parameter(gb.zeros(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor([[0., 0., 0.],")
    assert not hasattr(p, "__dict__")  # stays a slotted Tensor
    assert type(p * 2) is gb.Tensor  # results of ops are plain tensors


def test_parameter_shares_memory_with_its_source():
    source = gb.zeros(3)
    p = nn.Parameter(source)
    with gb.no_grad():
        p.add_(1)
    np.testing.assert_array_equal(source.numpy(), [1, 1, 1])


def test_registration_by_assignment():
    block = Block()
    assert list(block._parameters) == ["scale"]
    assert list(block._modules) == ["fc", "bn"]
    assert list(block._buffers) == ["steps", "scratch"]
    assert block.fc.weight is block._modules["fc"]._parameters["weight"]
    with pytest.raises(TypeError, match="parameter 'scale'"):
        block.scale = gb.ones(4)  # a plain tensor cannot replace a parameter
    block.scale = None
    assert block.scale is None and "scale" not in dict(block.named_parameters())
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'missing'"):
        _ = block.missing


def test_assignment_before_init_is_an_error():
    class Broken(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(gb.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Broken()


def test_delattr_and_reassignment_move_members_between_tables():
    block = Block()
    del block.fc
    assert "fc" not in block._modules and not hasattr(block, "fc")
    block.steps = gb.ones(1)
    assert block._buffers["steps"].numpy()[0] == 1
    block.steps = nn.Linear(1, 1)  # a module replaces the buffer of the same name
    assert "steps" in block._modules and "steps" not in block._buffers


def test_register_checks_names():
    module = nn.Module()
    with pytest.raises(KeyError, match="be empty or contain"):
        module.register_parameter("a.b", None)
    module.value = 3
    with pytest.raises(KeyError, match="already exists"):
        module.register_buffer("value", gb.zeros(1))
    with pytest.raises(TypeError):
        module.register_buffer("buffer", np.zeros(1))


def test_named_parameters_match_torch_order_and_names():
    ours, theirs = Block(), TorchBlock()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == ["fc", "bn"]
    assert [n for n, _ in ours.named_parameters(recurse=False)] == ["scale"]
    assert len(list(ours.parameters())) == 5 and len(list(ours.buffers())) == 5


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 2
    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_state_dict_keys_follow_pytorch():
    model = Net()
    keys = list(model.state_dict())
    assert keys == [
        "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
        "features.3.scale", "features.3.steps", "features.3.fc.weight", "features.3.fc.bias",
        "features.3.bn.weight", "features.3.bn.bias", "features.3.bn.running_mean", "features.3.bn.running_var",
        "features.3.bn.num_batches_tracked", "head.weight", "head.bias",
    ]
    torch_keys = list(torch.nn.Sequential(torch.nn.Linear(3, 3), TorchBlock()).state_dict())
    assert list(nn.Sequential(nn.Linear(3, 3), Block()).state_dict()) == torch_keys


def test_state_dict_values_are_detached_and_share_memory():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    assert not state["weight"].requires_grad and not isinstance(state["weight"], nn.Parameter)
    state["weight"].data[0, 0] = 42.0
    assert layer.weight.detach().numpy()[0, 0] == 42.0
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight


def test_state_dict_round_trip():
    gb.manual_seed(0)
    source, target = Net(), Net()
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items(), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
        assert a.data is not b.data  # copied, not shared


def test_load_state_dict_accepts_numpy_torch_and_lists():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": torch.tensor([0.5], requires_grad=True)})
    np.testing.assert_array_equal(layer.weight.detach().numpy(), [[1.0, 2.0]])
    layer.load_state_dict({"weight": [[3.0, 4.0]], "bias": 1.5 * np.ones(1)})
    assert layer.weight.dtype == np.float32  # cast to the parameter's dtype
    np.testing.assert_array_equal(layer(gb.tensor([[1.0, 1.0]])).detach().numpy(), [[8.5]])
    assert layer.weight.requires_grad and layer.weight.is_leaf


def test_load_state_dict_errors_list_missing_and_unexpected_keys_like_pytorch():
    ours, theirs = nn.Sequential(nn.Linear(2, 2)), torch.nn.Sequential(torch.nn.Linear(2, 2))
    bad = {"0.weight": np.zeros((2, 2), np.float32), "0.extra": np.zeros(1, np.float32), "1.weight": np.zeros(1)}
    with pytest.raises(RuntimeError) as ours_error:
        ours.load_state_dict(bad)
    with pytest.raises(RuntimeError) as torch_error:
        theirs.load_state_dict({k: torch.tensor(v) for k, v in bad.items()})
    assert str(ours_error.value) == str(torch_error.value)
    assert 'Missing key(s) in state_dict: "0.bias"' in str(ours_error.value)
    assert 'Unexpected key(s) in state_dict: "1.weight", "0.extra"' in str(ours_error.value)


def test_load_state_dict_shape_mismatch_is_always_an_error():
    layer = nn.Linear(2, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape \(2, 2\) from "
                                           r"checkpoint, the shape in current model is \(3, 2\)"):
        layer.load_state_dict({"weight": np.zeros((2, 2)), "bias": np.zeros(3)}, strict=False)


def test_load_state_dict_not_strict_reports_what_did_not_match():
    layer = nn.Linear(2, 2)
    before = layer.bias.detach().numpy().copy()
    result = layer.load_state_dict({"weight": np.eye(2), "other": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.eye(2))
    np.testing.assert_array_equal(layer.bias.detach().numpy(), before)


def test_load_state_dict_assign_replaces_the_parameters():
    layer = nn.Linear(2, 2)
    old = layer.weight
    layer.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)}, assign=True)
    assert layer.weight is not old and isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad


def test_torch_sequential_weights_give_the_same_outputs():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Linear(8, 3))
    ours = nn.Sequential(nn.Linear(5, 8), nn.Linear(8, 3))
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(gb.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_train_eval_propagate():
    model = Net()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError):
        model.train("no")


def test_zero_grad_and_requires_grad_():
    layer = nn.Linear(3, 2)
    layer(gb.ones(1, 3)).sum().backward()
    assert layer.weight.grad is not None
    layer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.zeros((2, 3)))
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None
    layer.requires_grad_(False)
    assert not any(p.requires_grad for p in layer.parameters())
    assert not layer(gb.ones(1, 3)).requires_grad


def test_apply_visits_children_first():
    order = []
    Net().apply(lambda m: order.append(type(m).__name__))
    assert order[0] == "Linear" and order[-1] == "Net"
    assert len(order) == len(list(Net().modules()))


def test_to_double_and_float_convert_floating_members_in_place():
    model = Block()
    weight = model.fc.weight
    model.fc(gb.ones(1, 3)).sum().backward()
    assert model.double() is model
    assert model.fc.weight is weight and weight.dtype == np.float64 and weight.grad.dtype == np.float64
    assert model.bn.running_mean.dtype == np.float64
    assert model.bn.num_batches_tracked.dtype == np.int64  # integers stay integers
    model.to(gb.float32)
    assert model.fc.weight.dtype == np.float32
    model.to("cpu", dtype="float64")
    assert model.scale.dtype == np.float64
    assert model.float().scale.dtype == np.float32
    with pytest.raises(TypeError, match="floating point"):
        model.to(gb.int64)


def test_call_runs_forward_and_hooks():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.shape))
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    out = layer(gb.ones(3, 2))
    assert seen == [(3, 2)]
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(layer.bias.detach().numpy(), (3, 2)))
    handle.remove()
    pre.remove()
    layer(gb.ones(1, 2))
    assert seen == [(3, 2)]
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(gb.ones(1))


def test_repr_matches_pytorch():
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.25), nn.LayerNorm(2), nn.BatchNorm1d(2))
            self.table = nn.Embedding(10, 3, padding_idx=0)

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Dropout(0.25), torch.nn.LayerNorm(2),
                                            torch.nn.BatchNorm1d(2))
            self.table = torch.nn.Embedding(10, 3, padding_idx=0)

    assert repr(Ours()).replace("Ours", "Theirs") == repr(Theirs())
    assert repr(nn.Module()) == "Module()"


def test_deepcopy_and_pickle_keep_parameters():
    model = Net()
    model.head(gb.ones(1, 4)).sum().backward()
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert isinstance(clone.head.weight, nn.Parameter) and clone.head.weight.requires_grad
        assert clone.head.weight is not model.head.weight
        np.testing.assert_array_equal(clone.head.weight.detach().numpy(), model.head.weight.detach().numpy())
        np.testing.assert_array_equal(clone.head.weight.grad.numpy(), model.head.weight.grad.numpy())
        assert list(clone.state_dict()) == list(model.state_dict())


def test_deepcopy_keeps_tied_weights_tied():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    clone = copy.deepcopy(model)
    assert clone[1].weight is clone[0].weight


def test_load_torch_weights_helper_and_get_submodule():
    ours, theirs = Net(), torch.nn.Module()
    assert ours.get_submodule("features.3.bn") is ours.features[3].bn
    with pytest.raises(AttributeError, match="no attribute `nope`"):
        ours.get_submodule("features.nope")
    theirs = torch.nn.Linear(4, 2)
    load_torch_weights(ours.head, theirs)
    np.testing.assert_array_equal(ours.head.weight.detach().numpy(), theirs.weight.detach().numpy())


def test_check_module_catches_wrong_outputs_gradients_and_state():
    from oracle import check_module

    class Shifted(nn.Linear):
        def forward(self, x):
            return super().forward(x) + 1e-3

    class WrongGradient(gb.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, grad):
            return grad * 2.0

    class BadBackward(nn.Linear):
        def forward(self, x):
            return WrongGradient.apply(super().forward(x))

    class ForgetfulNorm(nn.BatchNorm1d):
        def forward(self, x):
            out = super().forward(x)
            self.running_mean.data[...] = 0  # running statistics not kept
            return out

    with pytest.raises(AssertionError, match="output 0"):
        check_module(Shifted(3, 2), torch.nn.Linear(3, 2), [(4, 3)])
    with pytest.raises(AssertionError, match="gradient of input 0"):
        check_module(BadBackward(3, 2), torch.nn.Linear(3, 2), [(4, 3)])
    with pytest.raises(AssertionError, match="running_mean"):
        check_module(ForgetfulNorm(3), torch.nn.BatchNorm1d(3), [(4, 3)])
    with pytest.raises(RuntimeError, match="Missing key"):
        check_module(nn.Linear(3, 2), torch.nn.Linear(3, 2, bias=False), [(4, 3)])
