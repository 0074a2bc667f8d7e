"""The lemmatizer against NLTK's WordNetLemmatizer, both reading Debian's WordNet 3.0 files.

NLTK finds WordNet only in an nltk_data tree, so the tests build one in a temporary folder: links to
Debian's files plus the ``lexnames`` file that NLTK's reader insists on (Debian ships it elsewhere or
not at all; its content, WordNet's 45 lexicographer file names, only matters for synsets). Nothing is
downloaded.
"""

import atexit
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

from glassbox.text.lemmatize import WordNetLemmatizer, lemmatize, resolve_wordnet_dir

WORDNET = Path("/usr/share/wordnet")
WORD_LIST = Path("/usr/share/dict/american-english")
needs_wordnet = pytest.mark.skipif(not (WORDNET / "index.noun").is_file(),
                                   reason="needs the WordNet 3.0 database in /usr/share/wordnet (Debian wordnet-base; "
                                          "make system-deps)")
needs_word_list = pytest.mark.skipif(not WORD_LIST.is_file(),
                                     reason="needs /usr/share/dict/american-english (Debian wamerican)")

LEXNAMES = ("adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
            "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
            "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
            "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
            "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
            "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather "
            "adj.ppl").split()
_NLTK_READER = None  # built once per test session: parsing the index files takes a few seconds


def nltk_wordnet():
    """NLTK's WordNetCorpusReader on Debian's files, with two shortcuts that leave morphy untouched: files
    are read as plain text (NLTK's seekable stream reader needs ~20 s for the index files), and the
    multilingual version map is skipped (it needs index.sense, which Debian does not ship)."""
    global _NLTK_READER
    if _NLTK_READER is None:
        import nltk
        from nltk.corpus.reader.wordnet import WordNetCorpusReader

        class PlainFileWordNetReader(WordNetCorpusReader):
            def open(self, file):
                return open(os.path.join(self._root.path, file), encoding="utf8")

            def map_wn(self, version="wordnet"):
                return None

        nltk_data = tempfile.mkdtemp(prefix="glassbox-nltk-data-")
        atexit.register(shutil.rmtree, nltk_data, ignore_errors=True)
        root = Path(nltk_data) / "corpora" / "wordnet"
        root.mkdir(parents=True)
        for path in WORDNET.iterdir():
            if re.fullmatch(r"(index|data)\.(noun|verb|adj|adv)|(noun|verb|adj|adv)\.exc", path.name):
                (root / path.name).symlink_to(path)
        (root / "lexnames").write_text("".join(
            f"{index:02d}\t{name}\t{ {'adj': 3, 'adv': 4, 'noun': 1, 'verb': 2}[name.split('.')[0]]}\n"
            for index, name in enumerate(LEXNAMES)))
        nltk.data.path.insert(0, nltk_data)  # NLTK opens corpora only under its data paths
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "multilingual functions are not available"
                _NLTK_READER = PlainFileWordNetReader(str(root), None)
        finally:
            nltk.data.path.remove(nltk_data)
    return _NLTK_READER


@pytest.fixture
def nltk_lemmatizer(monkeypatch):
    """NLTK's own WordNetLemmatizer, reading the reader above."""
    nltk_corpus = pytest.importorskip("nltk.corpus")
    from nltk.stem import WordNetLemmatizer as NLTKWordNetLemmatizer

    monkeypatch.setattr(nltk_corpus, "wordnet", nltk_wordnet())
    return NLTKWordNetLemmatizer()


def _exception_forms(suffix: str) -> list[str]:
    return [line.split()[0] for line in (WORDNET / f"{suffix}.exc").read_text().splitlines() if line.strip()]


def _inflections(pos: str) -> list[str]:
    """Regular inflections of every 30th lowercase word of the word list, for one part of speech."""
    words = [word for word in WORD_LIST.read_text(encoding="utf-8").split("\n")[::30] if word.isalpha()
             and word.islower()]
    forms = []
    for word in words:
        if pos == "n":
            forms += [word + "s", word + "es", word[:-1] + "ies" if word.endswith("y") else word + "s",
                      word[:-1] + "ves" if word.endswith("f") else word, word.replace("man", "men")]
        elif pos == "v":
            stem = word[:-1] if word.endswith("e") else word
            forms += [word + "s", stem + "ing", stem + "ed", word + word[-1] + "ing", word + "es"]
        elif pos in ("a", "s"):
            stem = word[:-1] if word.endswith("e") else word
            forms += [stem + "er", stem + "est", word[:-1] + "ier" if word.endswith("y") else word]
        else:
            forms += [word + "ly", word]
    return sorted(set(forms + words))


def test_the_notes_table_and_the_brief_examples():
    if not (resolve_wordnet_dir() / "index.noun").is_file():
        pytest.skip("needs the WordNet 3.0 database (Debian wordnet-base; make system-deps)")
    assert [lemmatize(word) for word in ["information", "informative", "computers", "feet"]] == [
        "information", "informative", "computer", "foot"]
    assert lemmatize("running", "v") == "run" and lemmatize("running") == "running"
    assert lemmatize("better", "a") == "good" and lemmatize("better", "s") == "good"
    assert lemmatize("better", "r") == "well" and lemmatize("better", "v") == "better"
    assert lemmatize("Dogs") == "Dogs"  # looked up as given: WordNet's index is lowercase


@needs_wordnet
@needs_word_list
@pytest.mark.parametrize("pos, suffix", [("n", "noun"), ("v", "verb"), ("a", "adj"), ("s", "adj"), ("r", "adv")])
def test_equals_nltk_wordnet_lemmatizer(nltk_lemmatizer, pos, suffix):
    words = _inflections(pos) + _exception_forms(suffix) + ["Cats", "", "ice_creams", "us", "axes"]
    assert len(words) > 1500
    ours = WordNetLemmatizer(WORDNET)
    assert [ours.lemmatize(word, pos) for word in words] == [nltk_lemmatizer.lemmatize(word, pos) for word in words]
    # every candidate, in NLTK's order, not only the shortest
    reader = nltk_wordnet()
    assert [ours.candidates(word, pos) for word in words] == [reader._morphy(word, pos) for word in words]
    changed = sum(ours.lemmatize(word, pos) != word for word in words)
    assert changed > (5 if pos == "r" else 1000)  # the comparison exercised real lemmatization


@needs_wordnet
def test_morphy_tries_each_part_of_speech_like_nltk():
    reader = nltk_wordnet()
    ours = WordNetLemmatizer(WORDNET)
    for word in ["dogs", "ran", "better", "hardest", "churches", "abaci", "catss", "book", "best", "geese"]:
        assert ours.morphy(word) == reader.morphy(word)
        for pos in "nvar":
            assert ours.morphy(word, pos) == reader.morphy(word, pos)


def _write_database(folder: Path, index: dict[str, list[str]], exceptions: dict[str, list[str]]) -> None:
    """A tiny WordNet database: index.<pos> lines 'lemma pos 1 0 1 0 offset', <pos>.exc lines 'form base …'."""
    tags = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
    for suffix, tag in tags.items():
        lines = ["  1 a licence header line, skipped\n"]
        lines += [f"{lemma} {tag} 1 0 1 0 {1000 + number:08d}\n" for number, lemma in enumerate(index.get(suffix, []))]
        (folder / f"index.{suffix}").write_text("".join(lines))
        (folder / f"{suffix}.exc").write_text("".join(f"{form} {' '.join(bases)}\n"
                                                      for form, bases in exceptions.get(suffix, {}).items()))


def test_detachment_rules_on_a_small_database(tmp_path, monkeypatch):
    _write_database(tmp_path, {"noun": ["box", "wolf", "church", "fly", "man", "axis", "ax", "axe", "glass"],
                               "verb": ["hope", "hop", "try", "go", "box"],
                               "adj": ["big", "nice", "good"]},
                    {"noun": {"axes": ["axis", "ax", "axe"]}, "verb": {"went": ["go"], "hopping": ["hop"]},
                     "adj": {"better": ["good", "well"]}})
    monkeypatch.setenv("GLASSBOX_WORDNET", str(tmp_path))
    lemmatizer = WordNetLemmatizer()
    assert lemmatizer.wordnet_dir == tmp_path
    assert [lemmatizer.lemmatize(word) for word in ["boxes", "wolves", "churches", "flies", "men", "glasses"]] == [
        "box", "wolf", "church", "fly", "man", "glass"]
    assert lemmatizer.candidates("axes", "n") == ["axis", "ax", "axe"]  # the exception list replaces the rules
    assert lemmatizer.lemmatize("axes") == "ax"  # the first of the shortest
    assert [lemmatizer.lemmatize(word, "v") for word in ["tries", "went", "boxes", "hopping"]] == [
        "try", "go", "box", "hop"]
    # -ed → -e and -ed → "" both give verbs here; the shortest wins, as in NLTK
    assert lemmatizer.candidates("hoped", "v") == ["hope", "hop"] and lemmatizer.lemmatize("hoped", "v") == "hop"
    assert [lemmatizer.lemmatize(word, "a") for word in ["bigger", "nicest", "better", "biggest"]] == [
        "bigger", "nice", "good", "biggest"]  # no rule undoubles the consonant: bigger → bigg
    assert lemmatizer.lemmatize("boxes", "r") == "boxes"  # adverbs have no rules
    assert lemmatizer.morphy("went") == "go" and lemmatizer.morphy("zzz") is None


def test_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"WordNet 3\.0 database is not in .* \(no index\.noun\).*"
                                                r"wordnet-base.*GLASSBOX_WORDNET"):
        WordNetLemmatizer(tmp_path).lemmatize("dogs")


def test_bad_input(tmp_path):
    lemmatizer = WordNetLemmatizer(tmp_path)
    with pytest.raises(TypeError, match="expected a str word, got None"):
        lemmatizer.lemmatize(None)
    with pytest.raises(ValueError, match="pos must be one of .* got 'x'"):
        lemmatizer.lemmatize("dogs", "x")
