import warnings

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
import glassbox.nn.functional as F
from glassbox.nn import activation, activation_functions
from oracle import check, check_module, finite_difference_check

DTYPES = ["float32", "float64"]

# name -> (glassbox function, torch function, low, high): every function with every option
FUNCTIONS = {
    "sigmoid": (F.sigmoid, torch.sigmoid, -6, 6),
    "tanh": (F.tanh, torch.tanh, -3, 3),
    "relu": (F.relu, torch.nn.functional.relu, -2, 2),
    "relu6": (F.relu6, torch.nn.functional.relu6, -2, 8),
    "leaky_relu": (F.leaky_relu, torch.nn.functional.leaky_relu, -2, 2),
    "leaky_relu_0.2": (lambda x: F.leaky_relu(x, 0.2), lambda x: torch.nn.functional.leaky_relu(x, 0.2), -2, 2),
    "leaky_relu_above_1": (lambda x: F.leaky_relu(x, negative_slope=1.5),
                           lambda x: torch.nn.functional.leaky_relu(x, negative_slope=1.5), -2, 2),
    "elu": (F.elu, torch.nn.functional.elu, -3, 3),
    "elu_alpha": (lambda x: F.elu(x, alpha=0.3), lambda x: torch.nn.functional.elu(x, alpha=0.3), -3, 3),
    "selu": (F.selu, torch.nn.functional.selu, -3, 3),
    "celu": (F.celu, torch.nn.functional.celu, -3, 3),
    "celu_alpha": (lambda x: F.celu(x, 0.4), lambda x: torch.nn.functional.celu(x, 0.4), -3, 3),
    "silu": (F.silu, torch.nn.functional.silu, -6, 6),
    "swish": (F.swish, torch.nn.functional.silu, -6, 6),
    "gelu": (F.gelu, torch.nn.functional.gelu, -4, 4),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: torch.nn.functional.gelu(x, approximate="tanh"), -4, 4),
    "softplus": (F.softplus, torch.nn.functional.softplus, -30, 30),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=5.0),
                      lambda x: torch.nn.functional.softplus(x, beta=2.0, threshold=5.0), -6, 6),
    "softplus_small_beta": (lambda x: F.softplus(x, 0.5, 3), lambda x: torch.nn.functional.softplus(x, 0.5, 3), -9, 9),
    "logsigmoid": (F.logsigmoid, torch.nn.functional.logsigmoid, -30, 30),
    "softsign": (F.softsign, torch.nn.functional.softsign, -4, 4),
    "tanhshrink": (F.tanhshrink, torch.nn.functional.tanhshrink, -3, 3),
    "hardtanh": (F.hardtanh, torch.nn.functional.hardtanh, -2, 2),
    "hardtanh_bounds": (lambda x: F.hardtanh(x, -0.5, 1.5),
                        lambda x: torch.nn.functional.hardtanh(x, -0.5, 1.5), -2, 2),
    "hardsigmoid": (F.hardsigmoid, torch.nn.functional.hardsigmoid, -5, 5),
    "hardswish": (F.hardswish, torch.nn.functional.hardswish, -5, 5),
    "mish": (F.mish, torch.nn.functional.mish, -6, 6),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), lambda x: torch.nn.functional.threshold(x, 0.3, -2.0), -2, 2),
}

# Two float64 gradients of PyTorch's are exact only to float32 precision, so they are compared at that precision:
# celu's (it divides by alpha.toFloat(), inexact for alpha = 0.4) and hardsigmoid's (its 1/6 is a float32
# constant). Ours are exact: the finite-difference tests below check them.
LOOSE_IN_FLOAT64 = {"celu_alpha": 1e-6, "hardsigmoid": 1e-6}

# the kinks of every piecewise function, exact in float32, and magnitudes that overflow a naive formula
SPECIAL_POINTS = np.array([-1000.0, -50.0, -20.0, -6.0, -3.0, -1.5, -1.0, -0.5, -1e-3, -0.0, 0.0, 1e-3, 0.3, 0.5,
                           1.0, 1.5, 2.5, 3.0, 6.0, 10.0, 20.0, 50.0, 1000.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_matches_torch(name, dtype):
    ours, theirs, low, high = FUNCTIONS[name]
    rtol = LOOSE_IN_FLOAT64.get(name) if dtype == "float64" else None
    check(ours, [(3, 4, 5)], torch_fn=theirs, dtype=dtype, low=low, high=high, rtol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_at_kinks_and_large_magnitudes(name, dtype):
    ours, theirs, _, _ = FUNCTIONS[name]
    rtol = LOOSE_IN_FLOAT64.get(name) if dtype == "float64" else None
    outputs = check(ours, torch_fn=theirs, inputs=[SPECIAL_POINTS.astype(dtype)], dtype=dtype, rtol=rtol)
    assert np.all(np.isfinite(outputs[0].detach().numpy()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_at_its_threshold(dtype):
    # βx lands exactly on the threshold (5 = 2·2.5) and just either side of it
    points = np.array([2.4, 2.5, 2.6, -2.5, 0.0], dtype=dtype)
    check(lambda x: F.softplus(x, 2.0, 5.0), torch_fn=lambda x: torch.nn.functional.softplus(x, 2.0, 5.0),
          inputs=[points], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_matches_torch(name, dim, dtype):
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    check(lambda x: ours(x, dim), [(3, 4, 5)], torch_fn=lambda x: theirs(x, dim), dtype=dtype)
    huge = np.array([[1000.0, 0.0, -1000.0], [50.0, 50.0, -50.0]], dtype=dtype)
    check(lambda x: ours(x, dim), torch_fn=lambda x: theirs(x, dim), inputs=[huge], dtype=dtype)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_dtype_argument(name):
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    check(lambda x: ours(x, 1, dtype=gb.float64), [(2, 5)],
          torch_fn=lambda x: theirs(x, 1, dtype=torch.float64), atol=1e-6)


@pytest.mark.parametrize("shape, implicit_dim", [((5,), 0), ((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)])
def test_softmax_without_dim_warns_and_picks_torchs_dim(shape, implicit_dim):
    x = gb.randn(*shape)
    with pytest.warns(UserWarning, match=f"dim={implicit_dim}"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.numpy(), F.softmax(x, implicit_dim).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = nn.Softmax()(x)
    np.testing.assert_allclose(expected.numpy(), out.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_prelu_function_matches_torch(dtype):
    channels = np.array([0.25, -0.1, 1.3], dtype=dtype)
    check(F.prelu, [(4, 3, 5), channels.shape], torch_fn=torch.nn.functional.prelu, dtype=dtype)
    check(F.prelu, inputs=[np.random.default_rng(1).uniform(-2, 2, (4, 3)).astype(dtype), channels],
          torch_fn=torch.nn.functional.prelu, dtype=dtype)
    shared = np.array([0.2], dtype=dtype)
    check(F.prelu, inputs=[SPECIAL_POINTS.astype(dtype), shared], torch_fn=torch.nn.functional.prelu, dtype=dtype)
    check(F.prelu, inputs=[np.random.default_rng(2).uniform(-2, 2, (2, 3, 4, 5)).astype(dtype), shared],
          torch_fn=torch.nn.functional.prelu, dtype=dtype)


def test_prelu_rejects_a_weight_that_does_not_match_the_channels():
    with pytest.raises(ValueError, match="3 slopes but the input has 4 channels"):
        F.prelu(gb.randn(2, 4), gb.ones(3))
    with pytest.raises(ValueError, match="0-d"):
        F.prelu(gb.tensor(1.0), gb.ones(3))


# ---- modules -----------------------------------------------------------------------------------------------
MODULES = [
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.ReLU6(), lambda: torch.nn.ReLU6()),
    (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.PReLU(), lambda: torch.nn.PReLU()),
    (lambda: nn.PReLU(3, init=0.1), lambda: torch.nn.PReLU(3, init=0.1)),
    (lambda: nn.ELU(), lambda: torch.nn.ELU()),
    (lambda: nn.ELU(alpha=0.5), lambda: torch.nn.ELU(alpha=0.5)),
    (lambda: nn.SELU(), lambda: torch.nn.SELU()),
    (lambda: nn.CELU(0.7), lambda: torch.nn.CELU(0.7)),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    (lambda: nn.Swish(), lambda: torch.nn.SiLU()),
    (lambda: nn.Mish(), lambda: torch.nn.Mish()),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.Softplus(), lambda: torch.nn.Softplus()),
    (lambda: nn.Softplus(beta=2, threshold=3), lambda: torch.nn.Softplus(beta=2, threshold=3)),
    (lambda: nn.LogSigmoid(), lambda: torch.nn.LogSigmoid()),
    (lambda: nn.Softsign(), lambda: torch.nn.Softsign()),
    (lambda: nn.Tanhshrink(), lambda: torch.nn.Tanhshrink()),
    (lambda: nn.Hardtanh(), lambda: torch.nn.Hardtanh()),
    (lambda: nn.Hardtanh(-2, 0.5), lambda: torch.nn.Hardtanh(-2, 0.5)),
    (lambda: nn.Hardsigmoid(), lambda: torch.nn.Hardsigmoid()),
    (lambda: nn.Hardswish(), lambda: torch.nn.Hardswish()),
    (lambda: nn.Threshold(0.1, 20), lambda: torch.nn.Threshold(0.1, 20)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1)),
    (lambda: nn.Softmin(dim=0), lambda: torch.nn.Softmin(dim=0)),
]
MODULE_IDS = [repr(make()) for make, _ in MODULES]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", MODULES, ids=MODULE_IDS)
def test_module_matches_torch(pair, dtype):
    make_ours, make_theirs = pair
    theirs = make_theirs()
    for parameter in theirs.parameters():  # learned slopes away from their initial value
        with torch.no_grad():
            parameter.copy_(torch.linspace(-0.3, 0.6, parameter.numel()))
    ours = make_ours()
    loose = dtype == "float64" and isinstance(ours, nn.CELU | nn.Hardsigmoid) and not isinstance(ours, nn.Hardswish)
    check_module(ours, theirs, [(4, 3, 5)], dtype=dtype, steps=2, low=-4, high=4, rtol=1e-6 if loose else None)


@pytest.mark.parametrize("pair", MODULES, ids=MODULE_IDS)
def test_module_repr_matches_torch(pair):
    make_ours, make_theirs = pair
    assert repr(make_ours()) == repr(make_theirs())


@pytest.mark.parametrize("ours, theirs", [
    (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
    (nn.ReLU6(True), torch.nn.ReLU6(True)),
    (nn.LeakyReLU(0.2, True), torch.nn.LeakyReLU(0.2, True)),
    (nn.ELU(0.5, True), torch.nn.ELU(0.5, True)),
    (nn.CELU(inplace=True), torch.nn.CELU(inplace=True)),
    (nn.SELU(True), torch.nn.SELU(True)),
    (nn.SiLU(True), torch.nn.SiLU(True)),
    (nn.Mish(True), torch.nn.Mish(True)),
    (nn.Hardtanh(-2, 3, True), torch.nn.Hardtanh(-2, 3, True)),
    (nn.Hardsigmoid(True), torch.nn.Hardsigmoid(True)),
    (nn.Hardswish(True), torch.nn.Hardswish(True)),
    (nn.Threshold(0.1, 20.0, True), torch.nn.Threshold(0.1, 20.0, True)),
    (nn.Softmax(), torch.nn.Softmax()),
    (nn.Identity(), torch.nn.Identity()),
], ids=repr)
def test_repr_with_options_matches_torch(ours, theirs):
    assert repr(ours) == repr(theirs)


def test_prelu_parameter_and_state_dict_as_torch():
    ours, theirs = nn.PReLU(4), torch.nn.PReLU(4)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.weight.shape == (4,) and ours.weight.dtype == gb.float32
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert [name for name, _ in ours.named_parameters()] == ["weight"]
    assert nn.PReLU(dtype=gb.float64).weight.dtype == gb.float64
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.5, -1.0, 0.0, 2.0]))
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.detach().numpy(), [0.5, -1.0, 0.0, 2.0])
    ours.reset_parameters()
    np.testing.assert_array_equal(ours.weight.detach().numpy(), [0.25] * 4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_parameters", [1, 3])
def test_prelu_module_at_kinks(num_parameters, dtype):
    points = np.stack([SPECIAL_POINTS[:21]] * 3).reshape(7, 3, 3).astype(dtype)
    check_module(nn.PReLU(num_parameters), torch.nn.PReLU(num_parameters), inputs=[points], dtype=dtype)


# ---- error function -----------------------------------------------------------------------------------------
def test_erf_matches_torch_to_double_precision():
    grid = np.concatenate([np.linspace(-30, 30, 200_001), [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, 5e-324,
                                                          1e-300, np.inf, -np.inf]])
    ours = activation_functions.erf_array(grid)
    theirs = torch.erf(torch.tensor(grid)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=1e-15)
    assert np.isnan(activation_functions.erf_array(np.array([np.nan]))[0])
    single = grid.astype(np.float32)
    ours_single = activation_functions.erf_array(single)
    assert ours_single.dtype == np.float32
    np.testing.assert_allclose(ours_single, torch.erf(torch.tensor(single)).numpy(), rtol=1e-6, atol=3e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_gradient_matches_torch(dtype):
    check(activation_functions.erf, [(4, 5)], torch_fn=torch.erf, dtype=dtype, low=-5, high=5)
    check(activation_functions.erf, inputs=[SPECIAL_POINTS.astype(dtype)], torch_fn=torch.erf, dtype=dtype)


FINITE_DIFFERENCE = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "silu": F.silu, "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "softplus": F.softplus,
    "softplus_beta": lambda x: F.softplus(x, beta=3.0), "logsigmoid": F.logsigmoid, "mish": F.mish,
    "softsign": F.softsign, "tanhshrink": F.tanhshrink, "elu": F.elu, "selu": F.selu,
    "celu": lambda x: F.celu(x, 0.4), "erf": activation_functions.erf,
    "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish, "leaky_relu": F.leaky_relu, "hardtanh": F.hardtanh,
    "softmax": lambda x: F.softmax(x, 1), "log_softmax": lambda x: F.log_softmax(x, 1),
    "softmin": lambda x: F.softmin(x, 0),
}


@pytest.mark.parametrize("name", FINITE_DIFFERENCE)
def test_gradient_matches_finite_differences(name):
    # the inputs stay off every kink (0, ±1, ±3), where a finite difference straddles two slopes
    inputs = np.array([[-2.5, -1.2, -0.4, 0.3], [0.9, 1.7, -3.1, 2.2]])
    finite_difference_check(FINITE_DIFFERENCE[name], inputs=[inputs])


def test_prelu_gradients_of_input_and_slopes_match_finite_differences():
    inputs = np.array([[-2.5, -1.2, -0.4, 0.3], [0.9, 1.7, -3.1, 2.2]])
    finite_difference_check(F.prelu, inputs=[inputs, np.array([0.3, -0.2, 0.0, 1.4])])
    finite_difference_check(F.prelu, inputs=[inputs, np.array([0.3])])


# ---- binary step and maxout ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_step_forward_and_zero_gradient(dtype):
    points = SPECIAL_POINTS.astype(dtype)
    out = check(F.binary_step, inputs=[points], dtype=dtype, grad=False,
                torch_fn=lambda x: torch.heaviside(x, torch.tensor(1, dtype=x.dtype)))[0]
    np.testing.assert_array_equal(out.numpy(), (points >= 0).astype(dtype))  # -0.0 >= 0: a step of 1, as heaviside
    x = gb.tensor(points, requires_grad=True)
    step = nn.BinaryStep()(x)
    assert step.requires_grad
    (step * gb.tensor(np.arange(points.size, dtype=dtype))).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(points))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, pieces, dim", [((4, 6), 3, 1), ((2, 6, 5), 2, 1), ((2, 3, 8), 4, -1),
                                                ((6, 2), 3, 0), ((4, 5), 1, 1)])
def test_maxout_matches_torch(shape, pieces, dim, dtype):
    def theirs(x):
        axis = dim % x.ndim
        return x.unflatten(axis, (x.shape[axis] // pieces, pieces)).amax(axis + 1)

    check(lambda x: F.maxout(x, pieces, dim), [shape], torch_fn=theirs, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_maxout_shares_the_gradient_on_a_tie(dtype):
    ties = np.array([[1.0, 1.0, -2.0, 0.5], [3.0, 3.0, 3.0, 3.0]], dtype=dtype)
    check(lambda x: F.maxout(x, 2), torch_fn=lambda x: x.unflatten(1, (2, 2)).amax(2), inputs=[ties], dtype=dtype)


def test_maxout_rejects_features_not_divisible_by_pieces():
    with pytest.raises(ValueError, match="5 features, not a multiple of pieces=2"):
        F.maxout(gb.randn(3, 5), 2)
    with pytest.raises(ValueError, match="positive int"):
        F.maxout(gb.randn(3, 4), 0)


# ---- in place ---------------------------------------------------------------------------------------------------
INPLACE = {  # name -> positional arguments after the input
    "relu": (), "relu6": (), "leaky_relu": (0.1,), "elu": (0.7,), "selu": (), "celu": (), "silu": (), "mish": (),
    "hardtanh": (-0.5, 2.0), "hardsigmoid": (), "hardswish": (), "threshold": (0.5, 9.0),
}


def _inplace_pair(name):
    arguments = INPLACE[name]
    return (lambda x: getattr(F, name)(x, *arguments, inplace=True),
            lambda x: getattr(torch.nn.functional, name)(x, *arguments, inplace=True))


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_overwrites_an_input_outside_a_graph(name):
    values = np.linspace(-4, 4, 12, dtype=np.float32).reshape(3, 4)
    ours, theirs = gb.tensor(values.copy()), torch.tensor(values.copy())
    ours_fn, theirs_fn = _inplace_pair(name)
    result = ours_fn(ours)
    theirs_fn(theirs)
    assert result is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=2e-6)
    with gb.no_grad():  # no graph is recorded: a tensor that requires grad is overwritten too
        leaf = gb.tensor(values.copy(), requires_grad=True)
        assert ours_fn(leaf) is leaf
    np.testing.assert_allclose(leaf.detach().numpy(), theirs.numpy(), atol=2e-6)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_inside_a_graph_returns_a_new_tensor_with_the_right_gradient(name):
    ours_fn, theirs_fn = _inplace_pair(name)
    hidden = {}

    def ours(x):
        hidden["input"] = x * 1.0
        hidden["before"] = hidden["input"].detach().numpy().copy()
        return ours_fn(hidden["input"])

    check(ours, [(3, 4)], torch_fn=lambda x: theirs_fn(x * 1.0), low=-4, high=4)
    np.testing.assert_array_equal(hidden["input"].detach().numpy(), hidden["before"])  # saved values kept


def test_inplace_on_a_leaf_that_requires_grad_is_an_error():
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        nn.ReLU(inplace=True)(gb.randn(3, requires_grad=True))


# ---- registry -----------------------------------------------------------------------------------------------------
CONSTRUCTOR_ARGUMENTS = {"threshold": (0.5, 0.0), "softmax": (1,), "log_softmax": (1,), "softmin": (1,)}


@pytest.mark.parametrize("name", activation.ACTIVATIONS)
def test_registry_builds_every_name(name):
    cls = nn.get_activation(name)
    assert issubclass(cls, nn.Module)
    module = cls(*CONSTRUCTOR_ARGUMENTS.get(name, ()))
    x = gb.randn(2, 3, requires_grad=True)
    out = module(x)
    assert out.shape == (2, 3)


def test_registry_names_and_spellings():
    expected = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "swish": nn.SiLU, "silu": nn.SiLU, "gelu": nn.GELU,
                "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU, "softplus": nn.Softplus,
                "identity": nn.Identity, "linear": nn.Identity, "binary_step": nn.BinaryStep, "prelu": nn.PReLU,
                "softmax": nn.Softmax, "LeakyReLU": nn.LeakyReLU, "Leaky-ReLU": nn.LeakyReLU,
                "leaky relu": nn.LeakyReLU, "GELU": nn.GELU, "BinaryStep": nn.BinaryStep, " ReLU6": nn.ReLU6}
    for name, cls in expected.items():
        assert nn.get_activation(name) is cls, name
    for cls in set(activation.ACTIVATIONS.values()):
        assert nn.get_activation(cls.__name__) is cls  # class names round trip


def test_registry_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'relux'") as error:
        nn.get_activation("relux")
    message = str(error.value)
    assert "Did you mean 'relu'" in message
    for name in activation.ACTIVATIONS:
        assert name in message
    with pytest.raises(TypeError, match="str"):
        nn.get_activation(nn.ReLU)


# ---- errors ---------------------------------------------------------------------------------------------------------
def test_bad_arguments_fail_with_clear_messages():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(gb.randn(3), approximate="fast")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="alpha must not be 0"):
        F.celu(gb.randn(3), alpha=0.0)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(gb.randn(3), 2.0, 1.0)
    with pytest.raises(ValueError, match="num_parameters"):
        nn.PReLU(0)
    with pytest.raises(TypeError, match="relu\\(\\): argument 'input' must be a glassbox Tensor"):
        F.relu([1.0, 2.0])
    with pytest.raises(TypeError, match="gelu"):
        F.gelu(np.ones(3))
    with pytest.raises(TypeError, match="can't overwrite a int64 input"):
        F.elu(gb.tensor([1, -2]), inplace=True)


def test_integer_inputs_as_torch():
    x = np.array([-2, 0, 3])
    check(F.sigmoid, torch_fn=torch.sigmoid, inputs=[x])
    check(F.tanh, torch_fn=torch.tanh, inputs=[x])
    check(F.relu, torch_fn=torch.relu, inputs=[x])
    check(F.relu6, torch_fn=torch.nn.functional.relu6, inputs=[x])
    check(F.hardtanh, torch_fn=torch.nn.functional.hardtanh, inputs=[x])
    assert F.gelu(gb.tensor(x)).dtype == gb.float32

