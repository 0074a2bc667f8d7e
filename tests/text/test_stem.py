from pathlib import Path

import pytest

pytest.importorskip("nltk")
from nltk.stem.porter import PorterStemmer as NLTKPorterStemmer  # noqa: E402

from glassbox.text.stem import PorterStemmer, porter_stem, stem_tokens  # noqa: E402

WORD_LIST = Path("/usr/share/dict/american-english")
needs_word_list = pytest.mark.skipif(
    not WORD_LIST.is_file(), reason="needs /usr/share/dict/american-english (Debian wamerican; make system-deps)")


def test_the_notes_table():
    assert [porter_stem(word) for word in ["information", "informative", "computers", "feet"]] == [
        "inform", "inform", "comput", "feet"]


def test_porter_paper_examples_in_the_original_algorithm():
    # Porter (1980), step 1: the examples of the published algorithm, which later steps leave alone
    examples = {"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
                "feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor",
                "sing": "sing", "hopping": "hop", "tanned": "tan", "falling": "fall", "hissing": "hiss",
                "fizzed": "fizz", "failing": "fail", "filing": "file", "relational": "relat"}
    stemmer = PorterStemmer("ORIGINAL_ALGORITHM")
    assert {word: stemmer.stem(word) for word in examples} == examples


def test_nltk_extensions_are_the_default():
    assert PorterStemmer().mode == "NLTK_EXTENSIONS"
    assert porter_stem("dying") == "die" and porter_stem("skies") == "sky"  # NLTK's table of irregular forms
    assert PorterStemmer("ORIGINAL_ALGORITHM").stem("dying") == "dy"


def test_case_handling():
    assert porter_stem("Running") == "run"
    assert porter_stem("News", to_lowercase=False) == "New"
    assert stem_tokens(["Cats", "running", "happily"]) == ["cat", "run", "happili"]


def _words(step: int) -> list[str]:
    return WORD_LIST.read_text(encoding="utf-8").split("\n")[::step]


@needs_word_list
@pytest.mark.parametrize("mode", ["NLTK_EXTENSIONS", "MARTIN_EXTENSIONS", "ORIGINAL_ALGORITHM"])
def test_equals_nltk_on_a_sample_of_the_word_list(mode):
    words = _words(40)  # 2,600 words, capitalised, possessive and accented ones included
    reference = NLTKPorterStemmer(mode=mode)
    ours = PorterStemmer(mode)
    assert [ours.stem(word) for word in words] == [reference.stem(word) for word in words]
    if mode == "NLTK_EXTENSIONS":
        assert [porter_stem(word, to_lowercase=False) for word in words] == [
            reference.stem(word, to_lowercase=False) for word in words]


@pytest.mark.slow
@needs_word_list
def test_equals_nltk_on_the_whole_word_list():
    words = _words(1)
    reference = NLTKPorterStemmer()
    assert len(words) > 100_000
    assert [porter_stem(word) for word in words] == [reference.stem(word) for word in words]


def test_bad_input():
    with pytest.raises(TypeError, match="porter_stem: expected a str, got None"):
        porter_stem(None)
    with pytest.raises(TypeError, match="PorterStemmer.stem: expected a str, got 3"):
        PorterStemmer().stem(3)
    with pytest.raises(ValueError, match="mode must be one of"):
        PorterStemmer("SNOWBALL")
    with pytest.raises(TypeError, match="tokenize it first"):
        stem_tokens("some text")
