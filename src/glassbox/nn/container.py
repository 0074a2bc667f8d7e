"""Containers: modules that hold other modules.

- ``Sequential(a, b, c)`` is the composition ``c(b(a(x)))``: a feed-forward
  network written as the list of its layers, named "0", "1", "2" in the
  state_dict (or by the names of an ``OrderedDict``).
- ``ModuleList`` is a list whose modules are registered (so their parameters
  are found), for layers a ``forward`` loops over.
- ``ModuleDict`` is the same as a dictionary.

Inside ``Sequential`` some runs of layers execute as one, with the same results: a ReLU
before a max pooling runs after it, and a convolution before 2×2 max pooling runs as one
primitive with it (``glassbox.nn.fusion``).
"""

from __future__ import annotations

import operator
from collections import OrderedDict

from .fusion import fused_step
from .module import Module, _indent


def _index(index, length: int, container: str) -> int:
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a {container} of length {length}")
    return index + length if index < 0 else index


class Sequential(Module):
    """Layers applied one after the other: ``Sequential(Linear(3, 4), ReLU(), Linear(4, 1))``."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for position, module in enumerate(modules):
                self.add_module(str(position), module)

    def forward(self, input):
        modules = list(self._modules.values())
        position = 0
        while position < len(modules):
            step, count = fused_step(modules, position)
            input = step(input)
            position += count
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_index(index, len(self), "Sequential")]

    def __setitem__(self, index, module: Module) -> None:
        key = list(self._modules)[_index(index, len(self), "Sequential")]
        setattr(self, key, module)

    def __delitem__(self, index) -> None:
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [keys[_index(index, len(self), "Sequential")]]:
            delattr(self, key)
        # PyTorch renumbers the remaining layers so the names stay "0".."n-1"
        remaining = list(self._modules.items())
        self._modules.clear()
        for position, (_, module) in enumerate(remaining):
            self._modules[str(position)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        modules = list(self._modules.values())
        if not -len(modules) <= index <= len(modules):
            raise IndexError(f"Sequential.insert: index {index} is out of range for length {len(modules)}")
        modules.insert(index, module)
        self._modules.clear()
        for position, member in enumerate(modules):
            self._modules[str(position)] = member
        return self

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner: ``self.layers = ModuleList([...])``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_index(index, len(self), "ModuleList"))]

    def __setitem__(self, index, module: Module) -> None:
        setattr(self, str(_index(index, len(self), "ModuleList")), module)

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else _index(index, len(self), "ModuleList")]
        self._modules.clear()
        for position, module in enumerate(modules):
            self._modules[str(position)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other) -> ModuleList:
        return type(self)(list(self) + list(other))

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        if isinstance(modules, Module) and not isinstance(modules, ModuleList | Sequential):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for position, member in enumerate(modules):
            self.add_module(str(position), member)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: iterate over it in the owner's forward")

    def __repr__(self) -> str:
        # like PyTorch, runs of identical modules print once: "(0-2): 3 x Linear(...)"
        child_lines, start = [], 0
        modules = list(self._modules.values())
        reprs = [repr(module) for module in modules]
        while start < len(modules):
            end = start
            while end + 1 < len(modules) and reprs[end + 1] == reprs[start]:
                end += 1
            body = _indent(reprs[start], 2)
            if end == start:
                child_lines.append(f"({start}): {body}")
            else:
                child_lines.append(f"({start}-{end}): {end - start + 1} x {body}")
            start = end + 1
        if not child_lines:
            return self._get_name() + "()"
        return self._get_name() + "(\n  " + "\n  ".join(child_lines) + "\n)"


class ModuleDict(Module):
    """A dictionary of modules whose parameters belong to the owner, kept in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for pair in pairs:
            key, module = pair
            self[key] = module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: look modules up by name in the owner's forward")
