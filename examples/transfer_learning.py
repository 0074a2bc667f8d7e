"""Transfer learning: features learned on digits 0-4 help recognise digits 5-9 from few labels.

The notes: transfer learning is "storing knowledge gained while solving one problem and applying
it to a different but related problem" (what helps recognise cars helps recognise trucks); the
convolution layers "use filters to help recognise important features in an image", and learning
every weight from scratch needs data and time.

1. Source task: a small CNN (two 3×3 conv + max-pool blocks, then fully connected layers) learns
   digits 0-4 from all of their training images.
2. Target task: digits 5-9, with only 10 % of their training labels (about 14 images a class).
   - transfer: the source network is copied, its output layer replaced by a new one for the
     5 new classes (``replace_head``) and its convolutional ``features`` frozen (``freeze``), so
     only the classifier learns; then everything is fine-tuned a little, the reused features
     with a 10× smaller learning rate (``parameter_groups``);
   - scratch: the same architecture from fresh random weights, trained on the same 10 % for as
     many epochs in all.
3. Both are measured on the held-out test images of digits 5-9.

Each 8×8 digit is drawn at a random place on a 12×12 canvas (``--canvas 8`` keeps them centred).
On centred digits the comparison is not interesting: a few pixels separate them (logistic
regression on the raw pixels of the 70 labelled images already reaches about 93 %), a small CNN
learns them from 70 images as well as with reused features, and features learned on five other
classes add nothing. When a digit may be anywhere, the network must also learn to find its strokes
wherever they are, which 70 images teach poorly; the source task, whose images are each shown at
three positions, taught exactly that.

    python examples/transfer_learning.py [--fast] [--canvas 12] [--fraction 0.1] [--seed 0]
"""

import argparse

import numpy as np

import glassbox as gb
from glassbox import optim
from glassbox.data import datasets
from glassbox.models import DigitsCNN, freeze, parameter_groups, replace_head, unfreeze
from glassbox.models.transfer import trainable_parameters
from glassbox.train import Trainer


def digit_images(train: bool, digits: range, canvas: int, seed: int, copies: int = 1):
    """(N, 1, canvas, canvas) images in [0, 1], each 8×8 digit at a random place, and labels 0 … 4.

    ``copies`` draws every digit that many times, at independent places.
    """
    split = datasets.Digits(train=train)
    labels = split.targets.numpy()
    rows = np.isin(labels, list(digits))
    digit = np.repeat((split.data.numpy()[rows] / 16.0).reshape(-1, 8, 8), copies, axis=0)
    images = np.zeros((len(digit), 1, canvas, canvas), dtype=np.float32)
    corners = np.random.default_rng(seed).integers(0, canvas - 8 + 1, size=(len(digit), 2))
    for image, source, (top, left) in zip(images, digit, corners, strict=True):
        image[0, top:top + 8, left:left + 8] = source
    return images, np.repeat(labels[rows] - digits.start, copies).astype(np.int64)


def labelled_fraction(images, labels, fraction: float, seed: int):
    """The same fraction of every class, drawn with a seed: the small label budget."""
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:max(1, round(fraction * np.sum(labels == c)))]
                           for c in np.unique(labels)])
    return images[keep], labels[keep]


def train(model, parameters, data, epochs: int, batch_size: int = 16):
    trainer = Trainer(model, "cross_entropy", optim.Adam(parameters, lr=2e-3), metrics=["accuracy"])
    trainer.fit(data, epochs=epochs, batch_size=batch_size, verbose=0)
    return trainer


def accuracy(model, data) -> float:
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.0), metrics=["accuracy"])
    return trainer.evaluate(data)["accuracy"]


def main(fast: bool = False, canvas: int = 12, fraction: float = 0.1, seed: int = 0, verbose: bool = True) -> dict:
    source_epochs, target_epochs, fine_tune_epochs = (5, 30, 10) if fast else (10, 60, 20)
    source_train = digit_images(True, range(0, 5), canvas, seed, copies=3)
    target_train = labelled_fraction(*digit_images(True, range(5, 10), canvas, seed + 1), fraction, seed)
    target_test = digit_images(False, range(5, 10), canvas, seed + 2)

    # 1. the source task: digits 0-4, all their labels
    gb.manual_seed(seed)
    source = DigitsCNN(classes=5, image_size=canvas)
    train(source, source.parameters(), source_train, source_epochs)
    source_accuracy = accuracy(source, digit_images(False, range(0, 5), canvas, seed + 3))

    # 2a. transfer: the source network with a new head for digits 5-9 and frozen features
    gb.manual_seed(seed + 1)
    transfer = DigitsCNN(classes=5, image_size=canvas)
    transfer.load_state_dict(source.state_dict())
    replace_head(transfer, 5)
    freeze(transfer.features)
    train(transfer, trainable_parameters(transfer), target_train, target_epochs)
    frozen_accuracy = accuracy(transfer, target_test)
    # then fine-tune everything, the reused features ten times more gently
    unfreeze(transfer)
    groups = parameter_groups(transfer, {"features.*": 2e-4}, default_lr=2e-3)
    train(transfer, groups, target_train, fine_tune_epochs)
    fine_tuned_accuracy = accuracy(transfer, target_test)

    # 2b. scratch: the same architecture and label budget, fresh weights, as many epochs in all
    gb.manual_seed(seed + 1)
    scratch = DigitsCNN(classes=5, image_size=canvas)
    train(scratch, scratch.parameters(), target_train, target_epochs + fine_tune_epochs)
    scratch_accuracy = accuracy(scratch, target_test)

    results = {"labelled_images": len(target_train[1]), "test_images": len(target_test[1]),
               "source_accuracy": source_accuracy, "frozen_features_accuracy": frozen_accuracy,
               "fine_tuned_accuracy": fine_tuned_accuracy, "scratch_accuracy": scratch_accuracy}
    if verbose:
        print(f"digits drawn at random places on a {canvas}×{canvas} canvas")
        print(f"source task, digits 0-4 ({len(source_train[1])} training images): test accuracy {source_accuracy:.3f}")
        print(f"target task, digits 5-9 with {fraction:.0%} of the labels ({results['labelled_images']} images), "
              f"tested on {results['test_images']} images:")
        print(f"  reused frozen features + new head   accuracy {frozen_accuracy:.3f}")
        print(f"  then fine-tuned (features lr / 10)  accuracy {fine_tuned_accuracy:.3f}")
        print(f"  same network from scratch           accuracy {scratch_accuracy:.3f}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="fewer epochs")
    parser.add_argument("--canvas", type=int, default=12, help="side of the image each digit is placed on (8: centred)")
    parser.add_argument("--fraction", type=float, default=0.1, help="share of the digits 5-9 labels used")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    main(arguments.fast, arguments.canvas, arguments.fraction, arguments.seed)
