"""Loss functions: how far predictions ŷ are from targets y, as modules and functions (``torch.nn`` names).

    mean squared error   (y - ŷ)²                      notes: L = (y - ŷ)²
    mean absolute error  |y - ŷ|
    Huber (delta δ)      ½ (y - ŷ)² where |y - ŷ| < δ, else δ (|y - ŷ| - ½ δ)
    smooth L1 (beta β)   ½ (y - ŷ)² / β where |y - ŷ| < β, else |y - ŷ| - ½ β      (Huber / δ, with β = δ)
    cross-entropy        -Σ_c y_c log softmax(ŷ)_c       notes: L = -Σ_j y_j log(ŷ_j), on logits
    binary cross-entropy -(y log p + (1 - y) log(1 - p))
    KL divergence        y (log y - ŷ), ŷ given as log-probabilities

Every loss reduces its per-element values as PyTorch does: ``reduction='mean'``
(the default), ``'sum'`` or ``'none'``. The notes' squared error of one sample,
(y - ŷ)², is ``mse_loss(..., reduction='none')``; the ½ Σ (y - ŷ)² form some
texts use (so that the derivative is ŷ - y without a 2) is ``0.5 * mse_loss(..., reduction='sum')``.

The cross-entropies are fused primitives in ``glassbox.ops.loss``; the others
are composed from tensor ops, so autograd differentiates them.
"""

from __future__ import annotations

import warnings

from glassbox.ops import loss as fused
from glassbox.ops.elementwise import where
from glassbox.tensor import Tensor

from .module import Module


# ---- reductions ---------------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated ``size_average`` / ``reduce`` flags, translated to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def _reduce(loss: Tensor, reduction: str, op: str, weight: Tensor | None = None,
            mean_over_weight: bool = False) -> Tensor:
    """Per-element losses → 'none' | 'sum' | 'mean'; a weighted mean divides by sum(weight) if asked."""
    fused.check_reduction(reduction, op)
    if weight is not None:
        loss = loss * weight
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    count = weight.sum() if weight is not None and mean_over_weight else loss.numel()
    if count == 0:  # an empty batch or all weights zero: PyTorch's 0/0 (nan, and nan gradients), without a warning
        return total * float("nan")
    return total / count


def _elementwise_arguments(input, target, weight, op: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    target = target if isinstance(target, Tensor) else Tensor(target, device=input.device)
    if target.shape != input.shape:
        raise ValueError(f"{op}: target {tuple(target.shape)} must have the input's shape {tuple(input.shape)} "
                         f"(one target per prediction; reshape one of them, broadcasting is not done here)")
    if weight is not None:
        weight = weight if isinstance(weight, Tensor) else Tensor(weight, device=input.device)
        if weight.shape != input.shape:
            raise ValueError(f"{op}: weight {tuple(weight.shape)} must have the input's shape {tuple(input.shape)}")
    return target, weight


# ---- the functional forms -----------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error (y - ŷ)²; with ``weight``, the mean is Σ w (y - ŷ)² / Σ w."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target, weight = _elementwise_arguments(input, target, weight, "mse_loss")
    difference = input - target
    return _reduce(difference * difference, reduction, "mse_loss", weight, mean_over_weight=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error |y - ŷ|; with ``weight``, the mean is Σ w |y - ŷ| / Σ w."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target, weight = _elementwise_arguments(input, target, weight, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss", weight, mean_over_weight=True)


def _quadratic_then_linear(difference: Tensor, width: float) -> Tensor:
    """½ d² where |d| < width, else width (|d| - ½ width): Huber's loss, quadratic near 0 and linear beyond."""
    absolute = difference.abs()
    return where(absolute < width, 0.5 * difference * difference, width * (absolute - 0.5 * width))


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """Huber loss: squared error for |y - ŷ| < δ, absolute error (slope δ) beyond; with ``weight``
    the mean is Σ w L / n, as in PyTorch."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target, weight = _elementwise_arguments(input, target, weight, "huber_loss")
    return _reduce(_quadratic_then_linear(input - target, delta), reduction, "huber_loss", weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: huber_loss(delta=β) / β, so the linear part has slope 1; β = 0 is the L1 loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    target, _ = _elementwise_arguments(input, target, None, "smooth_l1_loss")
    difference = input - target
    loss = difference.abs() if beta == 0 else _quadratic_then_linear(difference, beta) / beta
    return _reduce(loss, reduction, "smooth_l1_loss")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities in [0, 1], each log clamped to >= -100 (PyTorch's rule)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return fused.binary_cross_entropy(input, target, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """Binary cross-entropy of logits: sigmoid fused in, stable at any logit; ``pos_weight`` scales positives."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return fused.binary_cross_entropy_with_logits(input, target, weight=weight, reduction=reduction,
                                                  pos_weight=pos_weight)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits (N, C, d1, ...): log-softmax and NLL fused.

    ``target`` is class indices (N, d1, ...) or class probabilities of the input's shape.
    With class indices, 'mean' divides by the total weight Σ w_(y_i) of the targets not ignored
    (nan if every target is ignored); with probabilities, by the number of positions.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return fused.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: -w_(y_i) input[i, y_i]; weighted mean as cross_entropy."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return fused.nll_loss(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence Σ y (log y - ŷ) with ŷ = ``input`` given as log-probabilities (0 where y = 0).

    ``reduction='batchmean'`` divides the sum by the batch size, the true KL per sample; 'mean'
    divides by the number of elements, as PyTorch does (and warns about).
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size and the support "
                      "size; 'batchmean' divides only by the batch size, as the KL divergence is defined",
                      stacklevel=2)
    fused.check_reduction(reduction, "kl_div", ("none", "mean", "sum", "batchmean"))
    target, _ = _elementwise_arguments(input, target, None, "kl_div")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target.data > 0
        # y log y is 0 at y = 0; log is read at 1 there so it never sees a zero
        loss = target * (where(positive, target, 1.0).log() - input)
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction, "kl_div")


# ---- the modules --------------------------------------------------------------------------------------
class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_optional_tensor(weight))


def _as_optional_tensor(value):
    return value if value is None or isinstance(value, Tensor) else Tensor(value)


class MSELoss(_Loss):
    """Mean squared error (y - ŷ)² (the notes' loss); see ``mse_loss``."""

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |y - ŷ|; see ``l1_loss``."""

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Squared error near the target, absolute error (slope ``delta``) beyond; see ``huber_loss``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Huber loss divided by ``beta``: slope 1 away from the target; see ``smooth_l1_loss``."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (after a sigmoid); see ``binary_cross_entropy``."""

    def forward(self, input, target):
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, sigmoid fused in; see ``binary_cross_entropy_with_logits``."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_optional_tensor(weight))
        self.register_buffer("pos_weight", _as_optional_tensor(pos_weight))

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy from logits, with class weights, ignore_index and label smoothing; see ``cross_entropy``."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (after log_softmax); see ``nll_loss``."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class KLDivLoss(_Loss):
    """KL divergence of a target distribution from log-probabilities; see ``kl_div``."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
