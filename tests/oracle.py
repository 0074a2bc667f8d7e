"""The one helper every op and layer test goes through: run the same computation in
glassbox and in PyTorch on the same seeded data, and compare forward values, shapes,
dtypes and the gradients of every input.

    check(lambda x, y: x * y, shapes=[(3, 1), (4,)])

The same lambda usually runs on both libraries (they share method names); when it
cannot, pass ``torch_fn`` too. A float64 finite-difference check that needs no
PyTorch is ``finite_difference_check``. Layers go through ``check_module``, which
loads a torch module's weights into the glassbox module and compares outputs,
input gradients, parameter gradients and state (running statistics):

    check_module(nn.Linear(3, 2), torch.nn.Linear(3, 2), [(4, 3)], dtype="float64")

The glassbox side runs on ``DEVICE``: the CPU unless the environment variable
``GLASSBOX_TEST_DEVICE=cuda`` asks for the GPU (CuPy). Then the glassbox inputs,
the loss weights and a module under test (``fn`` or ``gb_module``: it goes back
where it was afterwards) are put on the GPU, every output, gradient and state
entry is checked to be there, and values come back to NumPy for the comparison;
PyTorch stays on the CPU as the oracle. A test that builds other tensors for the
computation (a mask, class weights) makes them with ``on_device``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os

import numpy as np
import torch

import glassbox as gb
import glassbox.nn
from glassbox import backend

TOLERANCE = {"float32": (2e-5, 1e-4), "float64": (1e-10, 1e-8)}  # (atol, rtol)
DEVICE = backend.normalize_device(os.environ.get("GLASSBOX_TEST_DEVICE", "cpu"))


def on_device(array, requires_grad=False):
    """A glassbox tensor holding a copy of ``array`` on the test device."""
    return gb.tensor(np.array(array, copy=True), requires_grad=requires_grad, device=DEVICE)


def _check_device(value, what):
    if isinstance(value, gb.Tensor):
        assert value.device == DEVICE, f"{what} is on {value.device!r}, the inputs on {DEVICE!r}"


@contextlib.contextmanager
def _on_test_device(candidate):
    """Inside, a glassbox module lives on DEVICE; afterwards it is back on its own device (anything else
    passes through untouched)."""
    if not isinstance(candidate, glassbox.nn.Module):
        yield
        return
    home = next((t.device for t in itertools.chain(candidate.parameters(), candidate.buffers())), "cpu")
    candidate.to(DEVICE)
    try:
        yield
    finally:
        candidate.to(home)


def _module_on_test_device(check_function):
    """Runs a check with its first argument (the function or module under test) on DEVICE."""

    @functools.wraps(check_function)
    def wrapper(fn, *args, **kwargs):
        with _on_test_device(fn):
            return check_function(fn, *args, **kwargs)

    return wrapper


def make_inputs(shapes, dtype="float32", seed=0, low=-2.0, high=2.0):
    """Seeded arrays, one per shape; a shape given as a NumPy array is used as is."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if isinstance(shape, np.ndarray):
            arrays.append(shape)
        else:
            arrays.append(rng.uniform(low, high, size=shape).astype(dtype))
    return arrays


def _outputs(result):
    if isinstance(result, tuple | list):
        return list(result)
    return [result]


def _as_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, gb.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def _dtype_name(value) -> str:
    if isinstance(value, torch.Tensor):
        return str(value.dtype).replace("torch.", "")
    return str(value.dtype)


@_module_on_test_device
def check(
    fn,
    shapes=None,
    torch_fn=None,
    inputs=None,
    dtype="float32",
    low=-2.0,
    high=2.0,
    seed=0,
    atol=None,
    rtol=None,
    grad=True,
    grad_inputs=None,
):
    """Compare ``fn`` on glassbox tensors with ``torch_fn`` (default: ``fn``) on torch tensors.

    ``inputs`` may give arrays directly (integer arrays are passed without gradient).
    ``grad_inputs`` lists which float inputs get a gradient (default: all of them).
    Returns the glassbox outputs for further checks.
    """
    torch_fn = torch_fn or fn
    arrays = inputs if inputs is not None else make_inputs(shapes, dtype, seed, low, high)
    default_atol, default_rtol = TOLERANCE["float64" if dtype == "float64" else "float32"]
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol

    gb_inputs, torch_inputs = [], []
    for i, array in enumerate(arrays):
        array = np.asarray(array)
        needs_grad = grad and array.dtype.kind == "f" and (grad_inputs is None or i in grad_inputs)
        gb_inputs.append(on_device(array, requires_grad=needs_grad))
        torch_inputs.append(torch.tensor(array.copy(), requires_grad=needs_grad))

    gb_out = _outputs(fn(*gb_inputs))
    torch_out = _outputs(torch_fn(*torch_inputs))
    assert len(gb_out) == len(torch_out), f"{len(gb_out)} outputs, PyTorch gives {len(torch_out)}"
    for k, (ours, theirs) in enumerate(zip(gb_out, torch_out, strict=True)):
        _check_device(ours, f"output {k}")
        ours_np, theirs_np = _as_numpy(ours), _as_numpy(theirs)
        assert ours_np.shape == theirs_np.shape, f"output {k}: shape {ours_np.shape}, PyTorch {theirs_np.shape}"
        assert _dtype_name(ours) == _dtype_name(theirs), (
            f"output {k}: dtype {_dtype_name(ours)}, PyTorch {_dtype_name(theirs)}"
        )
        np.testing.assert_allclose(ours_np, theirs_np, atol=atol, rtol=rtol, err_msg=f"forward output {k}")

    if not grad:
        return gb_out
    rng = np.random.default_rng(seed + 1)
    gb_loss, torch_loss = None, None
    for ours, theirs in zip(gb_out, torch_out, strict=True):
        if isinstance(theirs, torch.Tensor) and theirs.requires_grad:
            weight = rng.uniform(-1, 1, size=tuple(theirs.shape)).astype(_dtype_name(theirs))
            term_gb = (ours * on_device(weight)).sum()
            term_torch = (theirs * torch.tensor(weight)).sum()
            gb_loss = term_gb if gb_loss is None else gb_loss + term_gb
            torch_loss = term_torch if torch_loss is None else torch_loss + term_torch
    if torch_loss is None:
        return gb_out
    torch_loss.backward()
    gb_loss.backward()
    for i, (ours, theirs) in enumerate(zip(gb_inputs, torch_inputs, strict=True)):
        if not theirs.requires_grad:
            continue
        if theirs.grad is None:
            assert ours.grad is None or not np.any(ours.grad.numpy()), f"input {i}: gradient where PyTorch has none"
            continue
        assert ours.grad is not None, f"input {i}: no gradient, PyTorch has one"
        _check_device(ours.grad, f"gradient of input {i}")
        assert ours.grad.shape == tuple(theirs.grad.shape), f"input {i}: grad shape {ours.grad.shape}"
        assert ours.grad.dtype == np.dtype(_dtype_name(theirs.grad)), f"input {i}: grad dtype {ours.grad.dtype}"
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")
    return gb_out


@_module_on_test_device
def finite_difference_check(fn, shapes=None, inputs=None, seed=0, low=-2.0, high=2.0, eps=1e-6, tol=1e-6):
    """Compare glassbox's backward with central differences (f(x+h) - f(x-h)) / 2h, in float64."""
    arrays = inputs if inputs is not None else make_inputs(shapes, "float64", seed, low, high)
    tensors = [on_device(a, requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]
    out = _outputs(fn(*tensors))[0]
    _check_device(out, "the output")
    weight = np.random.default_rng(seed + 1).uniform(-1, 1, size=out.shape)
    (out * on_device(weight)).sum().backward()

    def loss(values):
        with gb.no_grad():
            result = _outputs(fn(*[on_device(v) for v in values]))[0]
        return float((result.numpy() * weight).sum())

    for i, tensor in enumerate(tensors):
        if not tensor.requires_grad:
            continue
        base = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else a for a in arrays]
        numeric = np.zeros_like(base[i])
        flat = base[i].reshape(-1)
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = loss(base)
            flat[j] = original - eps
            minus = loss(base)
            flat[j] = original
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        analytic = tensor.grad.numpy() if tensor.grad is not None else np.zeros_like(numeric)
        np.testing.assert_allclose(analytic, numeric, atol=tol, rtol=1e-5, err_msg=f"input {i}")


def _flatten_outputs(result) -> list:
    """Every tensor in a (possibly nested) tuple/list of outputs, in order: LSTM's (out, (h, c)) gives 3."""
    if isinstance(result, tuple | list):
        return [leaf for item in result for leaf in _flatten_outputs(item)]
    return [] if result is None else [result]


def load_torch_weights(gb_module, torch_module):
    """Copy a torch module's state_dict into a glassbox module through NumPy arrays (strict: same names)."""
    state = {name: value.detach().cpu().numpy().copy() for name, value in torch_module.state_dict().items()}
    gb_module.load_state_dict(state)


@_module_on_test_device
def check_module(
    gb_module,
    torch_module,
    input_shapes=None,
    dtype="float32",
    inputs=None,
    training=True,
    steps=1,
    seed=0,
    low=-2.0,
    high=2.0,
    atol=None,
    rtol=None,
    grad=True,
    grad_inputs=None,
    compare_state=True,
    forward_kwargs=None,
):
    """Compare a glassbox module with a torch module carrying the same weights.

    Both modules are cast to ``dtype``; the torch module's state_dict is loaded into the
    glassbox one by name (through NumPy arrays); both run in training mode or eval mode
    (``training``) on the same seeded inputs, ``steps`` times with fresh inputs each time.
    After every step it compares the outputs (values, shapes, dtypes; nested tuples are
    flattened), the gradients of the float inputs, every parameter's gradient by
    state_dict name (they accumulate over the steps in both libraries), and, with
    ``compare_state``, the whole state_dict (running statistics of batch norm …).

    ``inputs`` gives the arrays directly (for integer inputs such as Embedding's indices),
    or a function ``step -> list of arrays``. ``grad_inputs`` lists which float inputs get
    a gradient (default all). Returns the glassbox outputs of the last step.
    """
    torch_dtype = getattr(torch, dtype)
    torch_module.to(torch_dtype)
    gb_module.to(dtype)
    load_torch_weights(gb_module, torch_module)
    gb_module.train(training)
    torch_module.train(training)
    forward_kwargs = forward_kwargs or {}
    default_atol, default_rtol = TOLERANCE["float64" if dtype == "float64" else "float32"]
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol

    gb_out = None
    for step in range(steps):
        if callable(inputs):
            arrays = inputs(step)
        elif inputs is not None:
            arrays = inputs
        else:
            arrays = make_inputs(input_shapes, dtype, seed + step, low, high)
        gb_inputs, torch_inputs = [], []
        for i, array in enumerate(arrays):
            array = np.asarray(array)
            needs_grad = grad and array.dtype.kind == "f" and (grad_inputs is None or i in grad_inputs)
            gb_inputs.append(on_device(array, requires_grad=needs_grad))
            torch_inputs.append(torch.tensor(array.copy(), requires_grad=needs_grad))

        gb_out = _flatten_outputs(gb_module(*gb_inputs, **forward_kwargs))
        torch_out = _flatten_outputs(torch_module(*torch_inputs, **forward_kwargs))
        where = f"step {step}: "
        assert len(gb_out) == len(torch_out), f"{where}{len(gb_out)} outputs, PyTorch gives {len(torch_out)}"
        for k, (ours, theirs) in enumerate(zip(gb_out, torch_out, strict=True)):
            _check_device(ours, f"{where}output {k}")
            ours_np, theirs_np = _as_numpy(ours), _as_numpy(theirs)
            assert ours_np.shape == theirs_np.shape, (
                f"{where}output {k}: shape {ours_np.shape}, PyTorch {theirs_np.shape}"
            )
            assert _dtype_name(ours) == _dtype_name(theirs), (
                f"{where}output {k}: dtype {_dtype_name(ours)}, PyTorch {_dtype_name(theirs)}"
            )
            np.testing.assert_allclose(ours_np, theirs_np, atol=atol, rtol=rtol, err_msg=f"{where}output {k}")

        if grad:
            rng = np.random.default_rng(seed + 1 + step)
            gb_loss, torch_loss = None, None
            for k, (ours, theirs) in enumerate(zip(gb_out, torch_out, strict=True)):
                if isinstance(theirs, torch.Tensor) and theirs.requires_grad:
                    assert ours.requires_grad, f"{where}output {k} does not require grad, PyTorch's does"
                    weight = rng.uniform(-1, 1, size=tuple(theirs.shape)).astype(_dtype_name(theirs))
                    term_gb = (ours * on_device(weight)).sum()
                    term_torch = (theirs * torch.tensor(weight)).sum()
                    gb_loss = term_gb if gb_loss is None else gb_loss + term_gb
                    torch_loss = term_torch if torch_loss is None else torch_loss + term_torch
            if torch_loss is not None:
                torch_loss.backward()
                gb_loss.backward()
                for i, (ours, theirs) in enumerate(zip(gb_inputs, torch_inputs, strict=True)):
                    if theirs.requires_grad:
                        _compare_grad(ours.grad, theirs.grad, f"{where}gradient of input {i}", atol, rtol)
                gb_parameters = dict(gb_module.named_parameters())
                torch_parameters = dict(torch_module.named_parameters())
                assert set(gb_parameters) == set(torch_parameters), (
                    f"parameters {sorted(gb_parameters)}, PyTorch has {sorted(torch_parameters)}"
                )
                for name, theirs in torch_parameters.items():
                    _compare_grad(gb_parameters[name].grad, theirs.grad, f"{where}gradient of {name}", atol, rtol)

        if compare_state:
            gb_state, torch_state = gb_module.state_dict(), torch_module.state_dict()
            assert list(gb_state) == list(torch_state), f"state_dict keys {list(gb_state)}, PyTorch {list(torch_state)}"
            for name, theirs in torch_state.items():
                ours = gb_state[name]
                _check_device(ours, f"{where}state_dict entry {name}")
                assert ours.dtype == np.dtype(_dtype_name(theirs)), f"{where}{name}: dtype {ours.dtype}"
                np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=atol, rtol=rtol,
                                           err_msg=f"{where}state_dict entry {name}")
    return gb_out


def _compare_grad(ours, theirs, what, atol, rtol):
    if theirs is None:
        assert ours is None or not np.any(ours.numpy()), f"{what}: glassbox has one, PyTorch has none"
        return
    assert ours is not None, f"{what}: missing, PyTorch has one"
    _check_device(ours, what)
    assert ours.shape == tuple(theirs.shape), f"{what}: shape {ours.shape}, PyTorch {tuple(theirs.shape)}"
    assert ours.dtype == np.dtype(_dtype_name(theirs)), f"{what}: dtype {ours.dtype}, PyTorch {theirs.dtype}"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=atol, rtol=rtol, err_msg=what)
