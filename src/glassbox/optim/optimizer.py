"""The optimizer base class: parameter groups, per-parameter state, and saving and loading both.

An optimizer turns gradients into parameter updates. What every optimizer shares lives here:

* ``param_groups``: a list of dicts, each holding some parameters (``"params"``) and the options that
  apply to them (``"lr"``, ``"momentum"`` …). An option a group does not give comes from the
  constructor's defaults, so one optimizer can train a backbone with a small learning rate and a new
  head with a larger one::

      SGD([{"params": backbone}, {"params": head, "lr": 1e-2}], lr=1e-3, momentum=0.9)

* ``state``: per parameter, created lazily on its first update (``state[p]["exp_avg"]`` …); values are
  glassbox Tensors (running averages) or numbers (the step count).
* ``state_dict()`` / ``load_state_dict()``: PyTorch's layout, parameters referred to by their index in
  the order of the groups, so an optimizer can be saved mid-training and resumed exactly.

A subclass writes ``step``: for each group, for each ``(parameter, gradient)`` from ``_gradients(group)``
(which skips parameters without a gradient and already applies ``maximize`` and L2 weight decay), it
updates ``parameter.data`` in place with the optimizer's formula. Updates work on the raw arrays, so
they record no graph and cost no more than the arithmetic itself.
"""

from __future__ import annotations

import copy
import functools
import numbers
from collections import defaultdict

import numpy

from glassbox import backend
from glassbox.autograd import enable_grad
from glassbox.tensor import Tensor


class Optimizer:
    """Base class of all optimizers: holds ``param_groups``, ``state`` and ``defaults``."""

    def __init_subclass__(cls, **kwargs):
        """Make every subclass's ``step`` note that it ran, so that a learning-rate scheduler stepped before
        the optimizer can warn that the first value of its schedule is being skipped (as PyTorch does)."""
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is None or getattr(step, "_notes_call", False):
            return

        @functools.wraps(step)
        def noted_step(self, *args, **kwargs):
            self._opt_called = True
            return step(self, *args, **kwargs)

        noted_step._notes_call = True
        cls.step = noted_step

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)  # parameter Tensor -> {"exp_avg": Tensor, "step": int, …}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, but got a single "
                f"Tensor of shape {params.shape}: pass [tensor] or model.parameters()"
            )
        if isinstance(params, set | dict):
            raise TypeError(
                f"{type(self).__name__}: params must be an ordered collection (a list), not a {type(params).__name__}: "
                "the order of a set changes between runs, so saved optimizer state would not match"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ---- parameter groups -------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (e.g. to unfreeze layers while fine-tuning)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{type(self).__name__}.add_param_group: expected a dict, got {type(param_group).__name__}")
        group = param_group  # the caller's dict becomes the group, as in PyTorch (later edits to it count)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{type(self).__name__}: parameters must be in an ordered collection (a list), not a set: "
                "the order of a set changes between runs, so saved optimizer state would not match"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:  # model.named_parameters(): keep the names, as PyTorch does
            if len(names) != len(params):
                raise ValueError(f"{type(self).__name__}: either all parameters have names or none does")
            group["param_names"] = names
            params = [p[1] for p in params]
        group["params"] = params

        for index, parameter in enumerate(params):
            _check_parameter(type(self).__name__, index, parameter)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: a parameter group contains the same parameter twice")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        if self.param_groups and (("param_names" in group) != ("param_names" in self.param_groups[0])):
            raise ValueError(f"{type(self).__name__}: all parameter groups must be with names or all without")

        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group: dict) -> None:
        """Reject option values that make no sense (a subclass adds its own checks)."""
        name = type(self).__name__
        lr = group.get("lr", 0.0)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(f"{name}: the learning rate must be a number, got {type(lr).__name__} (use float(lr))")
        if lr < 0.0:
            raise ValueError(f"{name}: invalid learning rate {lr}: expected lr >= 0")
        if group.get("weight_decay", 0.0) < 0.0:
            raise ValueError(f"{name}: invalid weight_decay {group['weight_decay']}: expected >= 0")
        if group.get("eps", 0.0) < 0.0:
            raise ValueError(f"{name}: invalid epsilon {group['eps']}: expected eps >= 0")

    # ---- gradients --------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last backward (``None``, or zeros in place with ``set_to_none=False``)."""
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                if set_to_none:
                    parameter.grad = None
                else:
                    parameter.grad.data[...] = 0

    def _gradients(self, group: dict):
        """Yield ``(parameter, gradient array)`` for every parameter of ``group`` that has a gradient.

        The gradient is already negated for ``maximize`` and has the L2 term ``weight_decay · θ`` added
        (except for decoupled weight decay, which the optimizer applies to the parameter itself). The
        parameter's own ``.grad`` is never changed.
        """
        maximize = group.get("maximize", False)
        weight_decay = 0.0 if group.get("decoupled_weight_decay", False) else group.get("weight_decay", 0.0)
        for parameter in group["params"]:
            if parameter.grad is None:
                continue
            gradient = parameter.grad.data
            if maximize:
                gradient = -gradient
            if weight_decay != 0:
                gradient = gradient + weight_decay * parameter.data
            yield parameter, gradient

    def step(self, closure=None):
        """Update every parameter once from its ``.grad``; ``closure`` (optional) recomputes and returns the loss."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    @staticmethod
    def _evaluate(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- saving and loading -----------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, as in PyTorch.

        Parameters are numbered in the order of the groups. Like PyTorch, the state tensors are the
        optimizer's own (no copy): save them (``gb.save``) or ``copy.deepcopy`` the dict before training on.
        """
        index_of: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for parameter in group["params"]:
                index_of.setdefault(id(parameter), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            param_groups.append(packed)
        state = {
            (index_of[id(key)] if isinstance(key, Tensor) else key): dict(value) for key, value in self.state.items()
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict()`` returned (from glassbox, or PyTorch's converted to arrays or Tensors).

        Options (lr …) come from the saved groups; state tensors are copied, cast to their parameter's dtype
        and device, and checked against its shape, so the loaded optimizer never shares buffers with the dict.
        """
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter group(s), "
                f"this optimizer has {len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: saved parameter group {i} has {len(saved['params'])} parameters, "
                    f"this optimizer's group {i} has {len(group['params'])}"
                )
        parameter_of = {
            index: parameter
            for saved, group in zip(saved_groups, self.param_groups, strict=True)
            for index, parameter in zip(saved["params"], group["params"], strict=True)
        }
        state: defaultdict = defaultdict(dict)
        for index, values in state_dict["state"].items():
            parameter = parameter_of.get(_as_index(index))
            if parameter is None:  # state of no current parameter: kept as is, like PyTorch
                state[index] = values
                continue
            state[parameter] = {
                key: _load_state_value(name, index, key, value, parameter) for key, value in values.items()
            }

        param_groups = []
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            new_group = copy.deepcopy({key: value for key, value in saved.items() if key != "params"})
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            for key, default in self.defaults.items():  # options the saved groups don't know (e.g. from PyTorch)
                new_group.setdefault(key, default)
            param_groups.append(new_group)
        self.state = state
        self.param_groups = param_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def _check_parameter(optimizer: str, index: int, parameter) -> None:
    if not isinstance(parameter, Tensor):
        raise TypeError(f"{optimizer} can only optimize Tensors, but parameter {index} is a {type(parameter).__name__}")
    if not parameter.is_leaf:
        raise ValueError(
            f"{optimizer} can't optimize a non-leaf Tensor (parameter {index}, made by {parameter.grad_fn.name}): "
            "optimize the leaf it was computed from, or .detach() it and set requires_grad"
        )
    if not parameter.is_floating_point():
        raise ValueError(
            f"{optimizer}: parameter {index} has dtype {parameter.dtype}; only floating-point tensors can be optimized"
        )


def _as_index(key):
    return int(key) if isinstance(key, str) and key.isdigit() else key  # keys may come back as strings from a file


def zeros_state(parameter: Tensor, fill_value: float = 0.0) -> Tensor:
    """A state buffer shaped, typed and placed like ``parameter`` (a running average starts here)."""
    xp = backend.module_of(parameter.data)
    return Tensor._wrap(xp.full_like(parameter.data, fill_value))


def _load_state_value(optimizer: str, index, key, value, parameter: Tensor):
    """A copy of one saved state value, made to fit ``parameter``; the step count becomes a number."""
    if isinstance(value, dict):
        return {k: _load_state_value(optimizer, index, k, v, parameter) for k, v in value.items()}
    array = _as_array(value)
    if array is None:
        return copy.deepcopy(value)
    if key == "step":
        number = backend.to_numpy(array).reshape(()).item()
        return int(number) if float(number).is_integer() else number
    if tuple(array.shape) != parameter.shape:
        raise ValueError(
            f"{optimizer}.load_state_dict: state {key!r} of parameter {index} has shape {tuple(array.shape)}, "
            f"the parameter has shape {parameter.shape}"
        )
    return Tensor._wrap(backend.to_device(array, parameter.device).astype(parameter.dtype, copy=True))


def _as_array(value):
    """The array inside a Tensor, NumPy or CuPy array, or anything NumPy can read (a PyTorch tensor); else None."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, numpy.ndarray | numpy.generic) or hasattr(value, "__cuda_array_interface__"):
        return value
    if hasattr(value, "__array__"):
        return numpy.asarray(value)
    return None
