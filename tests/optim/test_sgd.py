import numpy as np
import pytest

import glassbox as gb
from glassbox.optim import SGD

CASES = {
    "plain": {"lr": 0.1},
    "default lr": {},
    "momentum": {"lr": 0.05, "momentum": 0.9},
    "momentum with dampening": {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    "nesterov": {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    "weight decay": {"lr": 0.1, "weight_decay": 0.01},
    "momentum and weight decay": {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.05},
    "nesterov and weight decay": {"lr": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.02},
    "maximize": {"lr": 0.05, "maximize": True},
    "maximize with momentum and weight decay": {"lr": 0.02, "momentum": 0.9, "weight_decay": 0.1, "maximize": True},
    "everything": {"lr": 0.03, "momentum": 0.6, "dampening": 0.1, "weight_decay": 0.01, "maximize": True},
}


@pytest.mark.parametrize("options", CASES.values(), ids=CASES.keys())
def test_trajectory_matches_torch(trajectory, options):
    steps = 20
    if not options:  # lr 1e-3 moves slowly: more steps so the check is not trivial
        steps = 200
    trajectory(lambda params, optim: optim.SGD(params, **options), steps=steps)


def test_float32_trajectory_matches_torch(trajectory):
    trajectory(lambda params, optim: optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True), dtype="float32",
               atol=1e-6, rtol=1e-5)


def test_momentum_buffer_state_matches_torch(trajectory):
    def same_buffers(step, ours, theirs):
        for ours_p, theirs_p in zip(ours.param_groups[0]["params"], theirs.param_groups[0]["params"], strict=True):
            np.testing.assert_allclose(ours.state[ours_p]["momentum_buffer"].numpy(),
                                       theirs.state[theirs_p]["momentum_buffer"].numpy(), atol=1e-12, rtol=1e-10)

    trajectory(lambda params, optim: optim.SGD(params, lr=0.05, momentum=0.9, dampening=0.2), after_step=same_buffers)


def test_no_momentum_keeps_no_state(trajectory):
    ours, theirs, _, _ = trajectory(lambda params, optim: optim.SGD(params, lr=0.1), steps=3)
    assert len(ours.state_dict()["state"]) == len(theirs.state_dict()["state"]) == 0


def ema_formula(lr, beta, weight_decay=0.0):
    """The notes: V_0 = 0, V = β V + (1 - β) g, w = w - η V (g includes the L2 term)."""

    def update(theta, g, state, t):
        g = g + weight_decay * theta
        state["V"] = beta * state.get("V", np.zeros_like(theta)) + (1 - beta) * g
        theta -= lr * state["V"]

    return update


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_ema_momentum_follows_the_notes(trajectory, weight_decay):
    trajectory(lambda params, optim: SGD(params, lr=0.2, momentum=0.9, weight_decay=weight_decay,
                                         momentum_style="ema"),
               formula=ema_formula(0.2, 0.9, weight_decay))


def test_ema_momentum_is_pytorch_momentum_with_scaled_lr(trajectory):
    """V_t = (1 - β) v_t, so the EMA with lr η follows PyTorch's momentum with lr (1 - β) η."""
    trajectory(lambda params, optim: (SGD(params, lr=0.5, momentum=0.8, momentum_style="ema") if optim is gb.optim
                                      else optim.SGD(params, lr=0.5 * (1 - 0.8), momentum=0.8)))


def test_skips_parameters_without_gradient(trajectory):
    _, _, ours, _ = trajectory(lambda params, optim: optim.SGD(params, lr=0.1, momentum=0.9), unused_parameter=True)
    np.testing.assert_array_equal(ours[4].detach().numpy(), np.linspace(-1, 1, 5))


def test_full_batch_gradient_descent_on_least_squares_converges():
    """Full-batch gradient descent: SGD on the whole data set, one batch per step."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    y = x @ w_true
    w = gb.zeros(3, dtype=gb.float64, requires_grad=True)
    optimizer = SGD([w], lr=0.1)
    for _ in range(300):
        optimizer.zero_grad()
        ((gb.tensor(x) @ w - gb.tensor(y)) ** 2).mean().backward()
        optimizer.step()
    np.testing.assert_allclose(w.detach().numpy(), w_true, atol=1e-8)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": -0.1}, "learning rate"),
        ({"momentum": -0.5}, "momentum"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"nesterov": True}, "Nesterov"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov"),
        ({"momentum": 0.9, "momentum_style": "heavy"}, "momentum_style"),
        ({"momentum": 0.9, "momentum_style": "ema", "nesterov": True}, "ema"),
        ({"momentum": 0.9, "momentum_style": "ema", "dampening": 0.5}, "ema"),
    ],
)
def test_rejects_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        SGD([gb.zeros(2, requires_grad=True)], **options)


def test_bad_options_in_a_group_are_rejected():
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([{"params": [gb.zeros(2, requires_grad=True)], "nesterov": True}], lr=0.1)
