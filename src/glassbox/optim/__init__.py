"""Optimizers and learning-rate schedules, with ``torch.optim``'s names, arguments and defaults.

    optimizer = glassbox.optim.Adam(model.parameters(), lr=1e-3)
    loss.backward(); optimizer.step(); optimizer.zero_grad()

Each optimizer's docstring carries its update formula; where the course notes write a formula
differently (momentum as an exponential moving average, ε inside the square root) the notes' form is an
option of the same class.
"""

from glassbox.optim import lr_scheduler
from glassbox.optim.adadelta import Adadelta
from glassbox.optim.adagrad import Adagrad
from glassbox.optim.adam import Adam
from glassbox.optim.adamw import AdamW
from glassbox.optim.optimizer import Optimizer
from glassbox.optim.rmsprop import RMSprop
from glassbox.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "lr_scheduler"]
