"""Adam: momentum and RMSprop together, with bias correction (Adaptive Moment Estimation).

From the notes: momentum smooths the gradient, RMSprop scales the learning rate per weight so that it
neither explodes nor vanishes. Adam keeps both running averages, starting from zero:

    V_dw = β1 · V_dw + (1 - β1) · dL/dw            momentum (first moment)
    S_dw = β2 · S_dw + (1 - β2) · (dL/dw)²          RMSprop (second moment)

Both start at 0, so early on they are too small; dividing by (1 - β^t) corrects this bias:

    V_corrected = V_dw / (1 - β1^t)      S_corrected = S_dw / (1 - β2^t)
    w_t = w_{t-1} - η · V_corrected / sqrt(S_corrected + ε)
"""

from __future__ import annotations

import math

from glassbox import backend

from .optimizer import Optimizer, zeros_state


class Adam(Optimizer):
    """Adam, exactly as ``torch.optim.Adam``.

    With g_t the gradient (negated when ``maximize``, plus ``weight_decay · θ`` when set and the decay is
    not decoupled):

        m_t = β1 · m_{t-1} + (1 - β1) · g_t
        v_t = β2 · v_{t-1} + (1 - β2) · g_t²
        m̂_t = m_t / (1 - β1^t)        v̂_t = v_t / (1 - β2^t)       (bias_correction=False: m̂ = m, v̂ = v)
        amsgrad:  v̂_t = max(v̂_max, v̂_t) (the largest second moment so far, so steps never grow back)
        θ_t = θ_{t-1} - η · m̂_t / (sqrt(v̂_t) + ε)        (default, PyTorch's)
        θ_t = θ_{t-1} - η · m̂_t / sqrt(v̂_t + ε)          (eps_inside_sqrt=True, the notes' form)

    With ``decoupled_weight_decay=True`` (that is ``AdamW``) the decay shrinks the weights directly,
    θ ← θ - η · λ · θ, before the update, instead of entering the gradient and the moments.

    Args:
        params: parameters (or named parameters) to optimize, or dicts defining parameter groups.
        lr: learning rate η (default 1e-3).
        betas: (β1, β2), decay of the first and second moments (default (0.9, 0.999)).
        eps: ε, keeps the division finite (default 1e-8).
        weight_decay: λ (default 0).
        amsgrad: divide by the largest second moment seen so far (Reddi et al., 2018).
        maximize: ascend the objective instead of descending.
        decoupled_weight_decay: apply the decay to the weights, as AdamW does.
        eps_inside_sqrt: put ε under the square root, as the notes write it.
        bias_correction: divide the moments by (1 - β^t) (default True; False is the notes' first form).
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        eps_inside_sqrt: bool = False,
        bias_correction: bool = True,
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
            "eps_inside_sqrt": eps_inside_sqrt,
            "bias_correction": bias_correction,
        }
        super().__init__(params, defaults)
        self._scratch_buffers = {}  # (array module, device, dtype) → flat work array, see _scratch

    def _scratch(self, like):
        """A work array shaped and typed like ``like``, carved from one flat buffer that lives across steps
        (allocating four temporaries per parameter per step cost more than the arithmetic)."""
        xp = backend.module_of(like)
        key = (xp.__name__, str(getattr(like, "device", "")), like.dtype)  # CuPy devices are not hashable
        buffer = self._scratch_buffers.get(key)
        if buffer is None or buffer.size < like.size:
            buffer = self._scratch_buffers[key] = xp.empty(like.size, dtype=like.dtype)
        return buffer[:like.size].reshape(like.shape)

    def _check_options(self, group: dict) -> None:
        super()._check_options(group)
        name = type(self).__name__
        if len(group["betas"]) != 2:
            raise ValueError(f"{name}: betas must be a pair (β1, β2), got {group['betas']}")
        for index, beta in enumerate(group["betas"]):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {index}: {beta}: expected 0 <= beta < 1")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()`` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps, amsgrad = group["lr"], group["betas"], group["eps"], group["amsgrad"]
            decoupled_decay = group["weight_decay"] if group["decoupled_weight_decay"] else 0.0
            eps_inside_sqrt, bias_correction = group["eps_inside_sqrt"], group["bias_correction"]
            for parameter, gradient in self._gradients(group):
                state = self.state[parameter]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = zeros_state(parameter)
                    state["exp_avg_sq"] = zeros_state(parameter)
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = zeros_state(parameter)
                xp = backend.module_of(gradient)
                state["step"] += 1
                step = state["step"]
                theta = parameter.data
                if decoupled_decay != 0:
                    theta *= 1 - lr * decoupled_decay  # AdamW: θ = θ - η · λ · θ

                exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
                scratch = self._scratch(gradient)  # every product below lands here: no new arrays per step
                exp_avg *= beta1
                exp_avg += xp.multiply(gradient, 1 - beta1, out=scratch)  # m = β1 · m + (1 - β1) · g
                exp_avg_sq *= beta2
                square = xp.multiply(gradient, gradient, out=scratch)
                square *= 1 - beta2
                exp_avg_sq += square  # v = β2 · v + (1 - β2) · g²
                if amsgrad:
                    second_moment = state["max_exp_avg_sq"].data
                    xp.maximum(second_moment, exp_avg_sq, out=second_moment)  # v_max = max(v_max, v)
                else:
                    second_moment = exp_avg_sq

                first_correction = 1 - beta1**step if bias_correction else 1.0  # 1 - β1^t
                second_correction = 1 - beta2**step if bias_correction else 1.0  # 1 - β2^t
                if eps_inside_sqrt:
                    denominator = xp.divide(second_moment, second_correction, out=scratch)
                    denominator += eps
                    xp.sqrt(denominator, out=denominator)  # sqrt(v̂ + ε)
                else:
                    denominator = xp.sqrt(second_moment, out=scratch)
                    denominator /= math.sqrt(second_correction)
                    denominator += eps  # sqrt(v̂) + ε
                update = xp.divide(exp_avg, denominator, out=denominator)
                update *= lr / first_correction
                theta -= update  # θ = θ - η · m̂ / denominator
        return loss
