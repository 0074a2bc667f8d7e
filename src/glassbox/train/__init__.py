"""Training: ``Trainer`` (fit / evaluate / predict), callbacks, metrics, progress and checkpoints."""

from glassbox.train import metrics
from glassbox.train.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)
from glassbox.train.checkpoint import load_checkpoint, save_checkpoint
from glassbox.train.diagnostics import GradientDiagnostics, dead_relu_fraction, gradient_norms, plot_diagnostics
from glassbox.train.progress import ProgressBar
from glassbox.train.trainer import Trainer, get_loss
