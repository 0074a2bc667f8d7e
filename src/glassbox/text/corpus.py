"""An English corpus that is already on the machine: the glosses of WordNet 3.0, and any plain-text file.

Every line of WordNet's ``data.noun``, ``data.verb``, ``data.adj`` and ``data.adv`` describes one
synset; after the ``|`` comes its gloss, definitions separated by ``;`` and example sentences in
double quotes:

    02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 023 @ 02083346 n 0000 ... | a member of the
    genus Canis (probably descended from the common wolf) that has been domesticated by man since
    prehistoric times; occurs in many breeds; "the dog barked all night"

The second field is the lexicographer file (05 = noun.animal), which makes the glosses a labelled
corpus too. ``wordnet_sentences()`` turns the 117,659 glosses into about 190,000 tokenised,
lower-cased sentences (1.7 million words): each definition and each example is a sentence, and by
default the synset's own words head its first definition ("dog domestic dog canis familiaris a
member of the genus canis ..."), so that a word appears beside what defines it.

The directory is ``/usr/share/wordnet`` (Debian's wordnet-base) unless ``path=`` or the environment
variable ``GLASSBOX_WORDNET`` names another. Parsing takes about a second; the parsed glosses are
kept in memory, keyed by the directory and the files' modification times, so a second call is free.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORDNET_PATH = "/usr/share/wordnet"
PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")

# WordNet's lexnames file: the number in a data line's second field → the lexicographer file's name
LEXICOGRAPHER_FILES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*")
_cache: dict = {}


@dataclass(frozen=True)
class Gloss:
    """One synset's gloss: its words, definitions and examples (each a tuple of lower-cased tokens)."""

    offset: int
    part_of_speech: str  # "noun", "verb", "adj" or "adv"
    lexicographer_file: str  # "noun.animal" …
    lemmas: tuple  # ("dog", "domestic_dog", "canis_familiaris")
    definitions: tuple  # (("a", "member", "of", …), ("occurs", "in", "many", "breeds"))
    examples: tuple  # (("the", "dog", "barked", "all", "night"),)


def simple_tokenize(text: str) -> list[str]:
    """Lower-cased word tokens: runs of letters and digits, keeping inner apostrophes ("don't").

    Punctuation is dropped. It is ten times faster than ``glassbox.text.tokenize.word_tokenize``
    (Treebank rules, punctuation tokens), which matters for the 1.7 million words of the glosses.
    """
    return _WORD.findall(text.lower())


def wordnet_path(path=None) -> Path:
    """The WordNet directory: ``path``, else $GLASSBOX_WORDNET, else /usr/share/wordnet; checked to exist."""
    directory = Path(path or os.environ.get("GLASSBOX_WORDNET") or DEFAULT_WORDNET_PATH)
    missing = [f"data.{pos}" for pos in PARTS_OF_SPEECH if not (directory / f"data.{pos}").is_file()]
    if missing:
        raise FileNotFoundError(
            f"corpus: no WordNet 3.0 database at {directory} (missing {', '.join(missing)}); install Debian's "
            f"wordnet-base (`make system-deps`), or pass path= / set GLASSBOX_WORDNET to a directory holding "
            f"data.noun, data.verb, data.adj and data.adv"
        )
    return directory


def parse_gloss(gloss: str) -> tuple[list[str], list[str]]:
    """A gloss → (definitions, examples) as text: ';' separates the parts, double quotes mark the examples.

    >>> parse_gloss('a small dog; "the puppy barked"; "it slept"')
    (['a small dog'], ['the puppy barked', 'it slept'])
    """
    if '"' not in gloss:
        return [piece for piece in (part.strip(" ,:\n") for part in gloss.split(";")) if piece], []
    definitions, examples = [], re.findall(r'"([^"]*)"', gloss)
    for piece in re.sub(r'"[^"]*"', ";", gloss).split(";"):
        piece = piece.strip(" ,:\n")
        if piece:
            definitions.append(piece)
    return definitions, [example.strip() for example in examples if example.strip()]


def parse_data_line(line: str, part_of_speech: str) -> Gloss:
    """One line of a WordNet data file → a ``Gloss`` (see the module docstring for the layout)."""
    head, _, gloss = line.partition("|")
    fields = head.split(" ", 4)
    if len(fields) < 5:
        raise ValueError(f"corpus: not a WordNet data line: {line[:80]!r}")
    word_count = int(fields[3], 16)
    # only the words are needed, not the pointers after them: split no further than the last word
    words = fields[4].split(" ", 2 * word_count)[: 2 * word_count : 2]
    # an adjective may carry a syntactic marker: "galore(ip)"
    lemmas = tuple((word[: word.index("(")] if word.endswith(")") else word).lower() for word in words)
    lexname_number = int(fields[1])
    lexicographer_file = (LEXICOGRAPHER_FILES[lexname_number] if lexname_number < len(LEXICOGRAPHER_FILES)
                          else f"{part_of_speech}.{lexname_number}")
    definitions, examples = parse_gloss(gloss)
    return Gloss(
        offset=int(fields[0]),
        part_of_speech=part_of_speech,
        lexicographer_file=lexicographer_file,
        lemmas=lemmas,
        definitions=tuple(tuple(simple_tokenize(text)) for text in definitions),
        examples=tuple(tuple(simple_tokenize(text)) for text in examples),
    )


def load_wordnet_glosses(path=None, parts_of_speech=PARTS_OF_SPEECH) -> list[Gloss]:
    """Every synset's gloss, in the order of ``parts_of_speech`` (cached; see the module docstring)."""
    return list(iterate_wordnet_glosses(path, parts_of_speech))


def iterate_wordnet_glosses(path=None, parts_of_speech=PARTS_OF_SPEECH):
    """The glosses one by one: a file is parsed only as far as it is read, and cached once read to the end."""
    directory = wordnet_path(path)
    unknown = set(parts_of_speech) - set(PARTS_OF_SPEECH)
    if unknown:
        raise ValueError(f"corpus: unknown part of speech {sorted(unknown)}, expected some of {PARTS_OF_SPEECH}")
    for pos in parts_of_speech:
        file = directory / f"data.{pos}"
        status = file.stat()
        key = (str(file.resolve()), status.st_mtime_ns, status.st_size)
        if key in _cache:
            yield from _cache[key]
            continue
        parsed = []
        with open(file, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line[:1].isdigit():  # the licence at the top is indented; synset lines start with their offset
                    parsed.append(parse_data_line(line, pos))
                    yield parsed[-1]
        _cache[key] = tuple(parsed)


def gloss_sentences(gloss: Gloss, include_lemmas: bool = True) -> list[list[str]]:
    """The sentences of one gloss: its definitions, then its examples (lemmas head the first definition)."""
    sentences = [list(tokens) for tokens in gloss.definitions + gloss.examples if tokens]
    if include_lemmas:
        head = [word for lemma in gloss.lemmas for word in simple_tokenize(lemma.replace("_", " "))]
        if sentences and gloss.definitions and gloss.definitions[0]:
            sentences[0] = head + sentences[0]
        elif head:
            sentences.insert(0, head)
    return sentences


def wordnet_sentences(path=None, include_lemmas: bool = True, parts_of_speech=PARTS_OF_SPEECH,
                      limit: int | None = None) -> list[list[str]]:
    """The WordNet glosses as a list of sentences, each a list of lower-cased tokens.

    ``limit`` keeps the first ``limit`` sentences (a small, fast slice for tests).
    """
    sentences = []
    for gloss in iterate_wordnet_glosses(path, parts_of_speech):
        sentences.extend(gloss_sentences(gloss, include_lemmas))
        if limit is not None and len(sentences) >= limit:
            return sentences[:limit]
    return sentences


def read_text_sentences(path, encoding: str = "utf-8") -> list[list[str]]:
    """A plain-text file → sentences (``glassbox.text.tokenize.sent_tokenize``) of lower-cased word tokens.

    Sentences that hold no word are dropped.
    """
    from glassbox.text.tokenize import sent_tokenize

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"corpus: no text file at {file}")
    sentences = (simple_tokenize(sentence) for sentence in sent_tokenize(file.read_text(encoding=encoding)))
    return [tokens for tokens in sentences if tokens]
