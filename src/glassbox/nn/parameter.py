"""Parameter: a tensor that a Module learns.

A ``Parameter`` is an ordinary ``Tensor`` with two differences: it requires a
gradient by default, and assigning one as an attribute of a ``Module``
registers it, so that ``module.parameters()`` hands it to the optimizer and
``module.state_dict()`` saves it.
"""

from __future__ import annotations

import numpy

from glassbox import backend
from glassbox.tensor import Tensor


class Parameter(Tensor):
    """A learnable tensor: ``Parameter(data, requires_grad=True)``; shares memory with ``data`` like PyTorch."""

    __slots__ = ()  # Tensor uses __slots__; an empty one here keeps Parameter free of a __dict__ too

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = numpy.empty((0,), dtype=numpy.float32)
        elif isinstance(data, Tensor):
            array = data.data
        elif hasattr(data, "shape") and hasattr(data, "dtype"):
            array = data if backend.module_of(data) is not numpy else numpy.asarray(data)
        else:
            array = Tensor(data).data
        self.data = array
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        # copy.deepcopy and pickle rebuild a Parameter (not a plain Tensor) with its gradient flag
        return (_rebuild_parameter, (self.data, self.requires_grad, self.grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        copied = Parameter(self.data.copy(), self.requires_grad)
        if self.grad is not None:
            copied.grad = Tensor._wrap(self.grad.data.copy())
        memo[id(self)] = copied
        return copied


def _rebuild_parameter(data, requires_grad, grad):
    parameter = Parameter(data, requires_grad)
    parameter.grad = grad
    return parameter
