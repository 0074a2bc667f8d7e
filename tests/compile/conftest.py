"""Shared data and the one comparison every compiled-operator test makes.

``same_as_sklearn(model, compiled, X)`` runs every prediction method the two
share: labels must be identical, numbers within 1e-6 (relative and absolute).
"""

import numpy as np
import pytest

from glassbox.compile.operator import METHODS

sklearn = pytest.importorskip("sklearn")
from sklearn import datasets  # noqa: E402


def _load(name):
    loader = {"digits": datasets.load_digits, "iris": datasets.load_iris, "wine": datasets.load_wine,
              "breast_cancer": datasets.load_breast_cancer, "diabetes": datasets.load_diabetes}[name]
    return loader(return_X_y=True)


CLASSIFICATION = ("digits", "iris", "wine", "breast_cancer")


@pytest.fixture(scope="session")
def bundled():
    """name -> (X, y) of the scikit-learn bundled datasets, loaded once."""
    return {name: _load(name) for name in (*CLASSIFICATION, "diabetes")}


@pytest.fixture(scope="session")
def synthetic():
    """Seeded make_classification (binary and 4-class) and make_regression data."""
    binary = datasets.make_classification(400, 12, n_informative=6, random_state=0)
    multiclass = datasets.make_classification(400, 12, n_informative=6, n_classes=4, random_state=1)
    regression = datasets.make_regression(400, 12, n_informative=6, noise=5.0, random_state=2)
    return {"binary": binary, "multiclass": multiclass, "regression": regression}


def compare(model, compiled, X, tolerance=1e-6):
    """Every shared method: labels identical, numbers within ``tolerance``. Returns the methods compared."""
    compared = []
    for method in METHODS:
        if not hasattr(model, method):
            assert not hasattr(compiled, method), f"compiled model has {method}, the original does not"
            continue
        assert hasattr(compiled, method), f"compiled {type(model).__name__} lacks {method}"
        expected = getattr(model, method)(X)
        if hasattr(expected, "toarray"):
            expected = expected.toarray()
        expected = np.asarray(expected)
        actual = np.asarray(getattr(compiled, method)(X))
        assert actual.shape == expected.shape, (method, actual.shape, expected.shape)
        if method == "predict" and (expected.dtype.kind not in "f" or hasattr(model, "classes_")):
            np.testing.assert_array_equal(actual, expected, err_msg=f"{type(model).__name__}.{method}")
        else:
            np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance,
                                       err_msg=f"{type(model).__name__}.{method}")
        compared.append(method)
    assert compared, "no method was compared"
    return compared


@pytest.fixture
def same_as_sklearn():
    return compare

