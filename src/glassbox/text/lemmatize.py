"""Lemmatization: the dictionary form of a word, looked up in WordNet.

The notes: "lemma is an actual language word" and "Lemmatization takes more time": unlike a stemmer
(computers → comput), a lemmatizer answers with a word of the language (computers → computer,
feet → foot), because it checks its candidates against a dictionary, and it needs the word's part of
speech: "running" is the verb "run" but also the noun "running".

This is WordNet's morphy, as NLTK's ``WordNetLemmatizer`` runs it, read straight from the WordNet 3.0
database files (``index.noun`` …, ``noun.exc`` …) in ``wordnet_dir`` (default ``$GLASSBOX_WORDNET``, else
``/usr/share/wordnet``, where Debian's wordnet-base puts them). For a word w and a part of speech p
(n noun, v verb, a adjective, s satellite adjective, r adverb):

1. if w is in p's exception list (feet → foot, ran → run, better → good well), the candidates are
   the forms listed there;
2. otherwise the candidates are w with each of p's suffix rules applied once, where w ends in that
   suffix (nouns: -s → "", -ses → -s, -ves → -f, -xes → -x, -zes → -z, -ches → -ch, -shes → -sh,
   -men → -man, -ies → -y; verbs: -s, -ies → -y, -es → -e, -es, -ed → -e, -ed, -ing → -e, -ing;
   adjectives: -er, -est, -er → -e, -est → -e; adverbs: none);
3. the lemmas are w itself and its candidates, in that order and without repeats, that are words of
   p in WordNet's index; the lemma returned is the shortest (the first of the shortest), or w unchanged
   if there is none.

Words are looked up as given: WordNet's index is lowercase, so lower-case words first ("Dogs" stays
"Dogs"). Multi-word entries are written with underscores ("ice_cream").
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

DEFAULT_WORDNET_DIR = "/usr/share/wordnet"
POS_TAGS = ("n", "v", "a", "s", "r")
_FILE_SUFFIX = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
_INDEX_POS = {"n": "n", "v": "v", "a": "a", "s": "a", "r": "r"}  # satellites are listed as adjectives

MORPHOLOGICAL_SUBSTITUTIONS = {
    "n": [("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
          ("men", "man"), ("ies", "y")],
    "v": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
    "a": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "r": [],
}
MORPHOLOGICAL_SUBSTITUTIONS["s"] = MORPHOLOGICAL_SUBSTITUTIONS["a"]


def resolve_wordnet_dir(path=None) -> Path:
    """The WordNet database folder: ``path``, else ``$GLASSBOX_WORDNET``, else /usr/share/wordnet."""
    return Path(path or os.environ.get("GLASSBOX_WORDNET") or DEFAULT_WORDNET_DIR)


def _open(folder: Path, name: str):
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(
            f"WordNetLemmatizer: the WordNet 3.0 database is not in {folder} (no {name}); install it "
            "(Debian/Ubuntu: apt-get install wordnet-base, or `make system-deps`) or point GLASSBOX_WORDNET "
            "at a folder holding index.noun, noun.exc, …")
    return open(path, encoding="utf-8")


@cache
def _lemma_index(folder: Path, file_suffix: str) -> dict[str, frozenset[str]]:
    """part of speech → the lemmas listed with it in ``index.<file_suffix>`` (one part of speech per file)."""
    lemmas: dict[str, set[str]] = {}
    with _open(folder, f"index.{file_suffix}") as file:
        for line in file:
            if line.startswith(" "):  # the licence header
                continue
            lemma, pos = line.split(maxsplit=2)[:2]
            lemmas.setdefault(pos, set()).add(lemma)
    return {pos: frozenset(words) for pos, words in lemmas.items()}


@cache
def _exceptions(folder: Path, file_suffix: str) -> dict[str, list[str]]:
    """inflected form → its base forms, from ``<file_suffix>.exc`` (a later line for a form wins)."""
    exceptions = {}
    with _open(folder, f"{file_suffix}.exc") as file:
        for line in file:
            terms = line.split()
            if terms:
                exceptions[terms[0]] = terms[1:]
    return exceptions


class WordNetLemmatizer:
    """``lemmatize(word, pos)`` as NLTK's WordNetLemmatizer, on the WordNet files in ``wordnet_dir``."""

    def __init__(self, wordnet_dir=None):
        self.wordnet_dir = resolve_wordnet_dir(wordnet_dir)

    def _check(self, word, pos) -> None:
        if not isinstance(word, str):
            raise TypeError(f"WordNetLemmatizer: expected a str word, got {word!r} ({type(word).__name__})")
        if pos not in POS_TAGS:
            raise ValueError(f"WordNetLemmatizer: pos must be one of {POS_TAGS} (n noun, v verb, a adjective, "
                             f"s satellite adjective, r adverb), got {pos!r}")

    def candidates(self, word: str, pos: str) -> list[str]:
        """Every lemma of ``word`` as ``pos`` that WordNet knows, ``word`` itself first (NLTK's ``_morphy``)."""
        self._check(word, pos)
        index = _lemma_index(self.wordnet_dir, _FILE_SUFFIX[pos])
        exceptions = _exceptions(self.wordnet_dir, _FILE_SUFFIX[pos])
        if word in exceptions:
            forms = exceptions[word]
        else:
            forms = [word[:-len(old)] + new for old, new in MORPHOLOGICAL_SUBSTITUTIONS[pos] if word.endswith(old)]
        lemmas = []
        for form in [word, *forms]:
            if form not in lemmas and form in index.get(_INDEX_POS[pos], ()):
                lemmas.append(form)
        return lemmas

    def lemmatize(self, word: str, pos: str = "n") -> str:
        """The shortest WordNet lemma of ``word`` as ``pos``, or ``word`` if WordNet has none:
        lemmatize("feet") == "foot", lemmatize("running", "v") == "run", lemmatize("better", "a") == "good"."""
        lemmas = self.candidates(word, pos)
        return min(lemmas, key=len) if lemmas else word

    def morphy(self, word: str, pos: str | None = None) -> str | None:
        """The first lemma of ``word`` for ``pos``, or trying n, v, a, r in turn when ``pos`` is None;
        None if there is none."""
        for tag in [pos] if pos else ["n", "v", "a", "r"]:
            lemmas = self.candidates(word, tag)
            if lemmas:
                return lemmas[0]
        return None

    def __repr__(self) -> str:
        return f"WordNetLemmatizer(wordnet_dir={str(self.wordnet_dir)!r})"


def lemmatize(word: str, pos: str = "n", wordnet_dir=None) -> str:
    """``WordNetLemmatizer(wordnet_dir).lemmatize(word, pos)``; the database is read once per folder."""
    return WordNetLemmatizer(wordnet_dir).lemmatize(word, pos)
