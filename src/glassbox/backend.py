"""The array module behind a device.

glassbox computes on whatever module implements the NumPy array API for a
device: NumPy for ``"cpu"``, CuPy for ``"cuda"``. Ops never import NumPy to
compute; they ask this module for the array module of their inputs, so the same
code runs on both.
"""

from __future__ import annotations

import numpy

_cupy = None


class DeviceError(RuntimeError):
    """A device was asked for that this machine cannot provide."""


def normalize_device(device) -> str:
    """Turn ``"cpu"``, ``"cuda"``, ``"cuda:0"`` or a Device-like object into ``"cpu"`` or ``"cuda"``."""
    if device is None:
        return "cpu"
    name = str(device).lower()
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:") or name == "gpu":
        return "cuda"
    raise DeviceError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def cupy_module():
    """Import CuPy on first use and check that a GPU is there."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as error:
            raise DeviceError(
                "device 'cuda' needs CuPy, which is not installed: pip install 'glassbox[cuda]'"
            ) from error
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:  # CUDA driver missing or broken
            raise DeviceError(f"device 'cuda' asked for, but CUDA is not usable here: {error}") from error
        if count == 0:
            raise DeviceError("device 'cuda' asked for, but no GPU was found")
        _cupy = cupy
    return _cupy


def array_module(device: str):
    """The module (numpy or cupy) that computes on ``device``."""
    if device == "cpu":
        return numpy
    if device == "cuda":
        return cupy_module()
    return array_module(normalize_device(device))


def device_of(array) -> str:
    """The device an array lives on."""
    if isinstance(array, numpy.ndarray | numpy.generic):
        return "cpu"
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return "cuda"
    return "cpu"


def module_of(array):
    """The array module of an array (numpy for NumPy arrays, cupy for CuPy arrays)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return numpy


def to_device(array, device: str):
    """Copy an array (or anything array-like) to ``device`` (no copy when it is already there)."""
    device = normalize_device(device)
    if device_of(array) == device:
        return array
    if device == "cuda":
        return cupy_module().asarray(array)
    return array.get()


def add_at(target, index, values) -> None:
    """``target[index] += values`` where repeated indices add up: ``add.at`` (CuPy has it from version 13 on;
    before that, ``cupyx.scatter_add`` does the same)."""
    add = module_of(target).add
    if hasattr(add, "at"):
        add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)


def open_grid(shape: tuple, xp) -> list:
    """One index array per axis, each shaped to broadcast against the others (NumPy's
    ``indices(shape, sparse=True)``, which CuPy lacks): together they address every element of ``shape``."""
    return [xp.arange(n).reshape((1,) * axis + (n,) + (1,) * (len(shape) - axis - 1))
            for axis, n in enumerate(shape)]


def owns_memory_safely(array) -> bool:
    """True when ``array`` may be written in place without changing values seen elsewhere: NumPy marks
    broadcast views read-only; CuPy has no such flag, so a view with a zero stride over a dimension
    longer than one (several elements sharing one memory cell) counts as unsafe."""
    if isinstance(array, numpy.ndarray):
        return array.flags.writeable
    return all(step != 0 or n <= 1 for n, step in zip(array.shape, array.strides, strict=True))


def to_numpy(array) -> numpy.ndarray:
    """A NumPy array with the values of ``array`` (copied from the GPU when needed)."""
    if isinstance(array, numpy.ndarray):
        return array
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return array.get()
    return numpy.asarray(array)


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        cupy_module()
    except DeviceError:
        return False
    return True
