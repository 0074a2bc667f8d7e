import random

import pytest

from glassbox.text.ngrams import (
    bigrams,
    char_ngrams,
    char_wb_ngrams,
    check_ngram_range,
    everygrams,
    ngrams,
    pad_sequence,
    trigrams,
    word_ngrams,
)

nltk_util = pytest.importorskip("nltk.util")

TOKENS = ["the", "food", "was", "not", "good"]


def test_the_notes_bigrams():
    assert ngrams(TOKENS, 2) == [("the", "food"), ("food", "was"), ("was", "not"), ("not", "good")]
    assert word_ngrams(TOKENS, (2, 2)) == ["the food", "food was", "was not", "not good"]
    assert len(ngrams(TOKENS, 3)) == len(TOKENS) - 3 + 1


@pytest.mark.parametrize("padding", [{}, {"pad_left": True}, {"pad_right": True},
                                     {"pad_left": True, "pad_right": True, "left_pad_symbol": "<s>",
                                      "right_pad_symbol": "</s>"}])
def test_ngrams_equal_nltk(padding):
    generator = random.Random(0)
    for length in range(0, 8):
        sequence = [generator.choice("abcde") for _ in range(length)]
        for n in range(1, 6):
            assert ngrams(sequence, n, **padding) == list(nltk_util.ngrams(sequence, n, **padding))
            assert pad_sequence(sequence, n, **padding) == list(nltk_util.pad_sequence(sequence, n, **padding))
        assert bigrams(sequence, **padding) == list(nltk_util.bigrams(sequence, **padding))
        assert trigrams(sequence, **padding) == list(nltk_util.trigrams(sequence, **padding))


def test_everygrams_equal_nltk():
    assert everygrams("abc") == [("a",), ("a", "b"), ("a", "b", "c"), ("b",), ("b", "c"), ("c",)]
    for length in range(0, 7):
        sequence = list("abcdefg"[:length])
        assert everygrams(sequence) == list(nltk_util.everygrams(sequence))
        for min_len in range(1, 5):
            for max_len in range(min_len, 6):
                for padding in ({}, {"pad_left": True, "pad_right": True, "left_pad_symbol": "<s>",
                                     "right_pad_symbol": "</s>"}):
                    expected = list(nltk_util.everygrams(sequence, min_len, max_len, **padding))
                    assert everygrams(sequence, min_len, max_len, **padding) == expected, (sequence, min_len, max_len)


def test_string_ngrams_equal_scikit_learn_analyzers():
    text = pytest.importorskip("sklearn.feature_extraction.text")
    documents = ["the food was not good", "a  b\tc", "x", "", "Good,   very good!  naïve café"]
    for ngram_range in [(1, 1), (1, 2), (2, 3), (1, 4), (3, 6)]:
        words = text.CountVectorizer(ngram_range=ngram_range, lowercase=False, token_pattern=r"\S+").build_analyzer()
        chars = text.CountVectorizer(analyzer="char", ngram_range=ngram_range, lowercase=False).build_analyzer()
        chars_wb = text.CountVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=False).build_analyzer()
        for document in documents:
            assert word_ngrams(document.split(), ngram_range) == words(document)
            assert char_ngrams(document, ngram_range) == chars(document)
            assert char_wb_ngrams(document, ngram_range) == chars_wb(document)


def test_word_ngrams_separator_and_short_inputs():
    assert word_ngrams(["a", "b", "c"], (1, 3), separator="_") == ["a", "b", "c", "a_b", "b_c", "a_b_c"]
    assert word_ngrams(["a"], (2, 3)) == []
    assert char_wb_ngrams("ab", (5, 6)) == [" ab "]  # a word shorter than n counts once


@pytest.mark.parametrize("bad", [(0, 1), (2, 1), (1,), "12", (1.0, 2), (True, 2), None])
def test_bad_ngram_range(bad):
    with pytest.raises(ValueError, match="ngram_range"):
        check_ngram_range(bad)


@pytest.mark.parametrize("bad", [0, -1, 2.0, None])
def test_bad_n(bad):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        ngrams("abc", bad)
