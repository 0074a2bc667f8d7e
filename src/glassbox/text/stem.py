"""Stemming: cutting suffixes off words with fixed rules (Porter, 1980).

The notes: "Stemming and Lemmatization both generate the foundation sort of the inflected words and
therefore the only difference is that stem may not be an actual word whereas, lemma is an actual
language word", "∴ we use PorterStemmer() for Stemming purpose":

    word         Porter stem     WordNet lemma
    information  inform          information
    informative  inform          informative
    computers    comput          computer
    feet         feet            foot

Porter's algorithm rewrites suffixes in five steps, each rule guarded by the "measure" m of the stem
(the number of vowel-consonant sequences in it): step 1 plurals and -ed/-ing (caresses → caress,
ponies → poni, hopping → hop), steps 2-4 derivational suffixes when m > 0 or m > 1 (relational →
relate → relat, electricity → electric), step 5 a final -e and a double l. It never looks words up,
so it is fast and knows nothing of irregular forms (feet stays feet).

glassbox uses NLTK's implementation (``nltk.stem.PorterStemmer``, imported on first use) in its default
mode, NLTK_EXTENSIONS: the published algorithm plus Martin Porter's later corrections and a small
table of irregular forms (dying → die, skies → sky). ``porter_stem`` caches the stems it has computed,
since a corpus repeats its words many times.
"""

from __future__ import annotations

from functools import lru_cache

MODES = ("NLTK_EXTENSIONS", "MARTIN_EXTENSIONS", "ORIGINAL_ALGORITHM")


class PorterStemmer:
    """Porter's stemmer; ``mode`` as NLTK's: "NLTK_EXTENSIONS" (default), "MARTIN_EXTENSIONS" or
    "ORIGINAL_ALGORITHM"."""

    def __init__(self, mode: str = "NLTK_EXTENSIONS"):
        if mode not in MODES:
            raise ValueError(f"PorterStemmer: mode must be one of {MODES}, got {mode!r}")
        try:
            from nltk.stem.porter import PorterStemmer as NLTKPorterStemmer
        except ImportError as error:
            raise ImportError("PorterStemmer needs NLTK: pip install 'glassbox[text]'") from error
        self.mode = mode
        self._stemmer = NLTKPorterStemmer(mode=mode)

    def stem(self, word: str, to_lowercase: bool = True) -> str:
        """The stem of ``word`` (lower-cased first unless ``to_lowercase=False``)."""
        if not isinstance(word, str):
            raise TypeError(f"PorterStemmer.stem: expected a str, got {word!r} ({type(word).__name__})")
        return self._stemmer.stem(word, to_lowercase=to_lowercase)

    def __call__(self, word: str) -> str:
        return self.stem(word)

    def __repr__(self) -> str:
        return f"PorterStemmer(mode={self.mode!r})"


@lru_cache(maxsize=1)
def _default_stemmer() -> PorterStemmer:
    return PorterStemmer()


@lru_cache(maxsize=2 ** 16)
def _cached_stem(word: str, to_lowercase: bool) -> str:
    return _default_stemmer().stem(word, to_lowercase)


def porter_stem(word: str, to_lowercase: bool = True) -> str:
    """The Porter stem of ``word`` in NLTK's default mode: porter_stem("computers") == "comput"."""
    if not isinstance(word, str):
        raise TypeError(f"porter_stem: expected a str, got {word!r} ({type(word).__name__})")
    return _cached_stem(word, to_lowercase)


def stem_tokens(tokens, to_lowercase: bool = True) -> list[str]:
    """Each token replaced by its Porter stem."""
    if isinstance(tokens, str):
        raise TypeError("stem_tokens: expected a list of tokens, got a str; tokenize it first")
    return [porter_stem(token, to_lowercase) for token in tokens]
