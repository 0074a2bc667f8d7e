import numpy as np
import pytest
from sklearn import metrics as sk

import glassbox as gb
from glassbox.train import metrics

RNG = np.random.default_rng(0)
SCORES = RNG.normal(size=(200, 4)).astype(np.float32)
TARGETS = RNG.integers(0, 4, size=200)
PREDICTED = SCORES.argmax(1)


def test_accuracy_matches_sklearn_on_scores_and_tensors():
    assert metrics.accuracy(SCORES, TARGETS) == pytest.approx(sk.accuracy_score(TARGETS, PREDICTED))
    expected = sk.accuracy_score(TARGETS, PREDICTED)
    assert metrics.accuracy(gb.tensor(SCORES), gb.tensor(TARGETS)) == pytest.approx(expected)


def test_binary_outputs_are_thresholded():
    probabilities = np.array([0.1, 0.7, 0.4, 0.9])
    logits = np.array([-1.0, 2.0, -0.5, 0.3])
    truth = np.array([0, 1, 1, 1])
    assert metrics.accuracy(probabilities, truth) == 0.75
    assert metrics.accuracy(logits, truth) == 0.75


@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_precision_recall_f1_match_sklearn(average):
    assert metrics.precision(SCORES, TARGETS, average) == pytest.approx(
        sk.precision_score(TARGETS, PREDICTED, average=average, zero_division=0))
    assert metrics.recall(SCORES, TARGETS, average) == pytest.approx(
        sk.recall_score(TARGETS, PREDICTED, average=average, zero_division=0))
    assert metrics.f1_score(SCORES, TARGETS, average) == pytest.approx(
        sk.f1_score(TARGETS, PREDICTED, average=average, zero_division=0))


def test_binary_average():
    truth = RNG.integers(0, 2, size=50)
    predicted = RNG.integers(0, 2, size=50)
    assert metrics.f1_score(predicted, truth, "binary") == pytest.approx(sk.f1_score(truth, predicted))
    assert metrics.precision(predicted, truth, "binary") == pytest.approx(sk.precision_score(truth, predicted))


def test_confusion_matrix_matches_sklearn():
    assert np.array_equal(metrics.confusion_matrix(SCORES, TARGETS), sk.confusion_matrix(TARGETS, PREDICTED))


def test_top_k_accuracy_matches_sklearn():
    assert metrics.top_k_accuracy(SCORES, TARGETS, k=2) == pytest.approx(
        sk.top_k_accuracy_score(TARGETS, SCORES, k=2))


def test_regression_metrics_match_sklearn():
    truth = RNG.normal(size=100)
    predicted = truth + RNG.normal(scale=0.3, size=100)
    assert metrics.mean_squared_error(predicted, truth) == pytest.approx(sk.mean_squared_error(truth, predicted))
    assert metrics.mean_absolute_error(predicted, truth) == pytest.approx(sk.mean_absolute_error(truth, predicted))
    assert metrics.r2_score(predicted, truth) == pytest.approx(sk.r2_score(truth, predicted))


def test_streaming_metrics_equal_whole_set_values():
    accuracy, f1 = metrics.get_metric("accuracy"), metrics.get_metric("f1")
    for start in range(0, 200, 64):
        accuracy.update(SCORES[start:start + 64], TARGETS[start:start + 64])
        f1.update(SCORES[start:start + 64], TARGETS[start:start + 64])
    assert accuracy.compute() == pytest.approx(metrics.accuracy(SCORES, TARGETS))
    assert f1.compute() == pytest.approx(metrics.f1_score(SCORES, TARGETS))
    accuracy.reset()
    assert np.isnan(accuracy.compute())


def test_unknown_metric_lists_known_ones():
    with pytest.raises(ValueError, match="known: .*accuracy"):
        metrics.get_metric("acuracy")


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="3 predictions for 2 targets"):
        metrics.accuracy(np.array([0, 1, 1]), np.array([0, 1]))
