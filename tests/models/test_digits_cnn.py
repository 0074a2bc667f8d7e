import numpy as np
import pytest

import glassbox as gb
from glassbox import optim
from glassbox.data import DataLoader, TensorDataset, datasets
from glassbox.data import transforms as T
from glassbox.models import DigitsCNN
from glassbox.train import Trainer


def test_shapes_and_flat_rows():
    model = DigitsCNN()
    assert model(gb.randn(5, 64)).shape == (5, 10)
    assert model(gb.randn(5, 1, 8, 8)).shape == (5, 10)
    assert DigitsCNN(image_size=28)(gb.randn(2, 1, 28, 28)).shape == (2, 10)


class Augmented(TensorDataset):
    """Digits with small random rotations, shifts and zooms: the notes' data augmentation."""

    augment = T.RandomAffine(degrees=8, translate=(0.125, 0.125), scale=(0.9, 1.1))
    get_batch = None  # augment sample by sample

    def __getitem__(self, index):
        image, label = super().__getitem__(index)
        return self.augment(image), label


@pytest.mark.slow
def test_small_cnn_reaches_98_5_percent_on_digits():
    gb.manual_seed(1)
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    images = (train.data / 16.0).reshape(-1, 1, 8, 8)
    model = DigitsCNN()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    epochs = 30
    trainer = Trainer(model, "cross_entropy", optimizer, metrics=["accuracy"],
                      scheduler=optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs))
    trainer.fit(DataLoader(Augmented(images, train.targets), batch_size=32, shuffle=True), epochs=epochs, verbose=0)
    results = trainer.evaluate(((test.data / 16.0).reshape(-1, 1, 8, 8), test.targets))
    assert results["accuracy"] >= 0.985
    assert np.isfinite(results["loss"])
