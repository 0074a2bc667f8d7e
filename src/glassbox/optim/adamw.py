"""AdamW: Adam with weight decay decoupled from the gradient (Loshchilov & Hutter, 2019).

In Adam, an L2 penalty λ · θ added to the gradient is divided by sqrt(v̂) like everything else, so
weights with large gradients are barely decayed. AdamW shrinks every weight by the same factor instead:

    θ ← θ · (1 - η · λ)       then the Adam update
"""

from __future__ import annotations

from .adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay, exactly as ``torch.optim.AdamW`` (default ``weight_decay=1e-2``).

    See ``Adam`` for the update and the options; the only difference is that ``weight_decay`` multiplies
    the weights by (1 - lr · weight_decay) before each step rather than adding to the gradient.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        eps_inside_sqrt: bool = False,
        bias_correction: bool = True,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
            eps_inside_sqrt=eps_inside_sqrt,
            bias_correction=bias_correction,
        )
