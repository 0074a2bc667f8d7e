"""Gradient clipping: keep one bad batch from throwing the weights far away (exploding gradients).

Two ways, as in ``torch.nn.utils``:

* by norm: treat all gradients as one long vector g; if its p-norm is above ``max_norm``, scale it down

      total_norm = ‖(‖g_1‖_p, ‖g_2‖_p, …)‖_p           (= ‖g‖_p of the concatenated gradients)
      g ← g · min(1, max_norm / (total_norm + 1e-6))

  the direction is kept, only the length shrinks;
* by value: clamp every gradient entry to [-clip_value, clip_value] (changes the direction).

Both change ``p.grad`` in place and are called between ``loss.backward()`` and ``optimizer.step()``.
"""

from __future__ import annotations

import math

import numpy

from glassbox import backend
from glassbox.tensor import Tensor


def _gradients(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(array, norm_type: float):
    """The p-norm of all entries of ``array`` as one vector, as a 0-d array of its dtype."""
    xp = backend.module_of(array)
    magnitudes = xp.abs(array.reshape(-1))
    if magnitudes.size == 0:
        return xp.zeros((), dtype=array.dtype)
    if norm_type == math.inf:
        return magnitudes.max()
    if norm_type == -math.inf:
        return magnitudes.min()
    if norm_type == 0:
        return xp.count_nonzero(magnitudes).astype(array.dtype)
    if norm_type == 1:
        return magnitudes.sum()
    if norm_type == 2:
        return xp.sqrt(xp.dot(magnitudes, magnitudes))
    return (magnitudes**norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The p-norm of ``tensors`` seen as one vector: the norm of their norms (``norm_type=inf``: the largest entry)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(numpy.asarray(0.0, dtype=numpy.float32))  # PyTorch's torch.tensor(0.0)
    xp = backend.module_of(tensors[0].data)
    norms = [backend.to_device(_vector_norm(t.data, norm_type), tensors[0].device) for t in tensors]
    total_norm = _vector_norm(xp.stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total_norm)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite ({float(total_norm)}), "
            "so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, "
            "set `error_if_nonfinite=False`"
        )
    return Tensor._wrap(xp.asarray(total_norm))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), given their total norm."""
    gradients = _gradients(parameters)
    if not gradients:
        return
    total = total_norm.data if isinstance(total_norm, Tensor) else total_norm
    # Always multiply, even by 1: the same arithmetic as PyTorch, and no data-dependent branch on the GPU.
    coefficient = backend.module_of(total).minimum(float(max_norm) / (total + 1e-6), 1.0)
    with numpy.errstate(invalid="ignore"):  # a non-finite norm spreads NaN, as in PyTorch (error_if_nonfinite)
        for gradient in gradients:
            gradient.data *= backend.to_device(coefficient, gradient.device)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` so that their total ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping, as a 0-d Tensor (useful to log). With
    ``error_if_nonfinite=True`` a NaN or infinite norm raises instead of spreading NaN into every gradient.
    ``foreach`` is accepted for PyTorch compatibility; the arithmetic is vectorised either way.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    gradients = _gradients(parameters)
    total_norm = get_total_norm(gradients, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient entry of ``parameters`` to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for gradient in _gradients(parameters):
        xp = backend.module_of(gradient.data)
        xp.clip(gradient.data, -clip_value, clip_value, out=gradient.data)
