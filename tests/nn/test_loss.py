import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_functional

import glassbox as gb
import glassbox.nn as nn
import glassbox.nn.functional as F
from oracle import check

DTYPES = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]


def _uniform(shape, dtype="float64", seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def _same_call(name, **options):
    """The functional ``name`` of glassbox and of PyTorch, called with the same arguments."""
    return (lambda *args, **more: getattr(F, name)(*args, **options, **more),
            lambda *args, **more: getattr(torch_functional, name)(*args, **options, **more))


def _compare(name, inputs, dtype="float64", grad_inputs=None, **options):
    ours, theirs = _same_call(name, **options)
    return check(ours, inputs=inputs, dtype=dtype, grad_inputs=grad_inputs, torch_fn=theirs)


# ---- regression losses, composed from tensor ops: gradients of input, target and weight -------------------
REGRESSION = {
    "mse_loss": {},
    "l1_loss": {},
    "huber_loss": {"delta": 0.7},
    "smooth_l1_loss": {"beta": 0.7},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", REGRESSION)
def test_regression_losses_match_torch(name, reduction, dtype):
    ours, theirs = _same_call(name, reduction=reduction, **REGRESSION[name])
    check(ours, inputs=[_uniform((4, 5), dtype), _uniform((4, 5), dtype, seed=1)], dtype=dtype, torch_fn=theirs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses_match_torch(name, reduction, dtype):
    """mse and l1 divide a weighted mean by the sum of the weights, huber by the number of elements."""
    ours, theirs = _same_call(name, reduction=reduction)
    inputs = [_uniform((3, 4), dtype), _uniform((3, 4), dtype, seed=1), _uniform((3, 4), dtype, seed=2, low=0.1)]
    check(lambda x, y, w: ours(x, y, weight=w), inputs=inputs, dtype=dtype,
          torch_fn=lambda x, y, w: theirs(x, y, weight=w))


@pytest.mark.parametrize("delta", [0.1, 1.0, 5.0])
def test_huber_and_smooth_l1_on_both_sides_of_the_threshold(delta):
    inputs = [_uniform((50,), low=-4, high=4), _uniform((50,), seed=1, low=-4, high=4)]
    _compare("huber_loss", inputs, delta=delta)
    _compare("smooth_l1_loss", inputs, beta=delta)


def test_smooth_l1_with_beta_zero_is_l1():
    inputs = [_uniform((6,)), _uniform((6,), seed=1)]
    (out,) = _compare("smooth_l1_loss", inputs, beta=0.0)
    np.testing.assert_allclose(out.item(), np.abs(inputs[0] - inputs[1]).mean())


def test_half_sum_of_squares_has_gradient_prediction_minus_target():
    """The notes' squared error with the ½ that many texts add: d(½ Σ (y - ŷ)²)/dŷ = ŷ - y."""
    prediction = gb.tensor(_uniform((5,)), requires_grad=True)
    target = gb.tensor(_uniform((5,), seed=1))
    (0.5 * F.mse_loss(prediction, target, reduction="sum")).backward()
    np.testing.assert_allclose(prediction.grad.numpy(), prediction.detach().numpy() - target.numpy())


def test_regression_loss_of_empty_batch_or_zero_weights_is_nan_like_torch():
    (out,) = _compare("mse_loss", [np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)], dtype="float32")
    assert np.isnan(out.item())
    inputs = [_uniform((2, 3), "float32"), _uniform((2, 3), "float32", seed=1), np.zeros((2, 3), np.float32)]
    (out,) = check(lambda x, y, w: F.mse_loss(x, y, weight=w), inputs=inputs, grad_inputs=[0, 1],
                   torch_fn=lambda x, y, w: torch_functional.mse_loss(x, y, weight=w))
    assert np.isnan(out.item())


def test_integer_regression_target_is_promoted_like_torch():
    _compare("mse_loss", [_uniform((2, 3), "float32"), np.arange(6).reshape(2, 3)], dtype="float32")


# ---- the classification losses through nn.functional ------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_nll_loss_functional_match_torch(dtype, reduction):
    labels = np.array([[0, 2, -100], [1, 1, 2]])
    inputs = [_uniform((2, 3, 3), dtype), labels, _uniform((3,), dtype, seed=1, low=0.5)]
    options = dict(reduction=reduction)
    check(lambda x, t, w: F.cross_entropy(x, t, w, label_smoothing=0.1, **options), inputs=inputs, dtype=dtype,
          grad_inputs=[0], torch_fn=lambda x, t, w: torch_functional.cross_entropy(x, t, w, label_smoothing=0.1,
                                                                                   **options))
    check(lambda x, t, w: F.nll_loss(x.log_softmax(1), t, w, **options), inputs=inputs, dtype=dtype, grad_inputs=[0],
          torch_fn=lambda x, t, w: torch_functional.nll_loss(x.log_softmax(1), t, w, **options))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropies_functional_match_torch(dtype, reduction):
    logits, targets = _uniform((4, 2), dtype, low=-5, high=5), _uniform((4, 2), dtype, seed=1, low=0, high=1)
    weight = _uniform((2,), dtype, seed=2, low=0.5)
    check(lambda x, y, w: F.binary_cross_entropy(x.sigmoid(), y, w, reduction=reduction), dtype=dtype,
          inputs=[logits, targets, weight], grad_inputs=[0, 1],
          torch_fn=lambda x, y, w: torch_functional.binary_cross_entropy(x.sigmoid(), y, w, reduction=reduction))
    check(lambda x, y, w: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, pos_weight=w), dtype=dtype,
          inputs=[logits, targets, weight], grad_inputs=[0, 1],
          torch_fn=lambda x, y, w: torch_functional.binary_cross_entropy_with_logits(x, y, reduction=reduction,
                                                                                     pos_weight=w))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(dtype, reduction, log_target):
    log_probs = np.log(np.random.default_rng(0).dirichlet(np.ones(4), size=3)).astype(dtype)
    target = np.random.default_rng(1).dirichlet(np.ones(4), size=3).astype(dtype)
    if log_target:
        target = np.log(target).astype(dtype)
    ours, theirs = _same_call("kl_div", reduction=reduction, log_target=log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both libraries warn that 'mean' is not the KL divergence
        check(ours, inputs=[log_probs, target], dtype=dtype, torch_fn=theirs)
        if not log_target:  # y log y = 0 at y = 0 (the target's own gradient, log y + 1, is -inf there)
            target[0, 1] = 0.0
            check(ours, inputs=[log_probs, target], dtype=dtype, grad_inputs=[0], torch_fn=theirs)


def test_kl_div_warns_about_mean():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(gb.zeros(2, 3), gb.full((2, 3), 1 / 3))


# ---- the modules ------------------------------------------------------------------------------------------
def _module_cases(dtype):
    """(glassbox module, torch module, inputs, grad_inputs) for every loss module, with non-default arguments."""
    weight = _uniform((3,), dtype, seed=7, low=0.5)
    logits, probabilities = _uniform((5, 3), dtype), _uniform((5, 3), dtype, seed=1, low=0.05, high=0.95)
    labels = np.array([0, 2, 1, -100, 2])
    labels_ignoring_one = np.array([0, 2, 1, 1, 2])
    log_probs = np.log(np.random.default_rng(2).dirichlet(np.ones(3), size=5)).astype(dtype)
    return {
        "MSELoss": ({"reduction": "sum"}, [logits, probabilities], None),
        "L1Loss": ({"reduction": "none"}, [logits, probabilities], None),
        "HuberLoss": ({"delta": 0.5}, [logits, probabilities], None),
        "SmoothL1Loss": ({"beta": 0.5}, [logits, probabilities], None),
        "BCELoss": ({"weight": weight}, [probabilities, probabilities[::-1].copy()], None),
        "BCEWithLogitsLoss": ({"weight": weight[:1], "pos_weight": weight}, [logits, probabilities], None),
        "CrossEntropyLoss": ({"weight": weight, "ignore_index": 1, "label_smoothing": 0.2},
                             [logits, labels_ignoring_one], None),
        "CrossEntropyLoss-probabilities": ({"weight": weight, "label_smoothing": 0.2}, [logits, probabilities], None),
        "NLLLoss": ({"weight": weight, "reduction": "sum"}, [log_probs, labels], None),
        "KLDivLoss": ({"reduction": "batchmean"}, [log_probs, probabilities], [0]),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(_module_cases("float64")))
def test_loss_modules_match_torch(case, dtype):
    arguments, inputs, grad_inputs = _module_cases(dtype)[case]
    name = case.split("-")[0]
    ours = getattr(nn, name)(**{k: gb.tensor(v) if isinstance(v, np.ndarray) else v for k, v in arguments.items()})
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                        for k, v in arguments.items()})
    check(ours, inputs=inputs, dtype=dtype, torch_fn=theirs, grad_inputs=grad_inputs)
    assert repr(ours) == repr(theirs)
    for attribute in ("reduction", "ignore_index", "label_smoothing", "delta", "beta", "log_target"):
        if hasattr(theirs, attribute):
            assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
                                  "CrossEntropyLoss", "NLLLoss", "KLDivLoss"])
def test_loss_module_defaults_match_torch(name):
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    assert repr(ours) == repr(theirs)
    assert ours.reduction == theirs.reduction == "mean"
    assert ours.state_dict() == {} and len(theirs.state_dict()) == 0
    for attribute in ("ignore_index", "label_smoothing", "delta", "beta", "log_target", "weight", "pos_weight"):
        assert getattr(ours, attribute, "absent") == getattr(theirs, attribute, "absent"), attribute


def test_weighted_loss_module_follows_double():
    criterion = nn.CrossEntropyLoss(weight=gb.tensor([1.0, 2.0, 0.5])).double()
    assert criterion.weight.dtype == gb.float64
    logits = _uniform((4, 3))
    check(criterion, inputs=[logits, np.array([0, 1, 2, 1])], dtype="float64",
          torch_fn=torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5])).double())


@pytest.mark.parametrize(("size_average", "reduce", "reduction"),
                         [(False, None, "sum"), (None, False, "none"), (True, True, "mean")])
def test_legacy_size_average_and_reduce(size_average, reduce, reduction):
    with pytest.warns(UserWarning, match=f"reduction='{reduction}'"):
        criterion = nn.MSELoss(size_average=size_average, reduce=reduce)
    assert criterion.reduction == reduction
    with pytest.warns(UserWarning):
        ours = F.l1_loss(gb.ones(2), gb.zeros(2), size_average=size_average, reduce=reduce)
    assert ours.shape == ((2,) if reduction == "none" else ())


# ---- errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div"])
def test_regression_shape_mismatch_is_an_error_not_a_broadcast(name):
    with pytest.raises(ValueError, match=rf"{name}: target \(4,\) must have the input's shape \(4, 1\)"):
        getattr(F, name)(gb.zeros(4, 1), gb.zeros(4), reduction="sum")


def test_loss_argument_errors():
    with pytest.raises(ValueError, match=r"mse_loss: weight \(3,\) must have the input's shape \(2, 3\)"):
        F.mse_loss(gb.zeros(2, 3), gb.zeros(2, 3), weight=gb.ones(3))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.L1Loss(reduction="avg")(gb.zeros(2), gb.zeros(2))
    with pytest.raises(ValueError, match="delta must be positive"):
        F.huber_loss(gb.zeros(2), gb.zeros(2), delta=0.0)
    with pytest.raises(ValueError, match=r"cross_entropy: input \(N, C\) = \(4, 3\) needs target \(N,\) = \(4,\)"):
        nn.CrossEntropyLoss()(gb.zeros(4, 3), gb.zeros(4, 1, dtype=gb.int64))
    with pytest.raises(ValueError, match="binary_cross_entropy: input must hold probabilities"):
        nn.BCELoss()(gb.tensor([2.0]), gb.tensor([1.0]))
