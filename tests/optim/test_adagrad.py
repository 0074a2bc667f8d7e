import numpy as np
import pytest

import glassbox as gb
from glassbox.optim import Adagrad

CASES = {
    "default": {},
    "lr": {"lr": 0.1},
    "lr_decay": {"lr": 0.1, "lr_decay": 0.05},
    "weight decay": {"lr": 0.1, "weight_decay": 0.1},
    "initial accumulator": {"lr": 0.1, "initial_accumulator_value": 0.5},
    "large eps": {"lr": 0.1, "eps": 1e-2},
    "maximize": {"lr": 0.05, "maximize": True},
    "everything": {"lr": 0.2, "lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1,
                   "eps": 1e-6, "maximize": True},
}


@pytest.mark.parametrize("options", CASES.values(), ids=CASES.keys())
def test_trajectory_matches_torch(trajectory, options):
    trajectory(lambda params, optim: optim.Adagrad(params, **options))


def test_float32_trajectory_matches_torch(trajectory):
    trajectory(lambda params, optim: optim.Adagrad(params, lr=0.1, lr_decay=0.01), dtype="float32", atol=1e-6,
               rtol=1e-5)


def test_state_exists_before_the_first_step_like_torch():
    import torch

    ours = Adagrad([gb.zeros(3, requires_grad=True)], initial_accumulator_value=0.25)
    theirs = torch.optim.Adagrad([torch.zeros(3, requires_grad=True)], initial_accumulator_value=0.25)
    assert ours.state_dict()["state"].keys() == theirs.state_dict()["state"].keys()
    assert set(ours.state_dict()["state"][0]) == set(theirs.state_dict()["state"][0]) == {"step", "sum"}
    np.testing.assert_array_equal(ours.state_dict()["state"][0]["sum"].numpy(), np.full(3, 0.25, np.float32))


def notes_formula(lr, eps, lr_decay=0.0):
    """The notes: α_t = Σ g², w = w - η / sqrt(α_t + ε) · g (with PyTorch's lr decay η_t = η / (1 + (t-1) decay))."""

    def update(theta, g, state, t):
        state["alpha"] = state.get("alpha", np.zeros_like(theta)) + g**2
        theta -= lr / (1 + (t - 1) * lr_decay) / np.sqrt(state["alpha"] + eps) * g

    return update


@pytest.mark.parametrize(("eps", "lr_decay"), [(1e-10, 0.0), (1e-3, 0.02)])
def test_eps_inside_sqrt_follows_the_notes(trajectory, eps, lr_decay):
    trajectory(lambda params, optim: Adagrad(params, lr=0.1, eps=eps, lr_decay=lr_decay, eps_inside_sqrt=True),
               formula=notes_formula(0.1, eps, lr_decay))


def test_skips_parameters_without_gradient(trajectory):
    ours, _, params, _ = trajectory(lambda params, optim: optim.Adagrad(params, lr=0.1), unused_parameter=True)
    np.testing.assert_array_equal(params[4].detach().numpy(), np.linspace(-1, 1, 5))
    assert ours.state[params[4]]["step"] == 0


@pytest.mark.parametrize("options", [{"lr": -1.0}, {"lr_decay": -0.1}, {"initial_accumulator_value": -1.0},
                                     {"eps": -1e-8}, {"weight_decay": -0.1}])
def test_rejects_bad_options(options):
    with pytest.raises(ValueError, match="Adagrad"):
        Adagrad([gb.zeros(2, requires_grad=True)], **options)
