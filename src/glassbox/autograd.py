"""Reverse-mode automatic differentiation: primitive Functions, the graph they record, and its backward pass.

Every primitive operation is a ``Function`` with a ``forward`` on arrays and a
``backward`` that turns the gradient of the output into gradients of the
inputs. When a gradient is needed, applying a Function records it as the output
tensor's ``_ctx``; the recorded Functions form a graph, and ``run_backward``
walks it in reverse topological order (iteratively: a chain of any length
works) applying the chain rule:

    dL/dx = sum over every use y of x:  dL/dy * dy/dx

Gradients of inputs that were broadcast are summed back to the input's shape in
one place (``unbroadcast``), so no Function has to think about broadcasting.
``no_grad`` / ``enable_grad`` / ``set_grad_enabled`` turn the recording off and on.
"""

from __future__ import annotations

import numpy

from glassbox import backend

_grad_enabled = [True]


def is_grad_enabled() -> bool:
    return _grad_enabled[0]


class set_grad_enabled:
    """Turn graph recording on or off, as a context manager, a decorator or a plain call."""

    def __init__(self, mode: bool):
        self.previous = _grad_enabled[0]
        self.mode = bool(mode)
        _grad_enabled[0] = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _grad_enabled[0] = self.previous
        return False


class _GradMode:
    mode = True

    def __enter__(self):
        self.previous = _grad_enabled[0]
        _grad_enabled[0] = self.mode
        return self

    def __exit__(self, *exc):
        _grad_enabled[0] = self.previous
        return False

    def __call__(self, function):
        import functools

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Nothing computed inside records a graph: for evaluation and for updating weights."""

    mode = False


class enable_grad(_GradMode):
    mode = True


class Function:
    """A primitive operation: ``forward`` on arrays, ``backward`` from output gradient to input gradients.

    Subclasses keep whatever backward needs as attributes of ``self`` (the
    context). ``self.needs_input_grad`` tells backward which gradients to compute;
    it returns one array (or None) per tensor input.
    """

    parents: tuple = ()
    needs_input_grad: tuple = ()
    released = False

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options):
        function = cls()
        requires_grad = False
        if _grad_enabled[0]:
            for t in inputs:
                if t.requires_grad:
                    requires_grad = True
                    break
        if requires_grad:
            function.needs_input_grad = tuple([t.requires_grad for t in inputs])
        if len(inputs) == 1:
            array = function.forward(inputs[0].data, **options)
        else:
            array = function.forward(*[t.data for t in inputs], **options)
        out = _tensor.Tensor._wrap(array, requires_grad)
        if requires_grad:
            function.parents = inputs
            out._ctx = function
        return out

    def release(self):
        """Free what forward saved, once backward has used it."""
        self.__dict__.clear()
        self.released = True

    @property
    def name(self) -> str:
        return type(self).__name__


def unbroadcast(grad, shape: tuple):
    """Sum a gradient back to ``shape``, undoing NumPy broadcasting (new leading dims, stretched 1s)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root) -> list:
    """Every tensor that leads to ``root`` and needs a gradient, each after all of its inputs."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None:
            if ctx.released:
                raise RuntimeError(
                    "backward through a graph a second time: its saved values were freed after the "
                    "first backward; pass retain_graph=True to the first backward if you need this"
                )
            for parent in ctx.parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def run_backward(root, seed, retain_graph: bool) -> None:
    """Add d(root)/d(leaf) · seed into every leaf's ``grad``; free the graph unless ``retain_graph``."""
    order = _topological_order(root)
    grads = {id(root): seed}
    handed_out = {id(seed)}  # arrays that already belong to someone: copy before storing again
    for node in reversed(order):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        ctx = node._ctx
        if ctx is None or node._retains_grad:
            if id(grad) in handed_out or not backend.owns_memory_safely(grad):
                grad = grad.copy()
            handed_out.add(id(grad))
            if node.grad is None:
                node.grad = _tensor.Tensor._wrap(grad)
            else:
                node.grad.data = node.grad.data + grad
            if ctx is None:
                continue
        input_grads = ctx.backward(grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, parent_grad in zip(ctx.parents, input_grads, strict=False):
            if parent_grad is None or not parent.requires_grad:
                continue
            if isinstance(parent_grad, numpy.generic):
                parent_grad = numpy.asarray(parent_grad)
            if parent_grad.shape != parent.data.shape:
                parent_grad = unbroadcast(parent_grad, parent.data.shape)
            if parent_grad.dtype != parent.data.dtype:
                parent_grad = parent_grad.astype(parent.data.dtype)
            existing = grads.get(id(parent))
            grads[id(parent)] = parent_grad if existing is None else existing + parent_grad
        if not retain_graph:
            ctx.release()


# Functions make Tensors and Tensors run the backward pass: the two modules refer to each other, and
# this one is complete before glassbox.tensor needs it, whichever of the two is imported first.
from glassbox import tensor as _tensor  # noqa: E402
