"""glassbox.compile: trained scikit-learn models as tensor programs (the notes' Hummingbird).

    import glassbox.compile as gbc
    compiled = gbc.convert(model)            # RandomForest, Pipeline, LogisticRegression, …
    compiled.predict(X)                       # batched array operations on NumPy (or CuPy)
    gbc.check(model, compiled, X)             # largest difference, share of changed labels
    compiled.save("model.safetensors"); gbc.load("model.safetensors")

"Hummingbird is a library for compiling trained traditional ML models into tensor
computations": a forest becomes a few gathers and comparisons over all trees and
all rows at once instead of a walk per row and per tree. ``README.md`` beside this
file lists the supported estimators (rendered from the registry by ``operator_table``).
"""

from glassbox.compile.check import CheckReport, check
from glassbox.compile.convert import CompiledModel, convert
from glassbox.compile.registry import UnsupportedModelError, operator_table, supported_names
from glassbox.compile.serialization import load

__all__ = ["CheckReport", "CompiledModel", "UnsupportedModelError", "check", "convert", "load", "operator_table",
           "supported_names"]
