import numpy as np
import pytest

import glassbox as gb
from glassbox.optim import Adam, AdamW

ADAM_CASES = {
    "default": {},
    "lr": {"lr": 0.01},
    "betas": {"lr": 0.01, "betas": (0.5, 0.9)},
    "eps": {"lr": 0.01, "eps": 1e-3},
    "weight decay": {"lr": 0.01, "weight_decay": 0.1},
    "amsgrad": {"lr": 0.01, "amsgrad": True},
    "maximize": {"lr": 0.01, "maximize": True},
    "amsgrad, weight decay, maximize": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True},
    "decoupled weight decay": {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
}

ADAMW_CASES = {
    "default": {},
    "lr": {"lr": 0.01},
    "weight decay": {"lr": 0.01, "weight_decay": 0.5},
    "no weight decay": {"lr": 0.01, "weight_decay": 0.0},
    "amsgrad": {"lr": 0.01, "amsgrad": True},
    "everything": {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.2, "amsgrad": True,
                   "maximize": True},
}


@pytest.mark.parametrize("options", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_trajectory_matches_torch(trajectory, options):
    trajectory(lambda params, optim: optim.Adam(params, **options))


@pytest.mark.parametrize("options", ADAMW_CASES.values(), ids=ADAMW_CASES.keys())
def test_adamw_trajectory_matches_torch(trajectory, options):
    trajectory(lambda params, optim: optim.AdamW(params, **options))


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_float32_trajectory_matches_torch(trajectory, name):
    trajectory(lambda params, optim: getattr(optim, name)(params, lr=0.01, amsgrad=True), dtype="float32", atol=1e-6,
               rtol=1e-5)


def test_adamw_default_weight_decay_is_pytorchs():
    import torch

    ours = AdamW([gb.zeros(2, requires_grad=True)])
    theirs = torch.optim.AdamW([torch.zeros(2, requires_grad=True)])
    assert ours.param_groups[0]["weight_decay"] == theirs.param_groups[0]["weight_decay"] == 1e-2


def test_state_matches_torch_after_every_step(trajectory):
    def same_state(step, ours, theirs):
        for ours_p, theirs_p in zip(ours.param_groups[0]["params"], theirs.param_groups[0]["params"], strict=True):
            ours_state, theirs_state = ours.state[ours_p], theirs.state[theirs_p]
            assert set(ours_state) == set(theirs_state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
            assert ours_state["step"] == theirs_state["step"].item() == step + 1
            for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                np.testing.assert_allclose(ours_state[key].numpy(), theirs_state[key].numpy(), atol=1e-14, rtol=1e-10)

    trajectory(lambda params, optim: optim.Adam(params, lr=0.01, amsgrad=True), after_step=same_state)


def test_parameter_without_gradient_is_skipped_like_torch(trajectory):
    ours, theirs, params, torch_params = trajectory(lambda params, optim: optim.Adam(params, lr=0.01),
                                                     unused_parameter=True)
    np.testing.assert_array_equal(params[4].detach().numpy(), np.linspace(-1, 1, 5))
    assert params[4] not in ours.state and torch_params[4] not in theirs.state


def test_adamw_decays_a_parameter_only_when_it_has_a_gradient(trajectory):
    _, _, params, _ = trajectory(lambda params, optim: optim.AdamW(params, lr=0.01, weight_decay=0.5),
                                 unused_parameter=True)
    np.testing.assert_array_equal(params[4].detach().numpy(), np.linspace(-1, 1, 5))


def notes_formula(lr, beta1, beta2, eps, bias_correction=True, eps_inside_sqrt=True):
    """The notes: V = β1 V + (1-β1) g, S = β2 S + (1-β2) g², corrections by (1 - β^t), w = w - η V̂ / sqrt(Ŝ + ε)."""

    def update(theta, g, state, t):
        state["V"] = beta1 * state.get("V", np.zeros_like(theta)) + (1 - beta1) * g
        state["S"] = beta2 * state.get("S", np.zeros_like(theta)) + (1 - beta2) * g**2
        V, S = state["V"], state["S"]
        if bias_correction:
            V, S = V / (1 - beta1**t), S / (1 - beta2**t)
        theta -= lr * V / (np.sqrt(S + eps) if eps_inside_sqrt else np.sqrt(S) + eps)

    return update


@pytest.mark.parametrize("bias_correction", [True, False])
def test_eps_inside_sqrt_follows_the_notes(trajectory, bias_correction):
    trajectory(lambda params, optim: Adam(params, lr=0.01, betas=(0.8, 0.99), eps=1e-4, eps_inside_sqrt=True,
                                          bias_correction=bias_correction),
               formula=notes_formula(0.01, 0.8, 0.99, 1e-4, bias_correction))


def test_without_bias_correction_follows_the_notes_first_form(trajectory):
    trajectory(lambda params, optim: Adam(params, lr=0.01, bias_correction=False),
               formula=notes_formula(0.01, 0.9, 0.999, 1e-8, bias_correction=False, eps_inside_sqrt=False))


def test_adamw_notes_variant_decays_then_steps(trajectory):
    adam_step = notes_formula(0.01, 0.9, 0.999, 1e-6)

    def update(theta, g, state, t):
        theta *= 1 - 0.01 * 0.3
        adam_step(theta, g, state, t)

    trajectory(lambda params, optim: AdamW(params, lr=0.01, eps=1e-6, weight_decay=0.3, eps_inside_sqrt=True),
               formula=update)


@pytest.mark.parametrize(("options", "message"), [({"lr": -1.0}, "learning rate"), ({"eps": -1.0}, "epsilon"),
                                                  ({"betas": (1.0, 0.999)}, "index 0"),
                                                  ({"betas": (0.9, -0.1)}, "index 1"),
                                                  ({"weight_decay": -0.1}, "weight_decay")])
def test_rejects_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        Adam([gb.zeros(2, requires_grad=True)], **options)


def test_parameters_of_several_sizes_and_dtypes_share_the_work_array_safely():
    """The update's work array is carved per parameter from one buffer per dtype: sizes that shrink and grow
    between parameters, and two dtypes in one group, still follow torch.optim.Adam step for step."""
    import torch

    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=(5,)).astype(np.float32), rng.normal(size=(2,)),
              rng.normal(size=(7, 2))]
    ours = [gb.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_optimizer, theirs_optimizer = Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    for _ in range(4):
        for o, t in zip(ours, theirs, strict=True):
            grad = rng.normal(size=o.shape).astype(o.dtype)
            o.grad, t.grad = gb.tensor(grad), torch.tensor(grad)
        ours_optimizer.step()
        theirs_optimizer.step()
        for o, t in zip(ours, theirs, strict=True):
            tolerance = 1e-6 if o.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=tolerance, atol=tolerance)
