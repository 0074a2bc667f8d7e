import numpy as np
import pytest
import torch
import torch.nn.functional as F

import glassbox as gb
from glassbox.ops import loss
from oracle import check, finite_difference_check, on_device

DTYPES = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]


def _uniform(shape, dtype="float64", seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def _labels(shape, classes, seed=0, ignored=2, ignore_index=-100):
    """Class indices with ``ignored`` positions set to ``ignore_index``."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=shape)
    flat = labels.reshape(-1)
    flat[rng.choice(flat.size, size=ignored, replace=False)] = ignore_index
    return labels


def _probabilities(batch_shape, classes, seed=0, dtype="float64"):
    """Rows on the simplex, class axis moved to dim 1: shape (N, C, d1, ...)."""
    rows = np.random.default_rng(seed).dirichlet(np.ones(classes), size=batch_shape)
    return (np.moveaxis(rows, -1, 1) if rows.ndim > 1 else rows).astype(dtype).copy()


# ---- cross-entropy with class indices -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices_matches_torch(dtype, reduction, weighted, smoothing):
    classes = 5
    inputs = [_uniform((7, classes), dtype), _labels((7,), classes, ignored=2)]
    if weighted:
        inputs.append(_uniform((classes,), dtype, seed=3, low=0.2, high=2.0))
    options = dict(reduction=reduction, label_smoothing=smoothing)
    check(lambda x, t, *w: loss.cross_entropy(x, t, *w, **options), inputs=inputs, dtype=dtype, grad_inputs=[0],
          torch_fn=lambda x, t, *w: F.cross_entropy(x, t, *w, **options))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_k_dimensional_matches_torch(dtype, reduction):
    classes = 4
    inputs = [_uniform((2, classes, 3, 5), dtype), _labels((2, 3, 5), classes, ignored=4),
              _uniform((classes,), dtype, seed=5, low=0.2, high=2.0)]
    options = dict(reduction=reduction, label_smoothing=0.1)
    check(lambda x, t, w: loss.cross_entropy(x, t, w, **options), inputs=inputs, dtype=dtype, grad_inputs=[0],
          torch_fn=lambda x, t, w: F.cross_entropy(x, t, w, **options))


def test_cross_entropy_ignore_index_may_be_a_class():
    inputs = [_uniform((8, 3)), _labels((8,), 3, ignored=0)]
    inputs[1][:3] = 1
    check(lambda x, t: loss.cross_entropy(x, t, ignore_index=1), inputs=inputs, dtype="float64",
          torch_fn=lambda x, t: F.cross_entropy(x, t, ignore_index=1))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_all_targets_ignored(weighted, smoothing, reduction):
    """PyTorch gives nan for the mean of nothing, 0 for the sum, and a zero gradient."""
    inputs = [_uniform((4, 3), "float32"), np.full(4, -100)]
    if weighted:
        inputs.append(_uniform((3,), "float32", low=0.5, high=1.5))
    options = dict(reduction=reduction, label_smoothing=smoothing)
    (out,) = check(lambda x, t, *w: loss.cross_entropy(x, t, *w, **options), inputs=inputs, grad_inputs=[0],
                   torch_fn=lambda x, t, *w: F.cross_entropy(x, t, *w, **options))
    if reduction == "mean":
        assert np.isnan(out.item())
    x = gb.tensor(inputs[0], requires_grad=True)
    loss.cross_entropy(x, gb.tensor(inputs[1]), reduction=reduction, label_smoothing=smoothing).sum().backward()
    assert not np.any(x.grad.numpy())


def test_cross_entropy_empty_batch_is_nan_like_torch():
    inputs = [np.zeros((0, 3), np.float32), np.zeros(0, np.int64)]
    (out,) = check(loss.cross_entropy, inputs=inputs, torch_fn=F.cross_entropy)
    assert np.isnan(out.item())


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_unbatched(dtype):
    logits = _uniform((5,), dtype)
    check(lambda x, t: loss.cross_entropy(x, t, reduction="none"), inputs=[logits, np.array(3)], dtype=dtype,
          torch_fn=lambda x, t: F.cross_entropy(x, t, reduction="none"))
    check(loss.cross_entropy, inputs=[logits, _probabilities((), 5, dtype=dtype)], dtype=dtype,
          torch_fn=F.cross_entropy)


def test_cross_entropy_is_stable_at_extreme_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0], [1000.0, 1000.0, -1000.0]], np.float32)
    for targets in (np.array([2, 1, 0]), np.array([0, 0, 2])):
        for smoothing in (0.0, 0.1):
            options = {"label_smoothing": smoothing}
            (out,) = check(lambda x, t, o=options: loss.cross_entropy(x, t, **o), inputs=[logits, targets],
                           torch_fn=lambda x, t, o=options: F.cross_entropy(x, t, **o))
            assert np.isfinite(out.item())
    probabilities = np.array([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0], [0.2, 0.2, 0.6]], np.float32)
    check(loss.cross_entropy, inputs=[logits, probabilities], torch_fn=F.cross_entropy)


# ---- cross-entropy with class probabilities -----------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_probability_targets_match_torch(dtype, reduction, weighted, smoothing):
    """Gradients of both the logits and the target distribution are compared."""
    classes = 4
    inputs = [_uniform((6, classes), dtype), _probabilities((6,), classes, dtype=dtype)]
    if weighted:
        inputs.append(_uniform((classes,), dtype, seed=2, low=0.2, high=2.0))
    options = dict(reduction=reduction, label_smoothing=smoothing)
    check(lambda x, p, *w: loss.cross_entropy(x, p, *w, **options), inputs=inputs, dtype=dtype, grad_inputs=[0, 1],
          torch_fn=lambda x, p, *w: F.cross_entropy(x, p, *w, **options))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets_k_dimensional(reduction):
    inputs = [_uniform((2, 3, 4, 2)), _probabilities((2, 4, 2), 3), _uniform((3,), seed=1, low=0.5, high=2.0)]
    options = dict(reduction=reduction, label_smoothing=0.1)
    check(lambda x, p, w: loss.cross_entropy(x, p, w, **options), inputs=inputs, dtype="float64", grad_inputs=[0, 1],
          torch_fn=lambda x, p, w: F.cross_entropy(x, p, w, **options))


# ---- nll_loss --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3, 2)], ids=str)
def test_nll_loss_matches_torch(dtype, reduction, shape):
    log_probs = np.log(_probabilities(shape[:1] + shape[2:], shape[1], dtype=dtype))
    inputs = [log_probs, _labels(shape[:1] + shape[2:], shape[1], ignored=2),
              _uniform((shape[1],), dtype, seed=4, low=0.2, high=2.0)]
    check(lambda x, t, w: loss.nll_loss(x, t, w, reduction=reduction), inputs=inputs, dtype=dtype, grad_inputs=[0],
          torch_fn=lambda x, t, w: F.nll_loss(x, t, w, reduction=reduction))


def test_nll_loss_all_targets_ignored_is_nan_with_zero_gradient():
    inputs = [_uniform((3, 4), "float32"), np.full(3, 7)]
    (out,) = check(lambda x, t: loss.nll_loss(x, t, ignore_index=7), inputs=inputs,
                   torch_fn=lambda x, t: F.nll_loss(x, t, ignore_index=7))
    assert np.isnan(out.item())


# ---- binary cross-entropy ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_binary_cross_entropy_matches_torch(dtype, reduction, weighted):
    inputs = [_uniform((4, 3), dtype, low=0.02, high=0.98), _uniform((4, 3), dtype, seed=1, low=0, high=1)]
    if weighted:
        inputs.append(_uniform((3,), dtype, seed=2, low=0.2, high=2.0))  # broadcast over the batch
    check(lambda p, y, *w: loss.binary_cross_entropy(p, y, *w, reduction=reduction), inputs=inputs, dtype=dtype,
          grad_inputs=[0, 1], torch_fn=lambda p, y, *w: F.binary_cross_entropy(p, y, *w, reduction=reduction))


def test_binary_cross_entropy_clamps_log_at_minus_100_like_torch():
    """p = 0 or 1 against the opposite target costs 100, not inf; the gradient uses PyTorch's 1e-12 floor."""
    probabilities = np.array([0.0, 1.0, 0.0, 1.0, 1e-50, 0.5], np.float64)
    targets = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5], np.float64)
    (out,) = check(lambda p, y: loss.binary_cross_entropy(p, y, reduction="none"),
                   inputs=[probabilities, targets], dtype="float64", grad_inputs=[0],
                   torch_fn=lambda p, y: F.binary_cross_entropy(p, y, reduction="none"))
    np.testing.assert_allclose(out.detach().numpy()[:4], [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits_matches_torch(dtype, reduction, weights):
    inputs = [_uniform((5, 3), dtype, low=-6, high=6), _uniform((5, 3), dtype, seed=1, low=0, high=1)]
    weight = _uniform((5, 1), dtype, seed=2, low=0.2, high=2.0) if weights in ("weight", "both") else None
    pos_weight = _uniform((3,), dtype, seed=3, low=0.2, high=4.0) if weights in ("pos_weight", "both") else None

    def run(library, function):
        def apply(x, y):
            as_tensor = (lambda a: None if a is None else library.tensor(a, device=x.device))
            return function(x, y, as_tensor(weight), reduction=reduction, pos_weight=as_tensor(pos_weight))

        return apply

    check(run(gb, loss.binary_cross_entropy_with_logits), inputs=inputs, dtype=dtype,
          torch_fn=run(torch, F.binary_cross_entropy_with_logits))


def test_binary_cross_entropy_with_logits_is_stable_at_extreme_logits():
    logits = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0], np.float32)
    targets = np.array([1.0, 0.0, 0.0, 1.0, 0.5], np.float32)
    for pos_weight in (None, np.full(5, 3.0, np.float32)):
        (out,) = check(lambda x, y, *p: loss.binary_cross_entropy_with_logits(x, y, reduction="none",
                                                                                 pos_weight=p[0] if p else None),
                       inputs=[logits, targets] + ([pos_weight] if pos_weight is not None else []), grad_inputs=[0],
                       torch_fn=lambda x, y, *p: F.binary_cross_entropy_with_logits(x, y, reduction="none",
                                                                                    pos_weight=p[0] if p else None))
        assert np.all(np.isfinite(out.detach().numpy()))


# ---- finite differences: the hand-written backward of every primitive ---------------------------------
def test_cross_entropy_finite_difference():
    weight = on_device(_uniform((4,), seed=1, low=0.5, high=2.0))
    labels = on_device(_labels((3, 2), 4, ignored=1))
    finite_difference_check(lambda x: loss.cross_entropy(x, labels, weight, label_smoothing=0.2, reduction="none"),
                            [(3, 4, 2)])
    finite_difference_check(lambda x: loss.cross_entropy(x, labels, weight, label_smoothing=0.2), [(3, 4, 2)])


def test_cross_entropy_probability_targets_finite_difference():
    weight = on_device(_uniform((4,), seed=1, low=0.5, high=2.0))
    finite_difference_check(lambda x, p: loss.cross_entropy(x, p, weight, label_smoothing=0.1, reduction="none"),
                            inputs=[_uniform((3, 4)), _probabilities((3,), 4)])


def test_binary_cross_entropy_finite_difference():
    weight = on_device(_uniform((3,), seed=2, low=0.5, high=2.0))
    finite_difference_check(lambda p, y: loss.binary_cross_entropy(p, y, weight, reduction="sum"),
                            inputs=[_uniform((2, 3), low=0.05, high=0.95), _uniform((2, 3), seed=1, low=0, high=1)])


def test_binary_cross_entropy_with_logits_finite_difference():
    weight = on_device(_uniform((2, 1), seed=2, low=0.5, high=2.0))
    pos_weight = on_device(_uniform((3,), seed=3, low=0.5, high=3.0))
    finite_difference_check(
        lambda x, y: loss.binary_cross_entropy_with_logits(x, y, weight, reduction="mean", pos_weight=pos_weight),
        inputs=[_uniform((2, 3)), _uniform((2, 3), seed=1, low=0, high=1)])


# ---- errors ------------------------------------------------------------------------------------------
def test_cross_entropy_target_shape_error_names_both_shapes():
    expected = r"cross_entropy: input \(N, C\) = \(4, 3\) needs target \(N,\) = \(4,\) of class indices in \[0, 3\), "
    with pytest.raises(ValueError, match=expected + r"got \(4, 1\)"):
        loss.cross_entropy(gb.zeros(4, 3), gb.zeros(4, 1, dtype=gb.int64))
    with pytest.raises(ValueError, match=r"\(N, C, d1, d2\) = \(2, 3, 4, 5\) needs target \(N, d1, d2\) = \(2, 4, 5\)"):
        loss.cross_entropy(gb.zeros(2, 3, 4, 5), gb.zeros(2, 4, dtype=gb.int64))


@pytest.mark.parametrize("bad", [3, -1])
def test_cross_entropy_target_out_of_range(bad):
    target = gb.tensor([0, bad, 2, 1])
    with pytest.raises(IndexError, match=rf"class indices in \[0, 3\) or ignore_index=-100, got {bad} at position "
                                         r"\(1,\)"):
        loss.cross_entropy(gb.zeros(4, 3), target)
    with pytest.raises(IndexError, match="nll_loss"):
        loss.nll_loss(gb.zeros(4, 3), target)


def test_cross_entropy_rejects_float_class_indices():
    with pytest.raises(TypeError, match=r"integer class indices, got a float32 target of shape \(4,\).*"
                                        r"class probabilities"):
        loss.cross_entropy(gb.zeros(4, 3), gb.tensor([0.0, 1.0, 2.0, 1.0]))


def test_cross_entropy_argument_errors():
    logits = gb.zeros(4, 3)
    labels = gb.tensor([0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"weight must hold one value per class, shape \(3,\), got \(4,\)"):
        loss.cross_entropy(logits, labels, weight=gb.ones(4))
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        loss.cross_entropy(logits, labels, label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction must be one of"):
        loss.cross_entropy(logits, labels, reduction="average")
    with pytest.raises(ValueError, match="ignore_index=0 needs class-index targets"):
        loss.cross_entropy(logits, gb.full((4, 3), 1 / 3), ignore_index=0)
    with pytest.raises(TypeError, match="floating point"):
        loss.cross_entropy(gb.zeros(4, 3, dtype=gb.int64), labels)


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
def test_binary_cross_entropy_rejects_values_outside_zero_one(value):
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must hold probabilities in \[0, 1\]"):
        loss.binary_cross_entropy(gb.tensor([0.2, value]), gb.tensor([0.0, 1.0]))


def test_binary_cross_entropy_shape_errors():
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target \(4,\) must have the "
                                         r"input's shape \(4, 1\)"):
        loss.binary_cross_entropy_with_logits(gb.zeros(4, 1), gb.zeros(4))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) must broadcast to the input's shape \(4, 3\)"):
        loss.binary_cross_entropy_with_logits(gb.zeros(4, 3), gb.zeros(4, 3), pos_weight=gb.ones(2))
    with pytest.raises(ValueError, match=r"weight of shape \(4, 3, 1\) must broadcast"):
        loss.binary_cross_entropy(gb.zeros(4, 3), gb.zeros(4, 3), weight=gb.ones(4, 3, 1))
