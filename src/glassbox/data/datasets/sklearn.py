"""scikit-learn's bundled data sets as glassbox datasets, with a fixed train/test split.

    Digits         1797 x 64   8x8 images of digits, pixel values 0-16    10 classes
    Iris            150 x 4    flower measurements                        3 classes
    Wine            178 x 13   chemical analysis                          3 classes
    BreastCancer    569 x 30   cell nucleus measurements                  2 classes
    Diabetes        442 x 10   patient measurements (already scaled)      regression target

The split is seeded (``seed=0``) so ``Iris(train=True)`` and
``Iris(train=False)`` are always complementary, and stratified for the
classification sets so each class keeps its proportion in both halves.
Features are float32, class labels int64, regression targets float32. A
sample is ``(features, target)``; ``.data`` and ``.targets`` hold the split.

scikit-learn is imported only when one of these datasets is built.
"""

from __future__ import annotations

import numpy

from glassbox.data.collate import default_collate
from glassbox.data.dataset import TensorDataset
from glassbox.tensor import Tensor


class SklearnDataset(TensorDataset):
    """A scikit-learn toy data set split into train (``1 - test_fraction``) and test (``test_fraction``)."""

    loader = ""  # the name of the sklearn.datasets function
    classification = True

    def __init__(self, train: bool = True, test_fraction: float = 0.2, seed: int = 0,
                 transform=None, target_transform=None):
        try:
            import sklearn.datasets
            import sklearn.model_selection
        except ImportError as error:
            raise ImportError(f"{type(self).__name__} needs scikit-learn: pip install scikit-learn") from error
        if not 0 < test_fraction < 1:
            raise ValueError(f"{type(self).__name__}: test_fraction must be between 0 and 1, got {test_fraction}")
        bunch = getattr(sklearn.datasets, self.loader)()
        features = numpy.asarray(bunch.data, dtype=numpy.float32)
        targets = numpy.asarray(bunch.target, dtype=numpy.int64 if self.classification else numpy.float32)
        train_rows, test_rows = sklearn.model_selection.train_test_split(
            numpy.arange(len(features)), test_size=test_fraction, random_state=seed,
            stratify=targets if self.classification else None,
        )
        rows = train_rows if train else test_rows
        super().__init__(Tensor._wrap(features[rows]), Tensor._wrap(targets[rows]))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.feature_names = list(getattr(bunch, "feature_names", []))
        self.classes = [str(name) for name in bunch.target_names] if self.classification else None
        self.source_rows = rows  # where each sample sits in the full scikit-learn array

    @property
    def data(self) -> Tensor:
        return self.tensors[0]

    @property
    def targets(self) -> Tensor:
        return self.tensors[1]

    def __getitem__(self, index):
        features, target = super().__getitem__(index)
        if self.transform is not None:
            features = self.transform(features)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return features, target

    def get_batch(self, indices) -> list:
        if self.transform is not None or self.target_transform is not None:
            return default_collate([self[int(i)] for i in indices])
        return super().get_batch(indices)


class Digits(SklearnDataset):
    """8x8 images of handwritten digits, flattened to 64 features with values 0-16."""

    loader = "load_digits"


class Iris(SklearnDataset):
    """Fisher's iris flowers: 4 measurements, 3 species."""

    loader = "load_iris"


class Wine(SklearnDataset):
    """Chemical analysis of wines from 3 cultivars: 13 features."""

    loader = "load_wine"


class BreastCancer(SklearnDataset):
    """Wisconsin breast cancer diagnosis: 30 features, malignant or benign."""

    loader = "load_breast_cancer"


class Diabetes(SklearnDataset):
    """Disease progression one year after baseline (a float target) from 10 measurements."""

    loader = "load_diabetes"
    classification = False
