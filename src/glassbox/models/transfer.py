"""Transfer learning: reuse what a network learned on one problem for a related one.

The notes: "storing knowledge gained while solving one problem and applying it to a
different but related problem" (recognising cars helps recognising trucks); learning
millions of weights from scratch takes long, so the convolutional filters learned on
the first problem are kept and only a new output layer is learned:

1. ``replace_head(model, num_classes)``: a fresh last layer for the new classes;
2. ``freeze(model.features)``: the reused weights get no gradient (requires_grad = False),
   so the optimizer leaves them as they are and backward skips their gradients;
3. optionally ``unfreeze`` them later and fine-tune everything with a smaller learning
   rate for the reused part: ``parameter_groups(model, {"features.*": 1e-4}, default_lr=1e-3)``.

Parameters are picked by module or by name: names are the ``named_parameters`` paths
("features.0.weight"), matched as shell patterns (``fnmatch``: "features.*",
"classifier.?.bias") or, with ``regex=True``, as regular expressions (``re.fullmatch``).
"""

from __future__ import annotations

import fnmatch
import re

from glassbox import nn

# where the zoo's models (and torchvision's) keep their output layer, in the order they are tried
HEAD_ATTRIBUTES = ("classifier", "fc", "head", "heads", "output", "layers")


def _matcher(patterns, regex: bool):
    if isinstance(patterns, str):
        patterns = (patterns,)
    patterns = tuple(patterns)
    if regex:
        compiled = [re.compile(pattern) for pattern in patterns]
        return lambda name: any(pattern.fullmatch(name) for pattern in compiled)
    return lambda name: any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _set_requires_grad(module: nn.Module, patterns, regex: bool, requires_grad: bool, caller: str) -> list[str]:
    if not isinstance(module, nn.Module):
        raise TypeError(f"{caller}: expected a glassbox Module, got {type(module).__name__}")
    named = list(module.named_parameters())
    if patterns:
        matches = _matcher(patterns, regex)
        named = [(name, parameter) for name, parameter in named if matches(name)]
        if not named:
            raise ValueError(f"{caller}: no parameter name matches {patterns!r}; names look like "
                             f"{[name for name, _ in list(module.named_parameters())[:4]]}")
    for _, parameter in named:
        parameter.requires_grad_(requires_grad)
        if not requires_grad:
            parameter.grad = None  # a stale gradient would still move it under momentum or weight decay
    return [name for name, _ in named]


def freeze(module: nn.Module, *patterns: str, regex: bool = False) -> list[str]:
    """Stop learning ``module``'s parameters (all of them, or those whose names match ``patterns``).

    ``freeze(model.features)``, ``freeze(model, "features.*")``, ``freeze(model, r"features\\.[0-3]\\..*",
    regex=True)``. Returns the names frozen. Batch norm layers still update their running statistics in
    training mode; put them in ``eval()`` too to keep those fixed.
    """
    return _set_requires_grad(module, patterns, regex, False, "freeze")


def unfreeze(module: nn.Module, *patterns: str, regex: bool = False) -> list[str]:
    """Learn ``module``'s parameters again (all of them, or those matching ``patterns``); returns their names."""
    return _set_requires_grad(module, patterns, regex, True, "unfreeze")


def trainable_parameters(module: nn.Module) -> list:
    """The parameters that still learn: what to give an optimizer after ``freeze``."""
    return [parameter for parameter in module.parameters() if parameter.requires_grad]


def _last_linear(container: nn.Module):
    """(parent, key, Linear) of the last Linear layer inside ``container``, or None."""
    found = None
    for name, module in container.named_modules():
        if isinstance(module, nn.Linear) and name:
            parent_name, _, key = name.rpartition(".")
            found = (container.get_submodule(parent_name), key, module)
    return found


def replace_head(model: nn.Module, num_classes: int, attribute: str | None = None) -> nn.Linear:
    """Give ``model`` a new, freshly initialised output layer with ``num_classes`` outputs; returns it.

    The head is found in ``attribute`` or the first of ``HEAD_ATTRIBUTES`` the model has: a Linear
    layer there is replaced, and in a container (``classifier = Sequential(..., Linear)``) its last
    Linear layer is. The new layer has the old one's input size, dtype and device, and learns.
    """
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"replace_head: num_classes must be a positive int, got {num_classes!r}")
    candidates = (attribute,) if attribute is not None else HEAD_ATTRIBUTES
    for name in candidates:
        head = getattr(model, name, None) if name in model._modules else None
        if isinstance(head, nn.Linear):
            parent, key, old = model, name, head
        elif isinstance(head, nn.Module) and _last_linear(head) is not None:
            parent, key, old = _last_linear(head)
        else:
            continue
        new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
        new.to(old.weight.dtype).to(old.weight.device)
        setattr(parent, key, new)
        if hasattr(model, "num_classes"):
            model.num_classes = num_classes
        return new
    where = f"attribute {attribute!r}" if attribute is not None else f"any of {HEAD_ATTRIBUTES}"
    raise ValueError(f"replace_head: {type(model).__name__} has no Linear output layer in {where}; "
                     f"pass attribute= the name of the module that holds it")


def parameter_groups(model: nn.Module, learning_rates: dict, default_lr: float, regex: bool = False,
                     include_frozen: bool = False) -> list[dict]:
    """Optimizer parameter groups with a learning rate per name pattern.

    ``parameter_groups(model, {"features.*": 1e-4}, default_lr=1e-3)`` puts every parameter whose name
    matches "features.*" in a group with lr 1e-4 and the rest in one with lr 1e-3; a parameter goes to
    the first pattern it matches, in the dict's order. Frozen parameters are left out unless
    ``include_frozen``. Each group holds (name, parameter) pairs, so the optimizer records the names
    (``"param_names"``) as PyTorch's does. Pass the result to any optimizer: ``optim.Adam(parameter_groups(...))``.
    """
    patterns = list(learning_rates)
    groups = [{"params": [], "lr": learning_rates[pattern]} for pattern in patterns]
    default = {"params": [], "lr": default_lr}
    matchers = [_matcher(pattern, regex) for pattern in patterns]
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad and not include_frozen:
            continue
        group = next((group for group, matches in zip(groups, matchers, strict=True) if matches(name)), default)
        group["params"].append((name, parameter))  # named, so the optimizer keeps "param_names" as PyTorch does
    for pattern, group in zip(patterns, groups, strict=True):
        if not group["params"]:
            raise ValueError(f"parameter_groups: no trainable parameter name matches {pattern!r}")
    return [group for group in groups + [default] if group["params"]]
