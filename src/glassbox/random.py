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
    """The generator for ``device``: a NumPy ``Generator`` on CPU, one that draws on the GPU for ``"cuda"``."""
    if device == "cpu":
        return _state["cpu"]
    if _state["cuda"] is None:
        _state["cuda"] = GpuGenerator(_state["seed"])
    return _state["cuda"]


class GpuGenerator:
    """The methods of NumPy's ``Generator`` that glassbox draws with, computed by cuRAND on the GPU.

    CuPy's own ``Generator`` lacks some of them (``normal``, ``permutation``), so this wraps the
    older ``cupy.random.RandomState``, which has them all. Draws land on the GPU; they are not the
    numbers the CPU generator gives for the same seed.
    """

    def __init__(self, seed: int):
        self._state = backend.cupy_module().random.RandomState(seed)

    def random(self, size=None, dtype=numpy.float64):
        """Uniform on [0, 1)."""
        return self._state.random_sample(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=numpy.float64):
        return self._state.standard_normal(size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * self.random(size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return loc + scale * self.standard_normal(size)

    def integers(self, low, high=None, size=None, dtype=numpy.int64):
        """Uniform on [low, high) (on [0, low) without ``high``)."""
        if high is None:
            low, high = 0, low
        return self._state.randint(low, high, size, dtype=dtype)

    def permutation(self, n):
        return self._state.permutation(n)


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
