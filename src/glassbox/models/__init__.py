"""The model zoo: ready-made networks built from glassbox.nn."""

from glassbox.models.digits_cnn import DigitsCNN
from glassbox.models.mlp import MLP
