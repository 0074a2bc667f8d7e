"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

Plain gradient descent steps against the gradient of the loss on the current mini-batch:

    w_new = w_old - η · dL/dw_old

Full-batch gradient descent is this same update with the whole training set as the one batch: give
SGD the gradient of the loss over all the data (a DataLoader with ``batch_size=len(dataset)``).
"""

from __future__ import annotations

from glassbox.tensor import Tensor

from .optimizer import Optimizer

MOMENTUM_STYLES = ("pytorch", "ema")


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), exactly as ``torch.optim.SGD``.

    With g_t the gradient at step t (negated when ``maximize``, plus ``weight_decay · θ`` when set),
    μ the momentum, τ the dampening and η the learning rate:

        momentum_style="pytorch" (default, PyTorch's):
            v_1 = g_1,   v_t = μ · v_{t-1} + (1 - τ) · g_t
            θ_t = θ_{t-1} - η · v_t                         (nesterov: θ_t = θ_{t-1} - η · (g_t + μ · v_t))

        momentum_style="ema" (the notes' exponential moving average, β = momentum):
            V_0 = 0,     V_t = β · V_{t-1} + (1 - β) · g_t
            θ_t = θ_{t-1} - η · V_t

    The moving average smooths the noise of mini-batch gradients: V_t weighs the gradient of k steps
    ago by β^k, so old directions fade and a consistent direction builds up speed. The two styles
    differ by a constant: V_t = (1 - β) · v_t (with τ = 0), so the EMA with learning rate η follows
    the same path as PyTorch's momentum with learning rate (1 - β) · η.

    Args:
        params: parameters (or named parameters) to optimize, or dicts defining parameter groups.
        lr: learning rate η (default 1e-3).
        momentum: μ (default 0: plain SGD, no state).
        dampening: τ, damps the gradient's share in the momentum (default 0).
        weight_decay: L2 penalty λ, adds λ · θ to the gradient (default 0).
        nesterov: look ahead along the momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending.
        momentum_style: "pytorch" or "ema", as above.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        momentum_style: str = "pytorch",
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "momentum_style": momentum_style,
        }
        super().__init__(params, defaults)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        if group["momentum"] < 0.0:
            raise ValueError(f"SGD: invalid momentum {group['momentum']}: expected momentum >= 0")
        if group["momentum_style"] not in MOMENTUM_STYLES:
            raise ValueError(f"SGD: momentum_style must be one of {MOMENTUM_STYLES}, got {group['momentum_style']!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        if group["momentum_style"] == "ema" and (group["nesterov"] or group["dampening"] != 0):
            raise ValueError("SGD: momentum_style='ema' already weighs the gradient by (1 - β); "
                             "it takes neither dampening nor nesterov")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()`` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, nesterov = group["lr"], group["momentum"], group["nesterov"]
            ema = group["momentum_style"] == "ema"
            gradient_share = 1 - momentum if ema else 1 - group["dampening"]
            for parameter, gradient in self._gradients(group):
                if momentum != 0:
                    state = self.state[parameter]
                    buffer = state.get("momentum_buffer")
                    if buffer is None:  # v_1 = g_1 (PyTorch), V_1 = (1 - β) · g_1 (EMA from V_0 = 0)
                        velocity = gradient * gradient_share if ema else gradient.copy()
                        state["momentum_buffer"] = Tensor._wrap(velocity)
                    else:  # v = μ · v + (1 - τ) · g
                        velocity = buffer.data
                        velocity *= momentum
                        velocity += gradient_share * gradient
                    gradient = gradient + momentum * velocity if nesterov else velocity
                parameter.data -= lr * gradient  # θ = θ - η · g
        return loss
