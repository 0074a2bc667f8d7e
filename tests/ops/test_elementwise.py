import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassbox as gb
from oracle import check, finite_difference_check

BROADCAST_SHAPES = [
    [(3, 4), (3, 4)],
    [(3, 4), (4,)],
    [(3, 1), (1, 4)],
    [(), (2, 3)],
    [(2, 3), ()],
    [(2, 1, 3), (4, 1)],
    [(1,), (5,)],
    [(0, 3), (3,)],
]

BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "maximum": lambda x, y: (gb if isinstance(x, gb.Tensor) else torch).maximum(x, y),
    "minimum": lambda x, y: (gb if isinstance(x, gb.Tensor) else torch).minimum(x, y),
    "where": lambda x, y: (gb if isinstance(x, gb.Tensor) else torch).where(x > y, x, y),
}

UNARY = {
    "neg": (lambda x: -x, -2, 2),
    "exp": (lambda x: x.exp(), -2, 2),
    "log": (lambda x: x.log(), 0.1, 3),
    "sqrt": (lambda x: x.sqrt(), 0.1, 3),
    "abs": (lambda x: x.abs(), -2, 2),
    "tanh": (lambda x: x.tanh(), -3, 3),
    "sigmoid": (lambda x: x.sigmoid(), -6, 6),
    "relu": (lambda x: x.relu(), -2, 2),
    "sin": (lambda x: x.sin(), -3, 3),
    "cos": (lambda x: x.cos(), -3, 3),
    "square": (lambda x: x**2, -2, 2),
    "cube": (lambda x: x**3, -2, 2),
    "pow_half": (lambda x: x**0.5, 0.1, 3),
    "pow_negative": (lambda x: x**-1.5, 0.2, 3),
    "pow_zero": (lambda x: x**0, -2, 2),
    "rpow": (lambda x: 2.0**x, -2, 2),
    "rsub": (lambda x: 1.0 - x, -2, 2),
    "rdiv": (lambda x: 1.0 / x, 0.2, 2),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), -2, 2),
    "clamp_min": (lambda x: x.clamp(min=0.1), -2, 2),
    "clamp_max": (lambda x: x.clamp(max=0.1), -2, 2),
    "softplus": (lambda x: torch.nn.functional.softplus(x) if isinstance(x, torch.Tensor) else gb.softplus(x), -30, 30),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(name, shapes, dtype):
    low = 0.5 if name == "div" else -2
    check(BINARY[name], shapes, dtype=dtype, low=low)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, dtype):
    fn, low, high = UNARY[name]
    check(fn, [(4, 5)], dtype=dtype, low=low, high=high)


def test_pow_with_tensor_exponent():
    check(lambda x, y: x**y, [(3, 4), (4,)], low=0.2, high=2)
    check(lambda x, y: x**y, [(3, 4), (3, 4)], dtype="float64", low=0.2, high=2)


def test_pow_gradient_of_exponent_at_zero_base():
    base = np.array([0.0, 0.0, 1.5])
    exponent = np.array([2.0, 0.5, 1.0])
    check(lambda x, y: x**y, inputs=[base, exponent], dtype="float64", grad_inputs=[1])


def test_maximum_splits_gradient_on_ties():
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    y = np.array([1.0, 1.0, 4.0], dtype=np.float32)
    check(lambda a, b: (gb if isinstance(a, gb.Tensor) else torch).maximum(a, b), inputs=[x, y])


def test_relu_gradient_at_zero_is_zero():
    check(lambda x: x.relu(), inputs=[np.array([-1.0, 0.0, 1.0], dtype=np.float32)])


@pytest.mark.parametrize("size", [4, 1 << 15])
def test_relu_gradient_passes_nan_as_torch_does(size):
    """PyTorch's ReLU blocks the gradient where the output is <= 0, and so passes it where the output is NaN."""
    values = np.resize(np.array([np.nan, -1.0, 0.0, 2.0], dtype=np.float32), size)
    ours, theirs = gb.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours.relu().sum().backward()
    theirs.relu().sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_clamp_gradient_at_bounds_passes():
    check(lambda x: x.clamp(-1, 1), inputs=[np.array([-1.0, 0.0, 1.0, 2.0], dtype=np.float32)])


def test_sigmoid_is_stable_for_large_inputs():
    values = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=np.float32)
    check(lambda x: x.sigmoid(), inputs=[values])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_large_sigmoid_tanh_relu_match_torch(name, dtype):
    """Arrays past the size where float32 sigmoid switches to its exp2 form, over the range where e^-x neither
    overflows nor is negligible, and past it."""
    check(lambda x: getattr(x, name)(), [(64, 200)], dtype=dtype, low=-40, high=40)
    extremes = np.resize(np.array([-1000.0, -88.0, -20.0, 0.0, 20.0, 88.0, 1000.0], dtype=dtype), (80, 60))
    check(lambda x: getattr(x, name)(), inputs=[extremes])


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "where"])
def test_binary_finite_difference(name):
    finite_difference_check(BINARY[name], [(3, 1), (4,)], low=0.5 if name == "div" else -2)


@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("relu", "abs", "clamp", "clamp_min", "clamp_max")])
def test_unary_finite_difference(name):
    fn, low, high = UNARY[name]
    finite_difference_check(fn, [(2, 3)], low=low, high=high)


# ---- type promotion ---------------------------------------------------------------------------------------
PROMOTION_CASES = [
    ("float32", "float64"),
    ("int64", "float32"),
    ("int64", "float64"),
    ("bool", "int64"),
    ("int32", "int64"),
    ("bool", "float32"),
]


@pytest.mark.parametrize("a_dtype,b_dtype", PROMOTION_CASES)
def test_promotion_of_two_tensors_matches_torch(a_dtype, b_dtype):
    a = np.ones((2, 2), dtype=a_dtype)
    b = np.ones((2, 2), dtype=b_dtype)
    assert (gb.tensor(a) + gb.tensor(b)).dtype == np.dtype(str((torch.tensor(a) + torch.tensor(b)).dtype)[6:])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_promotion_with_python_numbers_matches_torch(dtype, scalar):
    a = np.ones((2,), dtype=dtype)
    ours = (gb.tensor(a) * scalar).dtype
    theirs = str((torch.tensor(a) * scalar).dtype)[6:]
    assert ours == np.dtype(theirs)


def test_zero_dim_tensor_does_not_widen():
    a = gb.ones(3)  # float32
    b = gb.tensor(2.0, dtype=gb.float64)
    assert (a * b).dtype == gb.float32
    assert (gb.ones(3, dtype=gb.int64) * gb.tensor(2.5)).dtype == gb.float32


def test_mixed_precision_gradient_has_input_dtype():
    a = gb.ones(3, requires_grad=True)
    b = gb.ones(3, dtype=gb.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == gb.float32 and b.grad.dtype == gb.float64


def test_integer_division_gives_float_like_torch():
    check(lambda x, y: x / y, inputs=[np.array([1, 2, 3]), np.array([2, 2, 2])], grad=False)


def test_comparisons_have_no_gradient():
    x = gb.randn(3, requires_grad=True)
    for result in (x > 0, x >= 0, x < 0, x <= 0, x == 0, x != 0):
        assert result.dtype == gb.bool and not result.requires_grad


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        gb.ones(2, 3) + gb.ones(4)


# ---- properties -------------------------------------------------------------------------------------------
broadcastable = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)


@settings(max_examples=40, deadline=None)
@given(shapes=broadcastable, op=st.sampled_from(["add", "sub", "mul", "maximum"]))
def test_binary_ops_on_random_broadcastable_shapes(shapes, op):
    check(BINARY[op], list(shapes.input_shapes))


def test_softplus_gradient_at_zero_is_one_half():
    check(lambda x: torch.nn.functional.softplus(x) if isinstance(x, torch.Tensor) else gb.softplus(x),
          inputs=[np.array([0.0, -1e-3, 1e-3], dtype=np.float64)], dtype="float64")


def test_log1p_is_accurate_for_tiny_inputs():
    check(lambda x: x.log1p(), inputs=[np.array([1e-10, 1e-5, 0.5, 3.0], dtype=np.float64)], dtype="float64")


@pytest.mark.parametrize(
    "name, layout",
    [
        ("contiguous", lambda x: x),
        ("permuted, still one dense block", lambda x: x.permute(2, 0, 1)),
        ("strided, with gaps", lambda x: x[:, ::2]),
        ("broadcast, stride 0", lambda x: x[:1].expand(64, 32, 20)),
    ],
)
@pytest.mark.parametrize("shape", [(6, 4, 5), (64, 32, 20)], ids=["small", "large"])
def test_relu_matches_torch_on_every_layout(name, layout, shape):
    if shape[0] == 6:
        layout = {"broadcast, stride 0": lambda x: x[:1].expand(6, 4, 5)}.get(name, layout)
    check(lambda x: layout(x).relu(), [shape])


def test_relu_keeps_nan_and_leaves_the_zero_buffer_untouched():
    from glassbox.ops.unary import zero_buffer

    values = np.resize(np.array([np.nan, -1.0, 2.0, -np.inf, np.inf, -0.5], dtype=np.float32), (300, 100))
    out = gb.tensor(values).relu().numpy()
    np.testing.assert_array_equal(out, torch.tensor(values).relu().numpy())
    out[...] = 7  # the result is the caller's own array
    assert not zero_buffer.like(values).any()
