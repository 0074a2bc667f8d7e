"""Saving and loading a module's parameters and buffers by name: ``state_dict`` and ``load_state_dict``.

Every parameter and persistent buffer is named by its path through the submodules
("features.3.bias", "bn.running_mean"), exactly as PyTorch names them, so weights move
between glassbox and PyTorch unchanged. Loading copies into the existing tensors (or,
with ``assign``, replaces them), casting to each member's dtype; a missing, unexpected
or wrongly shaped entry is reported with its name.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import NamedTuple

import numpy

from glassbox import backend
from glassbox.autograd import no_grad
from glassbox.tensor import Tensor

from .parameter import Parameter


class _IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


class StateDictMixin:
    """The state-dict half of ``Module``; it reads the module's ``_parameters``, ``_buffers``, ``_modules``
    and ``_non_persistent_buffers`` tables."""

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, parameter in self._parameters.items():
            if parameter is not None:
                destination[prefix + name] = parameter if keep_vars else parameter.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()

    def state_dict(self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False) -> dict:
        """Every parameter and persistent buffer by dotted name, as tensors sharing memory with the module."""
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, strict, missing_keys, unexpected_keys, error_msgs,
                              assign=False) -> None:
        """Copy this module's own entries out of ``state_dict``; subclasses override it to accept old layouts."""
        persistent = {name: tensor for name, tensor in itertools.chain(self._parameters.items(), self._buffers.items())
                      if tensor is not None and name not in self._non_persistent_buffers}
        for name, tensor in persistent.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            try:
                values = _as_array(state_dict[key])
            except (TypeError, ValueError) as error:
                error_msgs.append(f'While copying the parameter named "{key}", could not read the value: {error}.')
                continue
            if tuple(values.shape) != tuple(tensor.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {tuple(values.shape)} from "
                                  f"checkpoint, the shape in current model is {tuple(tensor.shape)}.")
                continue
            values = backend.to_device(values, tensor.device)
            if assign:
                values = values.astype(tensor.dtype, copy=True) if values.dtype.kind == "f" else values.copy()
                replacement = Parameter(values, tensor.requires_grad) if isinstance(tensor, Parameter) else \
                    Tensor._wrap(values)
                setattr(self, name, replacement)
            else:
                with no_grad():
                    tensor.data[...] = values
        if strict:
            own_members = set(persistent) | set(self._modules)
            for key in state_dict:
                if key.startswith(prefix) and key[len(prefix):].split(".", 1)[0] not in own_members:
                    unexpected_keys.append(key)

    def load_state_dict(self, state_dict: dict, strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Copy values into this module's parameters and buffers, by name.

        Values may be glassbox tensors, NumPy arrays, PyTorch tensors or anything array-like;
        they are cast to each member's dtype. With ``strict`` (the default) missing or unexpected
        keys are an error; a shape mismatch always is. Returns (missing_keys, unexpected_keys).
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        for prefix_name, module in self.named_modules(remove_duplicate=False):
            prefix = prefix_name + "." if prefix_name else ""
            module._load_from_state_dict(state_dict, prefix, True, missing_keys, unexpected_keys, error_msgs, assign)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(error_msgs))
        return _IncompatibleKeys(missing_keys, unexpected_keys)


def _as_array(value):
    """A state_dict value as an array: glassbox tensors, NumPy arrays, PyTorch tensors, lists, numbers."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor, possibly requiring grad
        value = value.detach().cpu().numpy()
    if hasattr(value, "__cuda_array_interface__"):
        return value
    array = numpy.asarray(value)
    if array.dtype == object:
        raise TypeError(f"cannot read a {type(value).__name__} as an array")
    return array
