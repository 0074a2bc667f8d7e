"""The model zoo: ready-made networks built from glassbox.nn."""

from glassbox.models.mlp import MLP
