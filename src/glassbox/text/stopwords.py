"""Stopwords: words that carry little meaning on their own ("the", "is", "a").

The notes: "Stop words → words that actually does not put much value in the paragraph." Dropping them
before counting keeps a bag of words about the words that tell documents apart: "He is a good boy" and
"She is a good girl" become "good boy" and "good girl".

glassbox ships NLTK's English list (``nltk.corpus.stopwords.words("english")``, 179 lowercase words,
contraction fragments such as "don" and "ll" included) as the data file ``data/stopwords_english.txt``,
so nothing is downloaded. It is the list that ``stop_words="english"`` means in glassbox's vectorizers;
scikit-learn's ``"english"`` is a different, longer list (318 words) — pass
``sorted(sklearn.feature_extraction.text.ENGLISH_STOP_WORDS)`` to use that one.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources

LANGUAGES = ("english",)


@cache
def stopwords(language: str = "english") -> frozenset[str]:
    """The stopword set for ``language`` (read once from the package's data file)."""
    if language not in LANGUAGES:
        raise ValueError(f"stopwords: no stopword list for language {language!r}; available: {list(LANGUAGES)}")
    text = resources.files("glassbox.text").joinpath(f"data/stopwords_{language}.txt").read_text(encoding="utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(word for word in words if word and not word.startswith("#"))


def remove_stopwords(tokens: Iterable[str], stop_words: str | Iterable[str] = "english",
                     ignore_case: bool = True) -> list[str]:
    """``tokens`` without the stopwords, order kept.

    ``stop_words`` is a language name or a collection of words. With ``ignore_case`` a token is
    compared in lowercase ("The" is dropped like "the"); the tokens themselves are returned unchanged.
    """
    if isinstance(tokens, str):
        raise TypeError("remove_stopwords: expected a list of tokens, got a str; tokenize it first")
    stop_set = stopwords(stop_words) if isinstance(stop_words, str) else frozenset(stop_words)
    if ignore_case:
        return [token for token in tokens if token.lower() not in stop_set]
    return [token for token in tokens if token not in stop_set]
