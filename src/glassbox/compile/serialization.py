"""Saving and loading compiled models: safetensors for the arrays, JSON for the structure. No pickle.

    compiled.save("forest.safetensors")
    compiled = glassbox.compile.load("forest.safetensors")

The file is what ``glassbox.serialization.save`` writes: every array of every
operator is a named tensor, and the operator tree (class names from this
package, numbers, strings, class labels) is JSON in the metadata. Loading
builds only operator classes defined in ``glassbox.compile`` from that data,
so a file can never run code: unlike a pickled model, it is safe to load from
anyone, and readable without scikit-learn.
"""

from __future__ import annotations

from glassbox import serialization
from glassbox.compile.operator import decode, encode

FORMAT = "glassbox.compile"
VERSION = 1


def save(compiled, path) -> None:
    serialization.save(
        {
            "format": FORMAT,
            "version": VERSION,
            "inputs": compiled.inputs,
            "batch_size": compiled.batch_size,
            "memory_budget": compiled.memory_budget,
            "n_threads": compiled.n_threads,
            "model": encode(compiled.operator),
        },
        path,
    )


def load(path, device: str = "cpu"):
    """A ``CompiledModel`` from a file written by ``CompiledModel.save``."""
    from glassbox.compile.convert import CompiledModel
    from glassbox.compile.registry import load_converters

    load_converters()  # every operator class is defined once its module is imported
    saved = serialization.load(path)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise serialization.FormatError(f"cannot load {str(path)!r}: not a compiled model saved by glassbox.compile")
    if saved.get("version") != VERSION:
        raise serialization.FormatError(
            f"cannot load {str(path)!r}: compiled-model format version {saved.get('version')}, this glassbox reads "
            f"version {VERSION}"
        )
    operator = decode(saved["model"])
    compiled = CompiledModel(operator, saved["inputs"], saved["batch_size"], saved["memory_budget"],
                             saved["n_threads"])
    return compiled.to(device) if device != "cpu" else compiled
