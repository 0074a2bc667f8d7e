"""OneHotEncoder and OrdinalEncoder compiled equal scikit-learn on numbers, strings, unknown and missing values."""

import numpy as np
import pytest
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

import glassbox.compile as gbc

NUMBERS = np.array([[0, 1.5], [1, 2.5], [2, 1.5], [1, 3.5], [0, 2.5]])
STRINGS = np.array([["red", "s"], ["green", "m"], ["blue", "l"], ["green", "s"]], dtype=object)


@pytest.mark.parametrize("drop", [None, "first", "if_binary"])
@pytest.mark.parametrize("data", [NUMBERS, STRINGS], ids=["numbers", "strings"])
def test_one_hot_encoder(same_as_sklearn, drop, data):
    encoder = OneHotEncoder(drop=drop, sparse_output=False).fit(data)
    same_as_sklearn(encoder, gbc.convert(encoder), data)


def test_one_hot_encoder_sparse_output_is_compiled_dense(same_as_sklearn):
    encoder = OneHotEncoder().fit(NUMBERS)
    assert isinstance(gbc.convert(encoder).transform(NUMBERS), np.ndarray)
    same_as_sklearn(encoder, gbc.convert(encoder), NUMBERS)


def test_one_hot_encoder_unknown_categories(same_as_sklearn):
    unseen = np.array([[5, 1.5], [1, 9.0]])
    ignoring = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(NUMBERS)
    same_as_sklearn(ignoring, gbc.convert(ignoring), unseen)
    strict = OneHotEncoder(sparse_output=False).fit(NUMBERS)
    with pytest.raises(ValueError, match="unknown categories"):
        gbc.convert(strict).transform(unseen)


def test_ordinal_encoder_strings_unknown_and_missing(same_as_sklearn):
    data = np.array([["a", "x"], ["b", None], ["c", "y"], ["a", "x"]], dtype=object)
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(data)
    probes = np.array([["b", "y"], ["z", None], ["c", "w"]], dtype=object)
    same_as_sklearn(encoder, gbc.convert(encoder), probes)


def test_ordinal_encoder_numbers_with_nan(same_as_sklearn):
    data = np.array([[1.0, 10.0], [np.nan, 20.0], [3.0, 10.0]])
    encoder = OrdinalEncoder(encoded_missing_value=-5).fit(data)
    same_as_sklearn(encoder, gbc.convert(encoder), data)


def test_infrequent_categories_are_refused():
    encoder = OneHotEncoder(min_frequency=2).fit(NUMBERS)
    with pytest.raises(gbc.UnsupportedModelError, match="infrequent categories"):
        gbc.convert(encoder)
