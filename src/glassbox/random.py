"""One seeded source of randomness for everything in glassbox.

``gb.manual_seed(n)`` resets it, so every random draw (initialisation, dropout
masks, shuffling, augmentation) repeats exactly from the same seed.
"""

from __future__ import annotations

import numpy

from glassbox import backend

_DEFAULT_SEED = 0x9E3779B9
_state = {"seed": _DEFAULT_SEED, "cpu": numpy.random.default_rng(_DEFAULT_SEED), "cuda": None}


def manual_seed(seed: int) -> None:
    """Reseed every generator glassbox draws from (CPU, and GPU when in use)."""
    seed = int(seed)
    _state["seed"] = seed
    _state["cpu"] = numpy.random.default_rng(seed)
    _state["cuda"] = None


def initial_seed() -> int:
    return _state["seed"]


def generator(device: str = "cpu"):
    """The generator for ``device``: a NumPy ``Generator`` on CPU, a CuPy one on the GPU."""
    if device == "cpu":
        return _state["cpu"]
    if _state["cuda"] is None:
        _state["cuda"] = backend.cupy_module().random.default_rng(_state["seed"])
    return _state["cuda"]


def get_rng_state() -> dict:
    """The CPU generator's state as a JSON-serialisable dict (for checkpoints)."""
    return {"seed": _state["seed"], "bit_generator": _state["cpu"].bit_generator.state}


def set_rng_state(state: dict) -> None:
    """Restore what ``get_rng_state`` returned."""
    _state["seed"] = int(state["seed"])
    rng = numpy.random.default_rng()
    rng.bit_generator.state = state["bit_generator"]
    _state["cpu"] = rng
    _state["cuda"] = None
