import math

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.nn as nn
from glassbox.nn import init

SHAPES = [(3, 4), (20, 7), (16, 3, 3, 3), (8, 4, 5), (2, 3, 2, 2, 2)]


def test_calculate_gain_matches_torch():
    names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
             "sigmoid", "tanh", "relu", "selu", "leaky_relu"]
    for name in names:
        assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name), name
    for slope in (0.2, 1, 0.0, 3.5):
        assert init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(gb.zeros(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(gb.zeros(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.zeros(*shape), mode)


def test_fans_need_two_dimensions_and_a_known_mode():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(gb.zeros(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(gb.zeros(3, 3), mode="fan_avg")


@pytest.fixture
def recorded(monkeypatch):
    """The (low, high) or (mean, std) each library's init function asks its random generator for."""
    calls = {"ours": [], "torch": []}
    original_uniform, original_normal = init._uniform, init._normal
    monkeypatch.setattr(init, "_uniform", lambda t, a, b, g: (calls["ours"].append(("uniform", a, b)),
                                                               original_uniform(t, a, b, g))[1])
    monkeypatch.setattr(init, "_normal", lambda t, m, s, g: (calls["ours"].append(("normal", m, s)),
                                                              original_normal(t, m, s, g))[1])
    torch_uniform, torch_normal = torch.Tensor.uniform_, torch.Tensor.normal_

    def uniform(self, a=0.0, b=1.0, generator=None):
        calls["torch"].append(("uniform", a, b))
        return torch_uniform(self, a, b, generator=generator)

    def normal(self, mean=0.0, std=1.0, generator=None):
        calls["torch"].append(("normal", mean, std))
        return torch_normal(self, mean, std, generator=generator)

    monkeypatch.setattr(torch.Tensor, "uniform_", uniform)
    monkeypatch.setattr(torch.Tensor, "normal_", normal)
    return calls


SCHEMES = {
    "xavier_uniform": lambda lib, t: lib.xavier_uniform_(t),
    "xavier_uniform_gain": lambda lib, t: lib.xavier_uniform_(t, gain=lib.calculate_gain("tanh")),
    "xavier_normal": lambda lib, t: lib.xavier_normal_(t, gain=0.7),
    "kaiming_uniform": lambda lib, t: lib.kaiming_uniform_(t),
    "kaiming_uniform_linear_default": lambda lib, t: lib.kaiming_uniform_(t, a=math.sqrt(5)),
    "kaiming_uniform_relu_fan_out": lambda lib, t: lib.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    "kaiming_normal": lambda lib, t: lib.kaiming_normal_(t, a=0.1),
    "kaiming_normal_relu_fan_out": lambda lib, t: lib.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
    "kaiming_normal_tanh": lambda lib, t: lib.kaiming_normal_(t, nonlinearity="tanh"),
    "uniform": lambda lib, t: lib.uniform_(t, -0.3, 0.5),
    "normal": lambda lib, t: lib.normal_(t, 0.2, 3.0),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_bounds_and_standard_deviations_are_computed_exactly_as_torch(scheme, shape, recorded):
    SCHEMES[scheme](init, gb.zeros(*shape))
    SCHEMES[scheme](torch.nn.init, torch.zeros(*shape))
    assert len(recorded["ours"]) == 1
    assert recorded["ours"] == recorded["torch"]


def test_linear_default_is_the_notes_fan_in_uniform(recorded):
    init.fan_in_uniform_(gb.zeros(6, 25))
    init.kaiming_uniform_(gb.zeros(6, 25), a=math.sqrt(5))
    (_, low, high), (_, low2, high2) = recorded["ours"]
    assert high == pytest.approx(1 / 5) and low == -high
    assert high2 == pytest.approx(high, rel=1e-12)


def _assert_moments(values, mean, std, sigmas=5.0):
    """Sample mean within `sigmas` standard errors; sample std within 2% (n ≥ 100000 draws)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    assert abs(values.mean() - mean) < sigmas * std / math.sqrt(values.size), (values.mean(), mean)
    assert abs(values.std() / std - 1) < 0.02, (values.std(), std)


SHAPE = (400, 300)  # fan_in 300, fan_out 400


def test_uniform_schemes_stay_in_their_bounds_and_have_their_variance():
    gb.manual_seed(0)
    cases = {
        "xavier_uniform_": (lambda t: init.xavier_uniform_(t, gain=2.0), 2.0 * math.sqrt(6 / 700)),
        "kaiming_uniform_": (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(6 / 300)),
        "fan_in_uniform_": (init.fan_in_uniform_, 1 / math.sqrt(300)),
        "lecun_uniform_": (init.lecun_uniform_, math.sqrt(3 / 300)),
        "uniform_": (lambda t: init.uniform_(t, -0.25, 0.25), 0.25),
    }
    for name, (fill, bound) in cases.items():
        values = fill(gb.zeros(*SHAPE)).numpy()
        assert np.abs(values).max() <= bound, name
        assert np.abs(values).max() > 0.999 * bound, name
        _assert_moments(values, 0.0, bound / math.sqrt(3))


def test_normal_schemes_have_their_variance():
    gb.manual_seed(1)
    cases = {
        "xavier_normal_": (init.xavier_normal_, math.sqrt(2 / 700)),
        "kaiming_normal_": (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / 300)),
        "kaiming_normal_fan_out": (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
                                   math.sqrt(2 / 400)),
        "lecun_normal_": (init.lecun_normal_, math.sqrt(1 / 300)),
    }
    for fill, std in cases.values():
        _assert_moments(fill(gb.zeros(*SHAPE)).numpy(), 0.0, std)
    _assert_moments(init.normal_(gb.zeros(*SHAPE), 3.0, 0.5).numpy(), 3.0, 0.5)


def _truncated_normal_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    variance = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - shift**2
    return mean + std * shift, std * math.sqrt(variance)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.02, 0.46, 0.54), (0.0, 1.0, 2.5, 3.0),
                                             (1.0, 2.0, -1.0, 10.0), (0.0, 1.0, -4.0, -3.9)])
def test_trunc_normal_has_the_truncated_distribution(mean, std, a, b):
    gb.manual_seed(2)
    values = init.trunc_normal_(gb.zeros(*SHAPE, dtype=gb.float64), mean, std, a, b).numpy()
    assert values.min() >= a and values.max() <= b
    expected_mean, expected_std = _truncated_normal_moments(mean, std, a, b)
    _assert_moments(values, expected_mean, expected_std)


def test_trunc_normal_refuses_an_interval_without_mass():
    with pytest.raises(ValueError, match="holds almost none"):
        init.trunc_normal_(gb.zeros(3), 0.0, 1.0, 40.0, 1000.0)
    with pytest.raises(ValueError, match="empty"):
        init.trunc_normal_(gb.zeros(3), 0.0, 1.0, 1.0, 1.0)


@pytest.mark.parametrize("shape", [(5, 5), (3, 8), (8, 3), (6, 2, 3, 3)], ids=str)
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape):
    gb.manual_seed(3)
    q = init.orthogonal_(gb.zeros(*shape, dtype=gb.float64), gain=2.0).numpy().reshape(shape[0], -1)
    small = min(q.shape)
    product = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(product, 4.0 * np.eye(small), atol=1e-12)


def test_constants_eye_and_dirac_match_torch():
    for ours, theirs in [
        (init.constant_(gb.zeros(2, 3), 0.3), torch.nn.init.constant_(torch.zeros(2, 3), 0.3)),
        (init.ones_(gb.zeros(4)), torch.nn.init.ones_(torch.zeros(4))),
        (init.zeros_(gb.ones(2, 2)), torch.nn.init.zeros_(torch.ones(2, 2))),
        (init.eye_(gb.zeros(3, 5)), torch.nn.init.eye_(torch.zeros(3, 5))),
        (init.dirac_(gb.zeros(4, 3, 3, 3)), torch.nn.init.dirac_(torch.zeros(4, 3, 3, 3))),
        (init.dirac_(gb.zeros(6, 2, 5), groups=2), torch.nn.init.dirac_(torch.zeros(6, 2, 5), groups=2)),
    ]:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(gb.zeros(2, 2, 2))


def test_sparse_zeroes_the_same_count_per_column_as_torch():
    ours = init.sparse_(gb.zeros(10, 6), sparsity=0.3, std=0.5).numpy()
    theirs = torch.nn.init.sparse_(torch.zeros(10, 6), sparsity=0.3, std=0.5).numpy()
    np.testing.assert_array_equal((ours == 0).sum(axis=0), (theirs == 0).sum(axis=0))


def test_init_repeats_with_the_seed_and_accepts_a_generator():
    for fill in (init.xavier_normal_, init.kaiming_uniform_, init.orthogonal_, init.trunc_normal_):
        gb.manual_seed(11)
        first = fill(gb.zeros(5, 4)).numpy()
        gb.manual_seed(11)
        np.testing.assert_array_equal(first, fill(gb.zeros(5, 4)).numpy())
    one = init.normal_(gb.zeros(3), generator=np.random.default_rng(5)).numpy()
    two = init.normal_(gb.zeros(3), generator=np.random.default_rng(5)).numpy()
    np.testing.assert_array_equal(one, two)


def test_init_works_in_place_on_parameters_without_recording():
    weight = nn.Parameter(gb.zeros(3, 4))
    result = init.xavier_uniform_(weight)
    assert result is weight and weight.requires_grad and weight.is_leaf and weight.grad_fn is None
    assert weight.dtype == np.float32 and np.any(weight.detach().numpy() != 0)
    double = init.kaiming_normal_(gb.zeros(3, 4, dtype=gb.float64))
    assert double.dtype == np.float64


def test_zero_element_tensors_warn_and_are_left_alone():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(gb.zeros(0, 3))
