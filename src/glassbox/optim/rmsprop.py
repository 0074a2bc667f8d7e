"""RMSprop: divide the step by a decaying root-mean-square of recent gradients.

Adagrad's sum of squared gradients only grows, so its steps die out. RMSprop (Root Mean Square
Propagation) keeps an exponential moving average of the squared gradients instead, which forgets old
gradients: the effective learning rate gets small, but not very very small. From the notes:

    w_avg_t = γ · w_avg_{t-1} + (1 - γ) · (dL/dw_t)²
    η'_t = η / sqrt(w_avg_t + ε)
    w_t = w_{t-1} - η'_t · dL/dw_{t-1}
"""

from __future__ import annotations

from glassbox import backend

from .optimizer import Optimizer, zeros_state


class RMSprop(Optimizer):
    """RMSprop, exactly as ``torch.optim.RMSprop``.

    With g_t the gradient (negated when ``maximize``, plus ``weight_decay · θ`` when set), α the
    smoothing constant (the notes' γ):

        v_t = α · v_{t-1} + (1 - α) · g_t²              mean of squared gradients
        centered:  m_t = α · m_{t-1} + (1 - α) · g_t,  v̄_t = v_t - m_t²   (variance instead of mean square)
        r_t = sqrt(v̄_t) + ε                            (default, PyTorch's)
        r_t = sqrt(v̄_t + ε)                            (eps_inside_sqrt=True, the notes' form)
        θ_t = θ_{t-1} - η · g_t / r_t                   (momentum 0)
        b_t = μ · b_{t-1} + g_t / r_t,  θ_t = θ_{t-1} - η · b_t      (momentum μ > 0)

    Args:
        params: parameters (or named parameters) to optimize, or dicts defining parameter groups.
        lr: learning rate η (default 1e-2).
        alpha: smoothing constant α (default 0.99).
        eps: ε, keeps the division finite (default 1e-8).
        weight_decay: L2 penalty λ, adds λ · θ to the gradient (default 0).
        momentum: μ (default 0).
        centered: normalise by the estimated variance of the gradient rather than its mean square.
        maximize: ascend the objective instead of descending.
        eps_inside_sqrt: put ε under the square root, as the notes write it.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
        eps_inside_sqrt: bool = False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "eps_inside_sqrt": eps_inside_sqrt,
        }
        super().__init__(params, defaults)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        if group["momentum"] < 0.0:
            raise ValueError(f"RMSprop: invalid momentum {group['momentum']}: expected >= 0")
        if group["alpha"] < 0.0:
            raise ValueError(f"RMSprop: invalid alpha {group['alpha']}: expected >= 0")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()`` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            centered, eps_inside_sqrt = group["centered"], group["eps_inside_sqrt"]
            for parameter, gradient in self._gradients(group):
                state = self.state[parameter]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = zeros_state(parameter)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = zeros_state(parameter)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = zeros_state(parameter)
                xp = backend.module_of(gradient)
                state["step"] += 1

                square_avg = state["square_avg"].data
                square_avg *= alpha
                square_avg += (1 - alpha) * (gradient * gradient)  # v = α · v + (1 - α) · g²
                if centered:
                    grad_avg = state["grad_avg"].data
                    grad_avg *= alpha
                    grad_avg += (1 - alpha) * gradient  # m = α · m + (1 - α) · g
                    mean_square = square_avg - grad_avg * grad_avg  # v - m²
                else:
                    mean_square = square_avg
                if eps_inside_sqrt:
                    root_mean_square = xp.sqrt(mean_square + eps)
                else:
                    root_mean_square = xp.sqrt(mean_square)
                    root_mean_square += eps

                if momentum > 0:
                    buffer = state["momentum_buffer"].data
                    buffer *= momentum
                    buffer += gradient / root_mean_square  # b = μ · b + g / r
                    parameter.data -= lr * buffer
                else:
                    parameter.data -= lr * (gradient / root_mean_square)  # θ = θ - η · g / r
        return loss
