import runpy
from pathlib import Path

import pytest

from glassbox.text.lemmatize import resolve_wordnet_dir

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "stemming_vs_lemmatization.py"

pytest.importorskip("nltk")
if not (resolve_wordnet_dir() / "index.noun").is_file():
    pytest.skip("needs the WordNet 3.0 database (Debian wordnet-base; make system-deps)", allow_module_level=True)


def test_prints_the_notes_table(capsys):
    rows = runpy.run_path(str(EXAMPLE))["main"]()
    output = capsys.readouterr().out.splitlines()
    # the notes: word, Porter stem, WordNet lemma
    assert [(word, stem, lemma) for word, _, stem, lemma in rows[:4]] == [
        ("information", "inform", "information"), ("informative", "inform", "informative"),
        ("computers", "comput", "computer"), ("feet", "feet", "foot")]
    assert [(word, pos, stem, lemma) for word, pos, stem, lemma in rows[4:]] == [
        ("running", "v", "run", "run"), ("better", "a", "better", "good"), ("geese", "n", "gees", "goose"),
        ("studies", "v", "studi", "study")]
    assert output[0].split() == ["word", "PorterStemmer", "stemming", "WordNetLemmatizer", "lemmatization"]
    assert output[3].split() == ["computers", "comput", "computer"]
    assert output[4].split() == ["feet", "feet", "foot"]
