"""Losses as fused primitives, where composing ops would be slow or would overflow.

Cross-entropy from logits x (the class axis is dim 1), against a target
distribution q for each position i (the notes' categorical cross-entropy):

    L_i = - sum_c q_ic log softmax(x_i)_c                      notes: L = - sum_j y_j log(ŷ_j)
    dL_i/dx_i = softmax(x_i) * sum_c q_ic - q_i                 = softmax(x_i) - onehot(y_i) for one class

log-softmax and the negative log-likelihood are one step, so no probability is
ever rounded to 0 before its log is taken, and backward is one subtraction. For
a class index y_i, with class weights w and label smoothing ε over C classes,
q_ic = (1 - ε) w_(y_i) [c = y_i] + (ε / C) w_c, and q_i = 0 where y_i is ignored.

Binary cross-entropy, on probabilities p (each log clamped to >= -100, as PyTorch):

    L = -w (y log p + (1 - y) log(1 - p))          dL/dp = w (p - y) / max(p (1 - p), 1e-12)

and on logits x, stable for any x because e^(-|x|) <= 1 (pos_weight P scales the positive term):

    L = w ((1 - y) x + (1 + (P - 1) y) softplus(-x)),   softplus(-x) = max(-x, 0) + log(1 + e^(-|x|))
      = w (max(x, 0) - x y + log(1 + e^(-|x|)))          when P = 1
    dL/dx = w ((1 + (P - 1) y) sigmoid(x) - P y)          = w (sigmoid(x) - y) when P = 1

Every primitive reduces as PyTorch does: 'none' keeps one loss per position,
'sum' adds them, 'mean' divides by the number of positions, or, for class-index
cross-entropy, by the total weight sum_i w_(y_i) of the positions not ignored
(nan when there are none, as in PyTorch).
"""

from __future__ import annotations

from glassbox import backend
from glassbox.autograd import Function
from glassbox.tensor import Tensor

from .reduce import extremum_along

REDUCTIONS = ("none", "mean", "sum")
LOG_FLOOR = -100.0  # PyTorch's clamp on log(p) in binary cross-entropy: a confident mistake costs 100, not inf
GRADIENT_FLOOR = 1e-12  # PyTorch's floor on p (1 - p) in binary cross-entropy's gradient


# ---- reduction, shared by every primitive -------------------------------------------------------------
def _reduce(loss, reduction: str, denominator):
    """Per-position losses → the reduced loss; ``denominator`` is what 'mean' divides by."""
    xp = backend.module_of(loss)
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if denominator == 0:  # an empty batch, or every target ignored: PyTorch's 0/0
        return xp.asarray(float("nan"), dtype=loss.dtype)
    return total / denominator


def _per_position(grad, shape, reduction: str, denominator):
    """The incoming gradient of the reduced loss → one gradient per position, of ``shape``."""
    xp = backend.module_of(grad)
    if reduction == "none":
        return grad
    if reduction == "mean":
        grad = grad / denominator if denominator != 0 else grad * 0  # nothing was counted: no gradient
    return xp.broadcast_to(grad, shape)


def _class_axis_view(vector, ndim: int):
    """A (C,) vector shaped (1, C, 1, ...) to broadcast along dim 1 of an ndim-dimensional array."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


def _log_softmax_parts(logits):
    """shifted = x - max(x) and the log of the softmax denominator: log_softmax = shifted - log_sum."""
    xp = backend.module_of(logits)
    shifted = logits - extremum_along(logits, 1)  # (N, C, d...): largest entry 0, so exp never overflows
    exponentials = xp.exp(shifted)
    sum_exp = exponentials.sum(axis=1, keepdims=True)  # (N, 1, d...), >= 1
    return shifted, exponentials, sum_exp


# ---- cross-entropy ------------------------------------------------------------------------------------
class CrossEntropy(Function):
    """Cross-entropy of logits (N, C, d...) against class indices (N, d...), with weights, ignore_index, ε."""

    def forward(self, logits, target, weight, ignore_index, label_smoothing, reduction):
        xp = backend.module_of(logits)
        classes = logits.shape[1]
        shifted, exponentials, sum_exp = _log_softmax_parts(logits)
        log_sum = xp.log(sum_exp)[:, 0]  # (N, d...)
        keep = target != ignore_index  # (N, d...)
        safe_target = xp.where(keep, target, 0)  # ignored positions read class 0, then count for nothing
        keep = keep.astype(logits.dtype)  # as a 0/1 factor of the input's precision
        own_log_prob = xp.take_along_axis(shifted, safe_target[:, None], axis=1)[:, 0] - log_sum  # (N, d...)
        own_weight = keep if weight is None else weight[safe_target] * keep
        loss = -(1 - label_smoothing) * own_weight * own_log_prob
        if label_smoothing:
            # sum_c w_c log softmax_c = sum_c w_c shifted_c - log_sum * sum_c w_c, without the (N, C, d...) log-softmax
            if weight is None:
                spread = shifted.sum(axis=1) - classes * log_sum
            else:
                spread = (shifted * _class_axis_view(weight, logits.ndim)).sum(axis=1) - weight.sum() * log_sum
            loss = loss - (label_smoothing / classes) * keep * spread
        denominator = own_weight.sum() if reduction == "mean" else None
        self.saved = (exponentials, sum_exp, safe_target, keep, own_weight, weight, label_smoothing, reduction,
                      denominator)
        return _reduce(loss, reduction, denominator)

    def backward(self, grad):
        exponentials, sum_exp, safe_target, keep, own_weight, weight, smoothing, reduction, denominator = self.saved
        xp = backend.module_of(grad)
        classes = exponentials.shape[1]
        grad = _per_position(grad, own_weight.shape, reduction, denominator)  # (N, d...)
        # dL_i/dx_i = softmax(x_i) * mass_i - q_i, mass_i = sum_c q_ic
        mass = (1 - smoothing) * own_weight
        if smoothing:
            total_weight = classes if weight is None else weight.sum()
            mass = mass + (smoothing / classes) * total_weight * keep
        grad_logits = exponentials * (grad * mass / sum_exp[:, 0])[:, None]  # (N, C, d...)
        if smoothing:
            spread = (smoothing / classes) * (grad * keep)[:, None]
            grad_logits -= spread if weight is None else spread * _class_axis_view(weight, grad_logits.ndim)
        # the target class of each position: one entry each, so a fancy-indexed subtraction is exact
        positions = backend.open_grid(safe_target.shape, xp)
        positions.insert(1, safe_target)
        grad_logits[tuple(positions)] -= (1 - smoothing) * grad * own_weight
        return grad_logits


class SoftTargetCrossEntropy(Function):
    """Cross-entropy of logits (N, C, d...) against class probabilities of the same shape."""

    def forward(self, logits, target, weight, label_smoothing, reduction):
        classes = logits.shape[1]
        shifted, exponentials, sum_exp = _log_softmax_parts(logits)
        log_probs = shifted - backend.module_of(logits).log(sum_exp)  # (N, C, d...)
        distribution = target if not label_smoothing else target * (1 - label_smoothing) + label_smoothing / classes
        if weight is not None:
            distribution = distribution * _class_axis_view(weight, logits.ndim)
        loss = -(distribution * log_probs).sum(axis=1)  # (N, d...)
        denominator = loss.size
        self.saved = (log_probs, exponentials, sum_exp, distribution, weight, label_smoothing, reduction, denominator)
        return _reduce(loss, reduction, denominator)

    def backward(self, grad):
        log_probs, exponentials, sum_exp, distribution, weight, smoothing, reduction, denominator = self.saved
        positions_shape = sum_exp.shape[:1] + sum_exp.shape[2:]
        grad = _per_position(grad, positions_shape, reduction, denominator)[:, None]  # (N, 1, d...)
        need_logits, need_target = self.needs_input_grad
        grad_logits = grad_target = None
        if need_logits:
            probs = exponentials / sum_exp
            grad_logits = grad * (probs * distribution.sum(axis=1, keepdims=True) - distribution)
        if need_target:
            grad_target = -(1 - smoothing) * grad * log_probs
            if weight is not None:
                grad_target = grad_target * _class_axis_view(weight, log_probs.ndim)
        return grad_logits, grad_target


# ---- binary cross-entropy -----------------------------------------------------------------------------
class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p in [0, 1] against targets y of the same shape."""

    def forward(self, probability, target, weight, reduction):
        xp = backend.module_of(probability)
        above_zero, below_one = probability > 0, probability < 1
        # where a log would be -inf (p = 0 or p = 1) it is read at a harmless point, then floored at -100
        log_p = xp.where(above_zero, xp.maximum(xp.log(xp.where(above_zero, probability, 1)), LOG_FLOOR), LOG_FLOOR)
        log_not_p = xp.where(below_one, xp.maximum(xp.log1p(-xp.where(below_one, probability, 0)), LOG_FLOOR),
                             LOG_FLOOR)
        loss = -(target * log_p + (1 - target) * log_not_p)
        if weight is not None:
            loss = loss * weight
        self.saved = (probability, target, log_p, log_not_p, weight, reduction)
        return _reduce(loss, reduction, loss.size)

    def backward(self, grad):
        probability, target, log_p, log_not_p, weight, reduction = self.saved
        xp = backend.module_of(grad)
        grad = _per_position(grad, probability.shape, reduction, probability.size)
        if weight is not None:
            grad = grad * weight
        need_probability, need_target = self.needs_input_grad
        grad_probability = grad_target = None
        if need_probability:
            curvature = xp.maximum(probability * (1 - probability), GRADIENT_FLOOR)
            grad_probability = grad * (probability - target) / curvature
        if need_target:
            grad_target = grad * (log_not_p - log_p)
        return grad_probability, grad_target


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy of logits x against targets y of the same shape, with weight and pos_weight."""

    def forward(self, logits, target, weight, pos_weight, reduction):
        xp = backend.module_of(logits)
        decay = xp.exp(-xp.abs(logits))  # in (0, 1]: never overflows
        softplus_neg = xp.maximum(-logits, 0) + xp.log1p(decay)  # = -log sigmoid(x)
        positive_scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        loss = (1 - target) * logits + positive_scale * softplus_neg
        if weight is not None:
            loss = loss * weight
        self.saved = (logits, target, decay, softplus_neg, weight, pos_weight, reduction)
        return _reduce(loss, reduction, loss.size)

    def backward(self, grad):
        logits, target, decay, softplus_neg, weight, pos_weight, reduction = self.saved
        xp = backend.module_of(grad)
        grad = _per_position(grad, logits.shape, reduction, logits.size)
        if weight is not None:
            grad = grad * weight
        need_logits, need_target = self.needs_input_grad
        grad_logits = grad_target = None
        if need_logits:
            sigmoid = xp.where(logits >= 0, 1 / (1 + decay), decay / (1 + decay))
            if pos_weight is None:
                grad_logits = grad * (sigmoid - target)
            else:
                grad_logits = grad * ((1 + (pos_weight - 1) * target) * sigmoid - pos_weight * target)
        if need_target:
            grad_target = grad * (-logits if pos_weight is None else (pos_weight - 1) * softplus_neg - logits)
        return grad_logits, grad_target


# ---- the public functions: check the arguments, then apply a primitive -----------------------------------
def check_reduction(reduction: str, op: str, allowed=REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {', '.join(map(repr, allowed))}, got {reduction!r}")


def _as_tensor(value, like: Tensor) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value, device=like.device)


def _check_float_input(input: Tensor, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point (scores or probabilities), got {input.dtype}")


def _constant(value, input: Tensor, op: str, name: str):
    """An optional weight-like argument as an array of the input's dtype, on its device (no gradient)."""
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else Tensor(value, device=input.device).data
    if backend.device_of(array) != input.device:
        raise RuntimeError(f"{op}: {name} is on {backend.device_of(array)}, the input on {input.device}")
    return array.astype(input.data.dtype, copy=False)


def _dims(names, shape) -> str:
    """'(N, C) = (4, 3)': a shape with the names of its dimensions."""
    return f"{tuple(names)} = {tuple(shape)}".replace("'", "")


def _class_index_target(input: Tensor, target: Tensor, weight, ignore_index: int, op: str):
    """Check class-index targets against input (N, C, d1, ...); the target's array on the input's device."""
    shape = input.shape
    names = ["N", "C"] + [f"d{k}" for k in range(1, len(shape) - 1)]
    expected = shape[:1] + shape[2:]
    expected_names = names[:1] + names[2:]
    what = f"{op}: input {_dims(names, shape)} needs target {_dims(expected_names, expected)}"
    classes = shape[1]
    if target.data.dtype.kind not in "iu":
        hint = (f"; for class probabilities pass a float target of the input's shape {tuple(shape)}"
                if op == "cross_entropy" else "")
        raise TypeError(f"{what} of integer class indices, got a {target.dtype} target of shape "
                        f"{tuple(target.shape)}{hint}")
    if target.shape != expected:
        raise ValueError(f"{what} of class indices in [0, {classes}), got {tuple(target.shape)}")
    labels = target.data
    if backend.device_of(labels) != input.device:
        raise RuntimeError(f"{op}: target is on {target.device}, the input on {input.device}")
    outside = (labels != ignore_index) & ((labels < 0) | (labels >= classes))
    if labels.size and outside.any():
        first = tuple(int(axis[0]) for axis in backend.to_numpy(outside).nonzero())
        raise IndexError(f"{op}: target must hold class indices in [0, {classes}) or ignore_index={ignore_index}, "
                         f"got {int(labels[first])} at position {first}")
    if weight is not None and weight.shape != (classes,):
        raise ValueError(f"{op}: weight must hold one value per class, shape ({classes},), got {weight.shape}")
    return labels


def _batched(input: Tensor, target: Tensor, op: str):
    """An unbatched input (C,) becomes (1, C), its target () or (C,) becomes (1,) or (1, C)."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must be (C,) or (N, C, d1, ...) scores, got a 0-d tensor")
    if input.ndim == 1:
        return input.reshape(1, input.shape[0]), target.reshape((1,) + target.shape), True
    return input, target, False


def cross_entropy(input: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits (N, C, d1, ...) and class indices (N, d1, ...) or class probabilities
    (the input's shape); see the module docstring for the formula and its gradient."""
    op = "cross_entropy"
    _check_float_input(input, op)
    check_reduction(reduction, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must lie in [0, 1], got {label_smoothing}")
    target = _as_tensor(target, input)
    input, target, unbatched = _batched(input, target, op)
    weight = _constant(weight, input, op, "weight")
    if target.data.dtype.kind == "f" and target.shape == input.shape:
        if ignore_index >= 0:
            raise ValueError(f"{op}: ignore_index={ignore_index} needs class-index targets; "
                             f"with class probabilities give the ignored positions zero probability instead")
        if weight is not None and weight.shape != (input.shape[1],):
            raise ValueError(f"{op}: weight must hold one value per class, shape ({input.shape[1]},), "
                             f"got {weight.shape}")
        if target.dtype != input.dtype:
            target = target.to(input.dtype)
        loss = SoftTargetCrossEntropy.apply(input, target, weight=weight, label_smoothing=float(label_smoothing),
                                            reduction=reduction)
    else:
        labels = _class_index_target(input, target, weight, ignore_index, op)
        loss = CrossEntropy.apply(input, target=labels, weight=weight, ignore_index=ignore_index,
                                  label_smoothing=float(label_smoothing), reduction=reduction)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


def nll_loss(input: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C, d1, ...) at class indices (N, d1, ...):

        L_i = -w_(y_i) input[i, y_i]           (0 where y_i = ignore_index)

    composed from ``gather``: log_softmax followed by nll_loss is cross_entropy, which
    fuses both.
    """
    op = "nll_loss"
    _check_float_input(input, op)
    check_reduction(reduction, op)
    target = _as_tensor(target, input)
    input, target, unbatched = _batched(input, target, op)
    weight = _constant(weight, input, op, "weight")
    labels = _class_index_target(input, target, weight, ignore_index, op)
    xp = backend.module_of(labels)
    keep = labels != ignore_index
    safe_labels = xp.where(keep, labels, 0)
    own_weight = keep.astype(input.data.dtype) if weight is None else weight[safe_labels] * keep
    picked = input.gather(1, Tensor._wrap(safe_labels[:, None])).squeeze(1)  # (N, d1, ...)
    loss = picked * Tensor._wrap(-own_weight)
    if reduction == "none":
        return loss.reshape(()) if unbatched else loss
    total = loss.sum()
    if reduction == "sum":
        return total
    denominator = own_weight.sum()
    if denominator == 0:  # every target ignored: PyTorch's 0/0, with a zero gradient
        return total * 0.0 + float("nan")
    return total / Tensor._wrap(denominator)


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    if target.shape != input.shape:
        raise ValueError(f"{op}: target {tuple(target.shape)} must have the input's shape {tuple(input.shape)} "
                         f"(one target per prediction; reshape one of them, broadcasting is not done here)")


def _check_broadcastable(array, input: Tensor, op: str, name: str) -> None:
    import numpy

    try:
        shape = numpy.broadcast_shapes(array.shape, input.shape)
    except ValueError:
        shape = None
    if shape != input.shape:
        raise ValueError(f"{op}: {name} of shape {array.shape} must broadcast to the input's shape "
                         f"{tuple(input.shape)}")


def _binary_arguments(input: Tensor, target, weight, op: str):
    _check_float_input(input, op)
    target = _as_tensor(target, input)
    _check_same_shape(input, target, op)
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    weight = _constant(weight, input, op, "weight")
    if weight is not None:
        _check_broadcastable(weight, input, op, "weight")
    return target, weight


def binary_cross_entropy(input: Tensor, target, weight=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities in [0, 1] (after a sigmoid); see the module docstring."""
    op = "binary_cross_entropy"
    check_reduction(reduction, op)
    target, weight = _binary_arguments(input, target, weight, op)
    probabilities = input.data
    inside = (probabilities >= 0) & (probabilities <= 1)  # also False for nan
    if not bool(inside.all()):
        outside = backend.to_numpy(probabilities[~inside])
        raise ValueError(f"{op}: input must hold probabilities in [0, 1], got {outside.size} values outside, "
                         f"e.g. {outside[0]}; for raw scores use binary_cross_entropy_with_logits")
    return BinaryCrossEntropy.apply(input, target, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Binary cross-entropy of logits (sigmoid and log fused, stable at any logit); see the module docstring."""
    op = "binary_cross_entropy_with_logits"
    check_reduction(reduction, op)
    target, weight = _binary_arguments(input, target, weight, op)
    pos_weight = _constant(pos_weight, input, op, "pos_weight")
    if pos_weight is not None:
        _check_broadcastable(pos_weight, input, op, "pos_weight")
    return BinaryCrossEntropyWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight,
                                              reduction=reduction)
