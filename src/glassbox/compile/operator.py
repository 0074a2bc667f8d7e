"""The compiled operator: one fitted scikit-learn estimator as array computations.

A converter reads the fitted attributes of an estimator (``coef_``, ``tree_``,
``mean_`` …) once and builds an ``Operator`` that holds them as arrays. The
operator's methods (``predict``, ``predict_proba``, ``transform`` …) compute on
whatever array module their input lives in (NumPy on the CPU, CuPy on a GPU),
so the same compiled model runs on both.

An operator is plain data: ``fields`` names the constructor arguments, which are
arrays, numbers, strings, lists, or other operators. That makes saving generic
(``state``/``from_state``) and loading safe: a file names operator classes from
this package and gives them arrays and JSON values; nothing in it is executed.
"""

from __future__ import annotations

import numpy

from glassbox import backend

OPERATOR_CLASSES: dict[str, type] = {}

METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform", "score_samples")


class Operator:
    """Base of every compiled operator; subclasses list their constructor arguments in ``fields``."""

    fields: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OPERATOR_CLASSES[cls.__name__] = cls

    def state(self) -> dict:
        """The constructor arguments as arrays and JSON values (sub-operators as nested states)."""
        return {name: encode(getattr(self, name)) for name in self.fields}

    @classmethod
    def from_state(cls, state: dict) -> Operator:
        missing = [name for name in cls.fields if name not in state]
        if missing:
            raise ValueError(f"glassbox.compile: saved {cls.__name__} lacks the fields {missing}")
        return cls(**{name: decode(state[name]) for name in cls.fields})

    def to(self, device: str) -> Operator:
        """A copy whose arrays live on ``device`` (``"cpu"`` or ``"cuda"``)."""
        return type(self)(**{name: move(getattr(self, name), device) for name in self.fields})

    def working_bytes_per_row(self) -> int:
        """Temporary memory one input row needs, used to size the row chunks; 1 KiB unless overridden."""
        return 1024

    def __repr__(self) -> str:
        return f"{type(self).__name__}(methods={list(self.methods)})"


def encode(value):
    if isinstance(value, Operator):
        return {"operator": type(value).__name__, "state": value.state()}
    if isinstance(value, list | tuple):
        return {"__list__": [encode(item) for item in value]}
    if hasattr(value, "dtype") and hasattr(value, "shape") and not isinstance(value, numpy.generic):
        array = backend.to_numpy(value)
        if array.dtype.kind in "biuf":
            return array
        # Class labels and categories that are strings or objects are kept as a JSON list with their dtype.
        return {"__values__": array.tolist(), "dtype": array.dtype.str if array.dtype.kind == "U" else "object"}
    if isinstance(value, numpy.generic):
        return value.item()
    return value


def decode(value):
    if isinstance(value, dict):
        if "operator" in value and "state" in value:
            name = value["operator"]
            if name not in OPERATOR_CLASSES:
                raise ValueError(f"glassbox.compile: the file names an unknown operator {name!r}")
            return OPERATOR_CLASSES[name].from_state(value["state"])
        if "__list__" in value:
            return [decode(item) for item in value["__list__"]]
        if "__values__" in value:
            dtype = object if value["dtype"] == "object" else numpy.dtype(value["dtype"])
            array = numpy.empty(len(value["__values__"]), dtype=dtype)
            array[:] = value["__values__"]
            return array
        return {key: decode(item) for key, item in value.items()}
    if hasattr(value, "numpy") and hasattr(value, "requires_grad"):  # a glassbox Tensor read back from a file
        return numpy.ascontiguousarray(value.numpy())
    return value


def move(value, device: str):
    if isinstance(value, Operator):
        return value.to(device)
    if isinstance(value, list):
        return [move(item, device) for item in value]
    if hasattr(value, "dtype") and hasattr(value, "shape") and not isinstance(value, numpy.generic):
        if numpy.dtype(value.dtype).kind in "biuf":
            return backend.to_device(value, device)
    return value


def take_labels(classes, indices):
    """``classes[indices]`` with the labels on the CPU when they are strings (CuPy holds numbers only)."""
    if isinstance(classes, numpy.ndarray) and classes.dtype.kind not in "biuf":
        return classes[backend.to_numpy(indices)]
    xp = backend.module_of(indices)
    return xp.asarray(classes)[indices]
