import numpy as np
import pytest

import glassbox as gb
from glassbox.optim import RMSprop

CASES = {
    "default": {},
    "alpha": {"lr": 0.01, "alpha": 0.9},
    "centered": {"lr": 0.01, "centered": True},
    "momentum": {"lr": 0.005, "momentum": 0.9},
    "centered with momentum": {"lr": 0.005, "momentum": 0.8, "centered": True},
    "weight decay": {"lr": 0.01, "weight_decay": 0.1},
    "large eps": {"lr": 0.01, "eps": 1e-3},
    "maximize": {"lr": 0.005, "maximize": True},
    "everything": {"lr": 0.005, "alpha": 0.95, "eps": 1e-6, "weight_decay": 0.05, "momentum": 0.5, "centered": True,
                   "maximize": True},
}


@pytest.mark.parametrize("options", CASES.values(), ids=CASES.keys())
def test_trajectory_matches_torch(trajectory, options):
    trajectory(lambda params, optim: optim.RMSprop(params, **options))


def test_float32_trajectory_matches_torch(trajectory):
    trajectory(lambda params, optim: optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True), dtype="float32",
               atol=1e-6, rtol=1e-5)


def test_state_keys_match_torch(trajectory):
    ours, theirs, _, _ = trajectory(lambda params, optim: optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True),
                                    steps=2)
    assert set(ours.state_dict()["state"][0]) == set(theirs.state_dict()["state"][0])


def notes_formula(lr, alpha, eps, centered=False, momentum=0.0):
    """The notes: w_avg = γ w_avg + (1 - γ) g², w = w - η / sqrt(w_avg + ε) · g (centered and momentum as PyTorch)."""

    def update(theta, g, state, t):
        state["w_avg"] = alpha * state.get("w_avg", np.zeros_like(theta)) + (1 - alpha) * g**2
        mean_square = state["w_avg"]
        if centered:
            state["g_avg"] = alpha * state.get("g_avg", np.zeros_like(theta)) + (1 - alpha) * g
            mean_square = mean_square - state["g_avg"] ** 2
        step = g / np.sqrt(mean_square + eps)
        if momentum:
            state["b"] = momentum * state.get("b", np.zeros_like(theta)) + step
            step = state["b"]
        theta -= lr * step

    return update


@pytest.mark.parametrize(("centered", "momentum"), [(False, 0.0), (True, 0.0), (False, 0.7), (True, 0.7)])
def test_eps_inside_sqrt_follows_the_notes(trajectory, centered, momentum):
    trajectory(lambda params, optim: RMSprop(params, lr=0.01, alpha=0.9, eps=1e-4, centered=centered,
                                             momentum=momentum, eps_inside_sqrt=True),
               formula=notes_formula(0.01, 0.9, 1e-4, centered, momentum))


@pytest.mark.parametrize("options", [{"lr": -1.0}, {"alpha": -0.1}, {"momentum": -0.1}, {"eps": -1.0},
                                     {"weight_decay": -0.1}])
def test_rejects_bad_options(options):
    with pytest.raises(ValueError, match="RMSprop"):
        RMSprop([gb.zeros(2, requires_grad=True)], **options)
