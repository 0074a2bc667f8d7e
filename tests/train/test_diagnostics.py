import math

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn, optim
from glassbox.train import Callback, Trainer
from glassbox.train.diagnostics import (
    GradientDiagnostics,
    dead_relu_fraction,
    dead_unit_fraction,
    dead_units,
    gradient_norms,
    plot_diagnostics,
)


def small_network(dropout=0.0):
    layers = [nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 8), nn.LeakyReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(8, 3))


def blobs(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5).astype(np.int64)
    return gb.tensor(x), gb.tensor(y)


def norms_by_hand(model):
    """sqrt(Σ grad²) over each layer's own parameters, in float64 NumPy."""
    return {name: math.sqrt(sum(float(np.sum(p.grad.numpy().astype(np.float64) ** 2))
                                for p in module.parameters(recurse=False)))
            for name, module in model.named_modules() if list(module.parameters(recurse=False))}


def test_gradient_norms_match_the_parameters_grad():
    gb.manual_seed(0)
    model = small_network()
    x, y = blobs()
    nn.functional.cross_entropy(model(x), y).backward()
    norms = gradient_norms(model)
    assert list(norms) == ["0", "2", "4"]  # the Linear layers, input to output; activations own nothing
    expected = norms_by_hand(model)
    for name, value in norms.items():
        assert value == pytest.approx(expected[name], rel=1e-12)
        assert value > 0


def test_gradient_norms_skip_layers_without_gradients():
    model = small_network()
    assert gradient_norms(model) == {}


class HandNorms(Callback):
    """Computes every step's gradient norms from .grad, independently of the callback under test."""

    def __init__(self):
        self.norms = []

    def on_train_batch_end(self, batch, logs=None):
        self.norms.append(norms_by_hand(self.trainer.model))


def test_recorded_gradient_norms_equal_norms_of_grad_after_each_step():
    gb.manual_seed(0)
    model = small_network()
    diagnostics, by_hand = GradientDiagnostics(every=1), HandNorms()
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), callbacks=[diagnostics, by_hand])
    trainer.fit(blobs(), epochs=2, batch_size=32, verbose=0)
    assert diagnostics.history["step"] == list(range(1, 7))
    assert diagnostics.history["epoch"] == [0, 0, 0, 1, 1, 1]
    for layer, series in diagnostics.history["gradient_norm"].items():
        assert series == pytest.approx([step[layer] for step in by_hand.norms], rel=1e-12)
    assert len(set(diagnostics.history["gradient_norm"]["0"])) == 6  # a new gradient every step


def test_every_k_steps_and_once_per_epoch():
    gb.manual_seed(0)
    model = small_network()
    every_two, per_epoch = GradientDiagnostics(every=2), GradientDiagnostics()
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), callbacks=[every_two, per_epoch])
    trainer.fit(blobs(), epochs=3, batch_size=32, verbose=0)  # 3 batches per epoch, 9 steps
    assert every_two.history["step"] == [2, 4, 6, 8]
    assert per_epoch.history["step"] == [3, 6, 9]
    assert set(per_epoch.history["dead_fraction"]) == {"1", "3"}
    assert all(len(v) == 3 for v in per_epoch.history["dead_fraction"].values())


def test_units_with_very_negative_bias_are_all_dead():
    gb.manual_seed(0)
    model = small_network()
    with gb.no_grad():
        model[0].bias.fill_(-100.0)  # every pre-activation of layer 0 is far below zero
        model[2].bias.fill_(-1.0)  # layer 2 then sees only zeros: its output is its bias
    x, _ = blobs()
    fractions = dead_relu_fraction(model, x)
    assert fractions == {"1": 1.0, "3": 1.0}
    with gb.no_grad():
        model[2].bias.fill_(1.0)
    assert dead_relu_fraction(model, x)["3"] == 0.0


def test_a_freshly_initialised_network_is_mostly_alive():
    gb.manual_seed(0)
    model = small_network()
    x, _ = blobs()
    fractions = dead_relu_fraction(model, x)
    assert set(fractions) == {"1", "3"}
    assert all(fraction < 0.5 for fraction in fractions.values())


def test_dead_relu_fraction_leaves_the_model_as_it_was():
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    dead_relu_fraction(model, blobs()[0])
    assert model.training
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])  # no running-statistics update


def test_dead_units_of_a_feature_map_are_channels():
    maps = np.zeros((2, 3, 4, 4), dtype=np.float32)
    maps[1, 0, 3, 3] = 0.5  # channel 0 fires once, in one sample, at one position
    maps[:, 2] = -1.0
    assert dead_units(gb.tensor(maps)).tolist() == [False, True, True]
    assert dead_unit_fraction(gb.tensor(maps)) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="dead_units"):
        dead_units(gb.tensor([1.0, 2.0]))


def test_recorded_dead_fraction_is_the_training_batchs_not_validations():
    # one unit that fires for positive inputs only: training inputs are positive, validation negative
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    with gb.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.fill_(0.0)
    train = (gb.ones(8, 1), gb.ones(8, 1))
    validation = (-gb.ones(8, 1), gb.ones(8, 1))
    diagnostics = GradientDiagnostics()
    trainer = Trainer(model, "mse", optim.SGD(model.parameters(), lr=0.0), callbacks=[diagnostics])
    trainer.fit(train, epochs=2, batch_size=4, validation_data=validation, verbose=0)
    assert diagnostics.history["dead_fraction"]["1"] == [0.0, 0.0]
    assert dead_relu_fraction(model, validation[0])["1"] == 1.0


def test_the_callback_does_not_change_training():
    x, y = blobs()

    def train(callbacks):
        gb.manual_seed(3)
        model = small_network(dropout=0.3)
        trainer = Trainer(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.01), callbacks=callbacks)
        trainer.fit((x, y), epochs=2, batch_size=16, verbose=0)
        return model

    plain, watched = train([]), train([GradientDiagnostics(every=1)])
    for (key, value), (_, other) in zip(plain.state_dict().items(), watched.state_dict().items(), strict=True):
        np.testing.assert_array_equal(value.numpy(), other.numpy(), err_msg=key)
    for module in watched.modules():
        assert not module._forward_hooks  # hooks are removed when training ends


def test_plot_diagnostics_writes_a_png(tmp_path):
    gb.manual_seed(0)
    model = small_network()
    diagnostics = GradientDiagnostics(every=1)
    Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), callbacks=[diagnostics]).fit(
        blobs(), epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "diagnostics.png"
    plot_diagnostics(diagnostics, path)
    assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match="empty"):
        plot_diagnostics(GradientDiagnostics(), tmp_path / "empty.png")


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="every"):
        GradientDiagnostics(every=0)
    with pytest.raises(ValueError, match="no activation module"):
        dead_relu_fraction(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), gb.ones(1, 2))


def test_a_model_without_rectifier_modules_records_gradient_norms_with_a_warning():
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 3))
    diagnostics = GradientDiagnostics(every=1)
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), callbacks=[diagnostics])
    with pytest.warns(UserWarning, match="no activation module"):
        trainer.fit(blobs(), epochs=1, batch_size=32, verbose=0)
    assert diagnostics.history["dead_fraction"] == {}
    assert set(diagnostics.history["gradient_norm"]) == {"0", "2"}
    assert len(diagnostics.history["gradient_norm"]["0"]) == 3
