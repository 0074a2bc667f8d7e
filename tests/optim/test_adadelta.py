import numpy as np
import pytest

import glassbox as gb
from glassbox.optim import Adadelta

CASES = {
    "default": {},
    "lr": {"lr": 0.5},
    "rho": {"rho": 0.5},
    "eps": {"eps": 1e-3},
    "weight decay": {"weight_decay": 0.1},
    "maximize": {"maximize": True},
    "everything": {"lr": 2.0, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05, "maximize": True},
}


@pytest.mark.parametrize("options", CASES.values(), ids=CASES.keys())
def test_trajectory_matches_torch(trajectory, options):
    trajectory(lambda params, optim: optim.Adadelta(params, **options))


def test_float32_trajectory_matches_torch(trajectory):
    trajectory(lambda params, optim: optim.Adadelta(params, lr=1.0, eps=1e-4), dtype="float32", atol=1e-6, rtol=1e-5)


def zeiler_formula(lr, rho, eps):
    """Adadelta (Zeiler 2012): E[g²], Δ = RMS[Δ]_{t-1} / RMS[g]_t · g, E[Δ²], w = w - η Δ."""

    def update(theta, g, state, t):
        state["g2"] = rho * state.get("g2", np.zeros_like(theta)) + (1 - rho) * g**2
        delta = np.sqrt(state.get("d2", np.zeros_like(theta)) + eps) / np.sqrt(state["g2"] + eps) * g
        state["d2"] = rho * state.get("d2", np.zeros_like(theta)) + (1 - rho) * delta**2
        theta -= lr * delta

    return update


def test_follows_the_written_out_formula(trajectory):
    trajectory(lambda params, optim: Adadelta(params, lr=1.0, rho=0.9, eps=1e-4),
               formula=zeiler_formula(1.0, 0.9, 1e-4))


def test_state_keys_match_torch(trajectory):
    ours, theirs, _, _ = trajectory(lambda params, optim: optim.Adadelta(params, lr=1.0, eps=1e-3), steps=2)
    assert set(ours.state_dict()["state"][0]) == set(theirs.state_dict()["state"][0])


@pytest.mark.parametrize("options", [{"lr": -1.0}, {"rho": 1.5}, {"rho": -0.1}, {"eps": -1.0}, {"weight_decay": -1.0}])
def test_rejects_bad_options(options):
    with pytest.raises(ValueError, match="Adadelta"):
        Adadelta([gb.zeros(2, requires_grad=True)], **options)
