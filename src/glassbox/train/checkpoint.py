"""Checkpoints: everything needed to continue a run exactly where it stopped.

One safetensors file holds the model's and the optimizer's tensors; the rest
(epoch, optimizer hyper-parameters, scheduler state, random-generator states,
history) travels as JSON in the same file's metadata. The file is written
atomically (temporary file, fsync, rename), so a run killed while saving leaves
the previous checkpoint intact, and loading never unpickles anything.
"""

from __future__ import annotations

import os

from glassbox import random as gb_random
from glassbox.serialization import load, save

FORMAT = "glassbox.checkpoint/1"


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch: int = 0, extra: dict | None = None) -> None:
    """Write model, optimizer, scheduler, epoch (the last finished one) and random state to ``path``."""
    state = {
        "format": FORMAT,
        "epoch": int(epoch),
        "model": model.state_dict(),
        "rng": gb_random.get_rng_state(),
    }
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if extra:
        state["extra"] = extra
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    save(state, path)


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, restore_rng: bool = True) -> dict:
    """Read a checkpoint, load it into the objects given, and return the whole state (epoch, extra …)."""
    state = load(path)
    if state.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not a glassbox checkpoint (no {FORMAT!r} marker); "
                         f"to load bare weights use model.load_state_dict(gb.load(path))")
    if model is not None:
        model.load_state_dict(state["model"])
    if optimizer is not None:
        if "optimizer" not in state:
            raise KeyError(f"{os.fspath(path)!r} holds no optimizer state")
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    if restore_rng:
        gb_random.set_rng_state(state["rng"])
    return state
