"""N-grams: runs of n consecutive tokens (or characters).

The notes' level-2 preprocessing: "Bag of words, TFIDF, Unigram, Bi, n-Gram". A bag of single words
(unigrams) forgets word order entirely: "not good" and "good, not" look alike. Counting n-grams as
features keeps some of it:

    tokens  = [the, food, was, not, good]
    bigrams = (the food) (food was) (was not) (not good)          n = 2: len(tokens) - n + 1 of them

Two conventions live here:

- ``ngrams``, ``bigrams``, ``trigrams``, ``everygrams`` and ``pad_sequence`` return tuples, with NLTK's
  names, arguments and order (``nltk.util``), e.g. for language models with <s> / </s> padding;
- ``word_ngrams``, ``char_ngrams`` and ``char_wb_ngrams`` return the strings that the vectorizers use
  as features, in scikit-learn's order (all unigrams, then all bigrams, …): "not good" is one feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_WHITESPACE_RUN = re.compile(r"\s\s+")


def _check_n(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"ngrams: {name} must be an integer >= 1, got {n!r}")
    return n


def check_ngram_range(ngram_range, caller: str = "ngrams") -> tuple[int, int]:
    """``(min_n, max_n)`` validated: integers with 1 <= min_n <= max_n."""
    try:
        min_n, max_n = ngram_range
    except (TypeError, ValueError):
        raise ValueError(f"{caller}: ngram_range must be a pair (min_n, max_n), got {ngram_range!r}") from None
    for value in (min_n, max_n):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{caller}: ngram_range must hold integers >= 1, got {ngram_range!r}")
    if min_n > max_n:
        raise ValueError(f"{caller}: ngram_range={ngram_range!r} has its lower bound above its upper bound")
    return min_n, max_n


def pad_sequence(sequence: Iterable, n: int, pad_left: bool = False, pad_right: bool = False,
                 left_pad_symbol=None, right_pad_symbol=None) -> list:
    """``sequence`` with n - 1 pad symbols before (``pad_left``) and/or after (``pad_right``) it."""
    n = _check_n(n)
    left = [left_pad_symbol] * (n - 1) if pad_left else []
    right = [right_pad_symbol] * (n - 1) if pad_right else []
    return [*left, *sequence, *right]


def ngrams(sequence: Iterable, n: int, **padding) -> list[tuple]:
    """The n-grams of ``sequence`` as tuples, in order; ``padding`` as in ``pad_sequence``.

    ngrams("abcd", 2) == [("a", "b"), ("b", "c"), ("c", "d")]
    """
    items = pad_sequence(sequence, n, **padding)
    return [tuple(items[start:start + n]) for start in range(len(items) - n + 1)]


def bigrams(sequence: Iterable, **padding) -> list[tuple]:
    return ngrams(sequence, 2, **padding)


def trigrams(sequence: Iterable, **padding) -> list[tuple]:
    return ngrams(sequence, 3, **padding)


def everygrams(sequence: Iterable, min_len: int = 1, max_len: int = -1, pad_left: bool = False,
               pad_right: bool = False, **pad_symbols) -> list[tuple]:
    """Every n-gram with min_len <= n <= max_len (max_len=-1: the sequence's length), grouped by start
    position and, from each start, shortest first (NLTK's order):

    everygrams("abc") == [(a,), (a, b), (a, b, c), (b,), (b, c), (c,)]
    """
    items = list(sequence)
    if max_len == -1:
        max_len = len(items)
    if max_len == 0:
        return []
    _check_n(min_len, "min_len")
    _check_n(max_len, "max_len")
    items = pad_sequence(items, max_len, pad_left, pad_right, **pad_symbols)
    return [tuple(items[start:start + length]) for start in range(len(items))
            for length in range(min_len, min(max_len, len(items) - start) + 1)]


def word_ngrams(tokens: Sequence[str], ngram_range: tuple[int, int] = (1, 1), separator: str = " ") -> list[str]:
    """The word n-grams of ``tokens`` for every n in ``ngram_range``, joined by ``separator``; all the
    min_n-grams first, then the (min_n + 1)-grams, … (scikit-learn's order)."""
    min_n, max_n = check_ngram_range(ngram_range)
    tokens = list(tokens)
    return [separator.join(tokens[start:start + n]) for n in range(min_n, min(max_n, len(tokens)) + 1)
            for start in range(len(tokens) - n + 1)]


def char_ngrams(text: str, ngram_range: tuple[int, int] = (1, 1)) -> list[str]:
    """The character n-grams of ``text`` after collapsing each run of whitespace to one space,
    across word boundaries ("ab c", n = 2: "ab" "b " " c")."""
    min_n, max_n = check_ngram_range(ngram_range)
    text = _WHITESPACE_RUN.sub(" ", text)
    return [text[start:start + n] for n in range(min_n, min(max_n, len(text)) + 1)
            for start in range(len(text) - n + 1)]


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = (1, 1)) -> list[str]:
    """Character n-grams inside word boundaries: each word is padded with one space on either side
    ("ab" → " ab "), and its n-grams never cross into the next word. A word shorter than n gives its
    padded self once ("a", n = 5: " a ")."""
    min_n, max_n = check_ngram_range(ngram_range)
    grams = []
    for word in _WHITESPACE_RUN.sub(" ", text).split():
        padded = f" {word} "
        for n in range(min_n, max_n + 1):
            grams.extend(padded[start:start + n] for start in range(max(len(padded) - n, 0) + 1))
            if len(padded) <= n:  # every longer n would give the same padded word again
                break
    return grams

