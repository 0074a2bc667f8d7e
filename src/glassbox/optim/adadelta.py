"""Adadelta: RMSprop whose learning rate comes from the size of its own recent steps.

Like RMSprop it divides by a decaying root mean square of the gradients (the notes treat the two
together), and it multiplies by the root mean square of the recent updates, so the step has the units of
the weights and needs no hand-tuned learning rate (Zeiler, 2012).
"""

from __future__ import annotations

from glassbox import backend

from .optimizer import Optimizer, zeros_state


class Adadelta(Optimizer):
    """Adadelta, exactly as ``torch.optim.Adadelta``.

    With g_t the gradient (negated when ``maximize``, plus ``weight_decay · θ`` when set):

        v_t = ρ · v_{t-1} + (1 - ρ) · g_t²                        running mean of squared gradients
        Δ_t = sqrt(u_{t-1} + ε) / sqrt(v_t + ε) · g_t             step, in the units of θ
        u_t = ρ · u_{t-1} + (1 - ρ) · Δ_t²                        running mean of squared steps
        θ_t = θ_{t-1} - η · Δ_t

    Args:
        params: parameters (or named parameters) to optimize, or dicts defining parameter groups.
        lr: scale of the step η (default 1.0: Adadelta sets its own step size).
        rho: decay ρ of both running means (default 0.9).
        eps: ε under both roots (default 1e-6).
        weight_decay: L2 penalty λ, adds λ · θ to the gradient (default 0).
        maximize: ascend the objective instead of descending.
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: invalid rho {group['rho']}: expected 0 <= rho <= 1")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()`` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for parameter, gradient in self._gradients(group):
                state = self.state[parameter]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = zeros_state(parameter)
                    state["acc_delta"] = zeros_state(parameter)
                xp = backend.module_of(gradient)
                state["step"] += 1

                square_avg, acc_delta = state["square_avg"].data, state["acc_delta"].data
                square_avg *= rho
                square_avg += (1 - rho) * (gradient * gradient)  # v = ρ · v + (1 - ρ) · g²
                delta = xp.sqrt(acc_delta + eps)
                delta /= xp.sqrt(square_avg + eps)
                delta *= gradient  # Δ = sqrt(u + ε) / sqrt(v + ε) · g
                acc_delta *= rho
                acc_delta += (1 - rho) * (delta * delta)  # u = ρ · u + (1 - ρ) · Δ²
                parameter.data -= lr * delta  # θ = θ - η · Δ
        return loss
