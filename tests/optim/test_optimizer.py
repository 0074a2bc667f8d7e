"""The Optimizer base: parameter groups, zero_grad, closures, state_dict round trips, bad parameters."""

import copy

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.optim as optim
from glassbox.optim import SGD, Adam

BUILDERS = {
    "SGD": lambda params, o: o.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adagrad": lambda params, o: o.Adagrad(params, lr=0.1, lr_decay=0.01),
    "RMSprop": lambda params, o: o.RMSprop(params, lr=0.01, momentum=0.5, centered=True),
    "Adadelta": lambda params, o: o.Adadelta(params, weight_decay=0.01),
    "Adam": lambda params, o: o.Adam(params, lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda params, o: o.AdamW(params, lr=0.01),
}


def groups_of(params):
    """Different lr and options per group: the first layer and the second layer."""
    return [{"params": params[:2], "lr": 0.02}, {"params": params[2:], "weight_decay": 0.1}]


GROUP_BUILDERS = {
    "SGD": lambda params, o: o.SGD([{"params": params[:2], "lr": 0.02, "momentum": 0.9},
                                   {"params": params[2:], "nesterov": True, "momentum": 0.5}], lr=0.1),
    "Adagrad": lambda params, o: o.Adagrad(groups_of(params), lr=0.1, initial_accumulator_value=0.1),
    "RMSprop": lambda params, o: o.RMSprop([{"params": params[:2], "centered": True},
                                           {"params": params[2:], "momentum": 0.9, "lr": 0.001}], lr=0.01),
    "Adadelta": lambda params, o: o.Adadelta(groups_of(params)),
    "Adam": lambda params, o: o.Adam([{"params": params[:2], "amsgrad": True}, {"params": params[2:], "lr": 0.03}],
                                     lr=0.01),
    "AdamW": lambda params, o: o.AdamW(groups_of(params), lr=0.01),
}


@pytest.mark.parametrize("name", GROUP_BUILDERS)
def test_param_groups_with_their_own_options_match_torch(trajectory, name):
    ours, theirs, _, _ = trajectory(GROUP_BUILDERS[name])
    for our_group, their_group in zip(ours.param_groups, theirs.param_groups, strict=True):
        for key, value in our_group.items():
            if key != "params" and key in their_group:
                assert value == their_group[key], key


def test_add_param_group_midway_matches_torch(trajectory):
    def unfreeze(step, ours, theirs):
        if step == 4:
            ours.add_param_group({"params": ours.all_params[2:], "lr": 0.1})
            theirs.add_param_group({"params": theirs.all_params[2:], "lr": 0.1})

    def build(params, o):
        optimizer = o.SGD(params[:2], lr=0.05, momentum=0.9)
        optimizer.all_params = params
        return optimizer

    ours, _, _, _ = trajectory(build, after_step=unfreeze)
    assert len(ours.param_groups) == 2 and ours.param_groups[1]["momentum"] == 0.9


def test_groups_get_defaults_for_options_they_do_not_set():
    a, b = gb.zeros(2, requires_grad=True), gb.zeros(3, requires_grad=True)
    optimizer = SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert optimizer.param_groups[0]["lr"] == 0.1 and optimizer.param_groups[1]["lr"] == 0.5
    assert optimizer.param_groups[1]["momentum"] == 0.9 and optimizer.param_groups[1]["params"] == [b]


def test_a_group_dict_given_by_the_caller_is_the_group_like_torch():
    group = {"params": [gb.zeros(2, requires_grad=True)], "lr": 0.1}
    optimizer = SGD([gb.zeros(3, requires_grad=True)], lr=0.5)
    optimizer.add_param_group(group)
    group["lr"] = 0.01
    assert optimizer.param_groups[1]["lr"] == 0.01 and optimizer.param_groups[1]["momentum"] == 0


def test_rejects_a_learning_rate_that_is_not_a_number():
    with pytest.raises(TypeError, match="learning rate must be a number"):
        SGD([gb.zeros(2, requires_grad=True)], lr=gb.tensor(0.1))


def test_named_parameters_keep_their_names_like_torch():
    ours = SGD([("w", gb.zeros(2, requires_grad=True)), ("b", gb.zeros(1, requires_grad=True))], lr=0.1)
    theirs = torch.optim.SGD([("w", torch.zeros(2, requires_grad=True)), ("b", torch.zeros(1, requires_grad=True))],
                             lr=0.1)
    assert ours.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    assert ours.state_dict()["param_groups"][0]["params"] == theirs.state_dict()["param_groups"][0]["params"]


def test_zero_grad_sets_none_by_default_or_zeros_in_place():
    w = gb.tensor([1.0, 2.0], requires_grad=True)
    optimizer = SGD([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.zero_grad()
    assert w.grad is None
    (w * w).sum().backward()
    grad = w.grad
    optimizer.zero_grad(set_to_none=False)
    assert w.grad is grad
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])


def test_step_with_closure_returns_the_loss_and_matches_torch(mlp):
    arrays, x, y = mlp.initial_arrays()
    results = []
    for lib, o in ((gb, optim), (torch, torch.optim)):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        optimizer = o.Adam(params, lr=0.01)

        def closure(params=params, optimizer=optimizer, lib=lib):
            optimizer.zero_grad()
            loss = mlp.loss(params, lib.tensor(x[:mlp.batch]), lib.tensor(y[:mlp.batch]))
            loss.backward()
            return loss

        losses = [float(optimizer.step(closure).detach()) for _ in range(5)]
        results.append((losses, [p.detach().numpy() for p in params]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    for ours, theirs in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_closure_runs_with_grad_enabled_inside_no_grad():
    w = gb.tensor([1.0, -2.0], requires_grad=True)
    optimizer = SGD([w], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with gb.no_grad():
        optimizer.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6], rtol=1e-6)


@pytest.mark.parametrize("groups", [False, True], ids=["one group", "two groups"])
@pytest.mark.parametrize("name", BUILDERS)
def test_state_dict_round_trip_continues_the_same_trajectory(mlp, name, groups):
    """Save mid-way, load into a fresh optimizer on copies of the parameters, continue: same path as no break."""
    build = GROUP_BUILDERS[name] if groups else BUILDERS[name]
    arrays, _, _ = mlp.initial_arrays()
    params = [gb.tensor(a.copy(), requires_grad=True) for a in arrays]
    optimizer = build(params, optim)
    mlp.train(params, optimizer, 10)
    saved = copy.deepcopy(optimizer.state_dict())

    resumed_params = [gb.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    resumed = build(resumed_params, optim)
    resumed.load_state_dict(saved)
    mlp.train(params, optimizer, 10, first_step=10)
    mlp.train(resumed_params, resumed, 10, first_step=10)
    for ours, theirs in zip(params, resumed_params, strict=True):
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_loaded_state_is_a_copy_not_shared_with_the_saving_optimizer(mlp):
    params = [gb.tensor(a, requires_grad=True) for a in mlp.initial_arrays()[0]]
    optimizer = Adam(params, lr=0.01)
    mlp.train(params, optimizer, 3)
    other = Adam([gb.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params], lr=0.01)
    other.load_state_dict(optimizer.state_dict())
    assert other.state[other.param_groups[0]["params"][0]]["exp_avg"].data is not \
        optimizer.state[params[0]]["exp_avg"].data


@pytest.mark.parametrize("name", BUILDERS)
def test_state_dict_has_torchs_layout(mlp, name):
    arrays, _, _ = mlp.initial_arrays()
    ours_params = [gb.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs_params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    ours, theirs = GROUP_BUILDERS[name](ours_params, optim), GROUP_BUILDERS[name](theirs_params, torch.optim)
    mlp.train(ours_params, ours, 3)
    mlp.train(theirs_params, theirs, 3)
    ours_dict, theirs_dict = ours.state_dict(), theirs.state_dict()
    assert ours_dict.keys() == theirs_dict.keys() == {"state", "param_groups"}
    assert [g["params"] for g in ours_dict["param_groups"]] == [g["params"] for g in theirs_dict["param_groups"]]
    assert ours_dict["state"].keys() == theirs_dict["state"].keys()
    for index, their_state in theirs_dict["state"].items():
        assert ours_dict["state"][index].keys() == their_state.keys()
        for key, value in their_state.items():
            ours_value = ours_dict["state"][index][key]
            if key == "step":
                assert ours_value == value.item()
            else:
                assert isinstance(ours_value, gb.Tensor)
                np.testing.assert_allclose(ours_value.numpy(), value.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", BUILDERS)
def test_loads_a_torch_state_dict_and_continues_like_torch(mlp, name):
    """A PyTorch optimizer's state (tensors as arrays) resumes in glassbox on the same trajectory."""
    arrays, _, _ = mlp.initial_arrays()
    theirs_params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = GROUP_BUILDERS[name](theirs_params, torch.optim)
    mlp.train(theirs_params, theirs, 10)
    state = theirs.state_dict()
    converted = {
        "state": {i: {k: v.numpy() for k, v in s.items()} for i, s in state["state"].items()},
        "param_groups": copy.deepcopy(state["param_groups"]),
    }
    ours_params = [gb.tensor(p.detach().numpy().copy(), requires_grad=True) for p in theirs_params]
    ours = GROUP_BUILDERS[name](ours_params, optim)
    ours.load_state_dict(converted)
    mlp.train(theirs_params, theirs, 10, first_step=10)
    mlp.train(ours_params, ours, 10, first_step=10)
    for a, b in zip(ours_params, theirs_params, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_load_state_dict_checks_groups_and_shapes():
    a, b = gb.zeros(2, requires_grad=True), gb.zeros(3, requires_grad=True)
    source = Adam([a, b])
    a.grad, b.grad = gb.ones(2), gb.ones(3)
    source.step()
    with pytest.raises(ValueError, match="saved state has 1 parameter group.*has 2"):
        Adam([{"params": [a]}, {"params": [b]}]).load_state_dict(source.state_dict())
    with pytest.raises(ValueError, match="group 0 has 2 parameters"):
        Adam([a]).load_state_dict(source.state_dict())
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(3,\)"):
        Adam([gb.zeros(3, requires_grad=True), gb.zeros(2, requires_grad=True)]).load_state_dict(source.state_dict())


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    source = Adam([gb.zeros(2, dtype=gb.float64, requires_grad=True)])
    source.param_groups[0]["params"][0].grad = gb.ones(2, dtype=gb.float64)
    source.step()
    target_param = gb.zeros(2, dtype=gb.float32, requires_grad=True)
    target = Adam([target_param])
    target.load_state_dict(source.state_dict())
    assert target.state[target_param]["exp_avg"].dtype == np.float32 and target.state[target_param]["step"] == 1


def test_repr_lists_the_groups():
    text = repr(SGD([gb.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9" in text and text.endswith(")")


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (gb.zeros(2, requires_grad=True), TypeError, "single Tensor"),
        ([], ValueError, "empty parameter list"),
        ({gb.zeros(2, requires_grad=True)}, TypeError, "ordered"),
        ([np.zeros(2)], TypeError, "can only optimize Tensors"),
        ([gb.zeros(2, requires_grad=True) * 2], ValueError, "non-leaf"),
        ([gb.zeros(2, dtype=gb.int64)], ValueError, "floating-point"),
    ],
    ids=["single tensor", "empty", "set", "not a tensor", "non-leaf", "integer"],
)
def test_rejects_bad_parameters(params, error, message):
    with pytest.raises(error, match=message):
        SGD(params, lr=0.1)


def test_rejects_a_parameter_given_twice():
    w = gb.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="same parameter twice"):
        SGD([w, w], lr=0.1)
    optimizer = SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [w]})
