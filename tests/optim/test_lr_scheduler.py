"""Every schedule gives the same sequence of learning rates as torch.optim.lr_scheduler, epoch by epoch."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch

import glassbox as gb
import glassbox.optim as optim
from glassbox.optim import lr_scheduler

EPOCHS = 40


def make_optimizer(lib, o, momentum=0.9):
    params = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    return o.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], lr=0.1, momentum=momentum)


SCHEDULES = {
    "StepLR": lambda s, opt: s.StepLR(opt, step_size=7, gamma=0.5),
    "MultiStepLR": lambda s, opt: s.MultiStepLR(opt, milestones=[3, 10, 10, 25], gamma=0.3),
    "ExponentialLR": lambda s, opt: s.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda s, opt: s.CosineAnnealingLR(opt, T_max=12),
    "CosineAnnealingLR eta_min": lambda s, opt: s.CosineAnnealingLR(opt, T_max=15, eta_min=0.01),
    "LambdaLR": lambda s, opt: s.LambdaLR(opt, lambda epoch: 0.95**epoch),
    "LambdaLR per group": lambda s, opt: s.LambdaLR(opt, [lambda e: 1 / (1 + e), lambda e: min(1.0, (e + 1) / 5)]),
    "LinearLR warm-up": lambda s, opt: s.LinearLR(opt, start_factor=0.1, total_iters=5),
    "LinearLR decay": lambda s, opt: s.LinearLR(opt, start_factor=1.0, end_factor=0.2, total_iters=30),
    "SequentialLR warm-up then cosine": lambda s, opt: s.SequentialLR(
        opt, [s.LinearLR(opt, start_factor=0.25, total_iters=4), s.CosineAnnealingLR(opt, T_max=20)], milestones=[5]),
    "SequentialLR three phases": lambda s, opt: s.SequentialLR(
        opt, [s.LinearLR(opt, start_factor=0.5, total_iters=3), s.ExponentialLR(opt, gamma=0.8),
              s.StepLR(opt, step_size=4)], milestones=[6, 20]),
}


def lr_sequence(lib, o, schedule, epochs=EPOCHS):
    optimizer = make_optimizer(lib, o)
    scheduler = schedule(o.lr_scheduler, optimizer)
    sequence = [[group["lr"] for group in optimizer.param_groups]]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        assert scheduler.get_last_lr() == [group["lr"] for group in optimizer.param_groups]
        sequence.append(scheduler.get_last_lr())
    return np.array(sequence)


@pytest.mark.parametrize("schedule", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_lr_sequence_matches_torch(schedule):
    ours, theirs = lr_sequence(gb, optim, schedule), lr_sequence(torch, torch.optim, schedule)
    assert len(np.unique(ours)) > 2, "the schedule never changed the lr: the comparison would prove nothing"
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


def test_cosine_annealing_follows_its_closed_form():
    optimizer = make_optimizer(gb, optim)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)
    for epoch in range(1, 11):
        optimizer.step()
        scheduler.step()
        expected = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)


def test_linear_warm_up_reaches_the_base_lr():
    sequence = lr_sequence(gb, optim, SCHEDULES["LinearLR warm-up"], epochs=8)[:, 0]
    np.testing.assert_allclose(sequence[:6], 0.1 * np.array([0.1, 0.28, 0.46, 0.64, 0.82, 1.0]), rtol=1e-12)
    np.testing.assert_allclose(sequence[6:], 0.1, rtol=1e-12)


def test_two_schedulers_on_one_optimizer_compose_like_torch():
    def sequence(lib, o):
        optimizer = make_optimizer(lib, o)
        first = o.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
        second = o.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
        lrs = []
        for _ in range(EPOCHS):
            optimizer.step()
            first.step()
            second.step()
            lrs.append([group["lr"] for group in optimizer.param_groups])
        return np.array(lrs)

    np.testing.assert_allclose(sequence(gb, optim), sequence(torch, torch.optim), rtol=1e-13)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR decay"])
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name):
    def sequence(lib, o):
        optimizer = make_optimizer(lib, o)
        scheduler = SCHEDULES[name](o.lr_scheduler, optimizer)
        lrs = []
        for epoch in [3, 4, 9, 10, 11, 20, 19, 33]:
            optimizer.step()
            with pytest.warns(UserWarning, match="deprecated"):
                scheduler.step(epoch)
            lrs.append(scheduler.get_last_lr())
        return np.array(lrs)

    np.testing.assert_allclose(sequence(gb, optim), sequence(torch, torch.optim), rtol=1e-13)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "LambdaLR", "SequentialLR warm-up then cosine"])
def test_state_dict_round_trip_resumes_the_schedule(name):
    optimizer = make_optimizer(gb, optim)
    scheduler = SCHEDULES[name](lr_scheduler, optimizer)
    for _ in range(15):
        optimizer.step()
        scheduler.step()
    saved_optimizer, saved_scheduler = copy.deepcopy(optimizer.state_dict()), copy.deepcopy(scheduler.state_dict())
    expected = []
    for _ in range(15):
        optimizer.step()
        scheduler.step()
        expected.append(scheduler.get_last_lr())

    resumed_optimizer = make_optimizer(gb, optim)
    resumed = SCHEDULES[name](lr_scheduler, resumed_optimizer)
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_scheduler)
    got = []
    for _ in range(15):
        resumed_optimizer.step()
        resumed.step()
        got.append(resumed.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_resuming_with_last_epoch_matches_torch():
    def sequence(lib, o):
        optimizer = make_optimizer(lib, o)
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"]
        scheduler = o.lr_scheduler.ExponentialLR(optimizer, gamma=0.9, last_epoch=4)
        lrs = []
        for _ in range(5):
            optimizer.step()
            scheduler.step()
            lrs.append(scheduler.get_last_lr())
        return np.array(lrs)

    np.testing.assert_allclose(sequence(gb, optim), sequence(torch, torch.optim), rtol=1e-13)


def test_resuming_without_initial_lr_is_an_error():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(gb, optim), step_size=3, last_epoch=5)


def test_warns_when_the_scheduler_steps_before_the_optimizer():
    scheduler = lr_scheduler.StepLR(make_optimizer(gb, optim), step_size=3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()


def test_no_warning_in_the_right_order():
    optimizer = make_optimizer(gb, optim)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()


def test_sequential_lr_rejects_mismatched_milestones():
    optimizer = make_optimizer(gb, optim)
    with pytest.raises(ValueError, match="milestone"):
        lr_scheduler.SequentialLR(optimizer, [lr_scheduler.StepLR(optimizer, 2), lr_scheduler.StepLR(optimizer, 3)],
                                  milestones=[])


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.91, 0.92, 0.93, 0.94, 0.8, 0.8, 0.80001, 0.8, 0.81,
                   0.82, 0.83, 0.7, 0.7, 0.71, 0.72, 0.69, 0.69, 0.69, 0.69, 0.69, 0.69, 0.5, 0.51, 0.52, 0.53, 0.54,
                   0.55, 0.56, 0.57, 0.58, 0.59, 0.6, 0.61]

PLATEAU_OPTIONS = {
    "default patience": {"patience": 3},
    "max mode": {"mode": "max", "patience": 2, "factor": 0.5},
    "abs threshold": {"threshold_mode": "abs", "threshold": 0.05, "patience": 1},
    "max abs": {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 0, "factor": 0.8},
    "cooldown": {"patience": 1, "cooldown": 3, "factor": 0.5},
    "min_lr": {"patience": 0, "factor": 0.5, "min_lr": 0.02},
    "min_lr per group": {"patience": 1, "factor": 0.3, "min_lr": [0.01, 0.001]},
    "eps": {"patience": 0, "factor": 0.5, "eps": 0.02},
}


@pytest.mark.parametrize("options", PLATEAU_OPTIONS.values(), ids=PLATEAU_OPTIONS.keys())
def test_reduce_lr_on_plateau_matches_torch(options):
    def sequence(lib, o):
        optimizer = make_optimizer(lib, o)
        scheduler = o.lr_scheduler.ReduceLROnPlateau(optimizer, **options)
        lrs = []
        for metric in PLATEAU_METRICS:
            optimizer.step()
            scheduler.step(gb.tensor(metric, dtype=gb.float64) if lib is gb else metric)
            lrs.append(scheduler.get_last_lr() + [scheduler.num_bad_epochs, scheduler.cooldown_counter, scheduler.best])
        return np.array(lrs)

    ours, theirs = sequence(gb, optim), sequence(torch, torch.optim)
    assert len(np.unique(ours[:, 0])) > 1, "the lr was never reduced: the comparison would prove nothing"
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)


def test_reduce_lr_on_plateau_state_dict_round_trip():
    optimizer = make_optimizer(gb, optim)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, cooldown=2)
    for metric in PLATEAU_METRICS[:12]:
        scheduler.step(metric)
    saved = copy.deepcopy(scheduler.state_dict())
    resumed = lr_scheduler.ReduceLROnPlateau(make_optimizer(gb, optim))
    resumed.load_state_dict(saved)
    assert (resumed.best, resumed.num_bad_epochs, resumed.cooldown_counter, resumed.patience) == (
        scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter, 1)


def test_reduce_lr_on_plateau_rejects_bad_options():
    optimizer = make_optimizer(gb, optim)
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(optimizer, factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(optimizer, mode="lowest")
    with pytest.raises(ValueError, match="threshold_mode"):
        lr_scheduler.ReduceLROnPlateau(optimizer, threshold_mode="ratio")
    with pytest.raises(ValueError, match="min_lrs"):
        lr_scheduler.ReduceLROnPlateau(optimizer, min_lr=[0.1])
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR warm-up",
                                  "SequentialLR warm-up then cosine"])
def test_state_dict_has_torchs_keys_and_a_torch_state_resumes_here(name):
    ours_optimizer, theirs_optimizer = make_optimizer(gb, optim), make_optimizer(torch, torch.optim)
    ours = SCHEDULES[name](lr_scheduler, ours_optimizer)
    theirs = SCHEDULES[name](torch.optim.lr_scheduler, theirs_optimizer)
    for _ in range(12):
        theirs_optimizer.step()
        theirs.step()
    assert set(ours.state_dict()) == set(theirs.state_dict())
    for group, their_group in zip(ours_optimizer.param_groups, theirs_optimizer.param_groups, strict=True):
        group["lr"] = their_group["lr"]
    ours.load_state_dict(copy.deepcopy(theirs.state_dict()))
    for _ in range(20):
        ours_optimizer.step()
        ours.step()
        theirs_optimizer.step()
        theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)
