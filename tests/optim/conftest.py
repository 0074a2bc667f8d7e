"""The trajectory check every optimizer test uses: the same small network trained step by step in
glassbox and in PyTorch (or with the update formula written out by hand), parameters compared after
every step.

The network is a 2-layer MLP written with plain tensors, so it needs nothing but the core:
x @ W1 + b1 -> tanh -> @ W2 + b2, mean squared error, a different mini-batch at every step.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.optim
from oracle import DEVICE, on_device

SHAPES = {"W1": (3, 8), "b1": (8,), "W2": (8, 2), "b2": (2,)}
BATCH = 16


def initial_arrays(dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.normal(0.0, 0.5, size=shape).astype(dtype) for shape in SHAPES.values()]
    inputs = rng.normal(size=(4 * BATCH, 3)).astype(dtype)
    targets = np.stack([np.sin(inputs[:, 0]) + inputs[:, 1], inputs[:, 1] * inputs[:, 2]], axis=1).astype(dtype)
    return params, inputs, targets


def mlp_loss(params, x, y):
    """Works on glassbox and on torch tensors alike."""
    W1, b1, W2, b2 = params[:4]
    prediction = (x @ W1 + b1).tanh() @ W2 + b2
    return ((prediction - y) ** 2).mean()


class FormulaOptimizer:
    """A reference optimizer from an update formula written out in NumPy: ``update(theta, g, state, t)``
    changes ``theta`` in place (``state`` is a per-parameter dict, ``t`` the 1-based step)."""

    def __init__(self, params, update):
        self.params, self.update = params, update
        self.states = [{} for _ in params]
        self.steps = [0 for _ in params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                self.steps[i] += 1
                self.update(p.data.numpy(), p.grad.numpy().copy(), self.states[i], self.steps[i])


def run_both(build, formula=None, steps=20, dtype="float64", atol=1e-10, rtol=1e-10, unused_parameter=False,
             after_step=None):
    """Train with ``build(params, optim)`` in glassbox (optim = glassbox.optim) and in PyTorch (optim =
    torch.optim), or against ``FormulaOptimizer(formula)``; assert equal parameters after every step.

    ``unused_parameter`` adds a fifth parameter that the loss never touches (its grad stays None).
    ``after_step(step, ours, theirs)`` runs after each step. Returns both optimizers and parameter lists.
    """
    arrays, inputs, targets = initial_arrays(dtype)
    if unused_parameter:
        arrays = arrays + [np.linspace(-1, 1, 5).astype(dtype)]
    ours = [on_device(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    our_optimizer = build(ours, glassbox.optim)
    their_optimizer = FormulaOptimizer(theirs, formula) if formula is not None else build(theirs, torch.optim)
    for step in range(steps):
        rows = slice((step % 4) * BATCH, (step % 4 + 1) * BATCH)
        for params, optimizer, lib in ((ours, our_optimizer, gb), (theirs, their_optimizer, torch)):
            optimizer.zero_grad()
            device = {"device": DEVICE} if lib is gb else {}
            loss = mlp_loss(params, lib.tensor(inputs[rows], **device), lib.tensor(targets[rows], **device))
            loss.backward()
            optimizer.step()
        for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol, rtol=rtol,
                                       err_msg=f"parameter {k} after step {step + 1}")
        if after_step is not None:
            after_step(step, our_optimizer, their_optimizer)
    moved = max(float(np.abs(p.detach().numpy() - a).max()) for p, a in zip(ours, arrays, strict=True))
    assert moved > 1e-3, f"the parameters barely moved ({moved:.2e}): the comparison would prove nothing"
    return our_optimizer, their_optimizer, ours, theirs


def train(params, optimizer, steps, first_step=0):
    """``steps`` steps of the MLP from mini-batch ``first_step`` on, with glassbox or torch parameters."""
    _, inputs, targets = initial_arrays(str(params[0].dtype).replace("torch.", ""))
    lib = gb if isinstance(params[0], gb.Tensor) else torch
    device = {"device": params[0].device} if lib is gb else {}
    for step in range(first_step, first_step + steps):
        rows = slice((step % 4) * BATCH, (step % 4 + 1) * BATCH)
        optimizer.zero_grad()
        mlp_loss(params, lib.tensor(inputs[rows], **device), lib.tensor(targets[rows], **device)).backward()
        optimizer.step()


@pytest.fixture
def trajectory():
    """``run_both``: the step-by-step comparison of an optimizer with PyTorch's or with a formula."""
    return run_both


@pytest.fixture
def mlp():
    """The pieces of the test network, for tests that drive training themselves."""
    return types.SimpleNamespace(initial_arrays=initial_arrays, loss=mlp_loss, batch=BATCH, train=train)
