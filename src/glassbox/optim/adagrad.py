"""Adagrad: a learning rate per weight that shrinks as that weight's gradients accumulate.

From the notes: weights of rare (sparse) features get few, small gradients and deserve larger steps than
weights of frequent (dense) features. Adagrad divides the learning rate by the root of the sum of all
squared gradients a weight has seen so far:

    α_t = Σ_{i≤t} (dL/dw_i)²
    η'_t = η / sqrt(α_t + ε)
    w_t = w_{t-1} - η'_t · dL/dw_{t-1}

Its weakness is the same sum: it only grows, so the steps shrink towards zero and training slows down;
RMSprop and Adadelta replace the sum by a decaying average.
"""

from __future__ import annotations

from glassbox import backend

from .optimizer import Optimizer, zeros_state


class Adagrad(Optimizer):
    """Adagrad, exactly as ``torch.optim.Adagrad``.

    With g_t the gradient (negated when ``maximize``, plus ``weight_decay · θ`` when set):

        η_t = η / (1 + (t - 1) · lr_decay)
        α_t = α_{t-1} + g_t²                           (α_0 = initial_accumulator_value)
        θ_t = θ_{t-1} - η_t · g_t / (sqrt(α_t) + ε)       (default, PyTorch's)
        θ_t = θ_{t-1} - η_t · g_t / sqrt(α_t + ε)         (eps_inside_sqrt=True, the notes' form)

    Args:
        params: parameters (or named parameters) to optimize, or dicts defining parameter groups.
        lr: learning rate η (default 1e-2).
        lr_decay: decay of the learning rate with the step count (default 0).
        weight_decay: L2 penalty λ, adds λ · θ to the gradient (default 0).
        initial_accumulator_value: starting value of the sum of squared gradients (default 0).
        eps: ε, keeps the division finite (default 1e-10).
        maximize: ascend the objective instead of descending.
        eps_inside_sqrt: put ε under the square root, as the notes write it.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        eps_inside_sqrt: bool = False,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
            "eps_inside_sqrt": eps_inside_sqrt,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates Adagrad's state up front, not on the first step
            for parameter in group["params"]:
                self._initial_state(parameter, group)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        if group["lr_decay"] < 0.0:
            raise ValueError(f"Adagrad: invalid lr_decay {group['lr_decay']}: expected >= 0")
        if group["initial_accumulator_value"] < 0.0:
            raise ValueError(
                f"Adagrad: invalid initial_accumulator_value {group['initial_accumulator_value']}: expected >= 0"
            )

    def _initial_state(self, parameter, group) -> dict:
        state = self.state[parameter]
        state["step"] = 0
        state["sum"] = zeros_state(parameter, group["initial_accumulator_value"])
        return state

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()`` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps, eps_inside_sqrt = group["lr"], group["lr_decay"], group["eps"], group["eps_inside_sqrt"]
            for parameter, gradient in self._gradients(group):
                state = self.state[parameter] or self._initial_state(parameter, group)
                xp = backend.module_of(gradient)
                state["step"] += 1
                decayed_lr = lr / (1 + (state["step"] - 1) * lr_decay)  # η_t
                accumulated = state["sum"].data
                accumulated += gradient * gradient  # α_t = α_{t-1} + g²
                if eps_inside_sqrt:
                    denominator = xp.sqrt(accumulated + eps)  # sqrt(α_t + ε)
                else:
                    denominator = xp.sqrt(accumulated)
                    denominator += eps  # sqrt(α_t) + ε
                parameter.data -= decayed_lr * (gradient / denominator)  # θ = θ - η_t · g / denominator
        return loss
