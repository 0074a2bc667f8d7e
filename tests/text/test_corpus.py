import os
import time
from pathlib import Path

import pytest

from glassbox.text import corpus

WORDNET = Path(corpus.DEFAULT_WORDNET_PATH)
needs_wordnet = pytest.mark.skipif(
    not (WORDNET / "data.noun").is_file(),
    reason="WordNet 3.0 is not installed at /usr/share/wordnet (Debian package wordnet-base: `make system-deps`)",
)

LICENCE = "  1 This software and database is being provided to you, the LICENSEE, by  \n"
NOUN_LINES = [
    "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 002 @ 02083346 n 0000 ~ 01322604 n 0000 | a member "
    "of the genus Canis (probably descended from the common wolf); occurs in many breeds; \"the dog barked all "
    "night\"  \n",
    "02121620 05 n 02 cat 0 true_cat 0 001 @ 02120997 n 0000 | feline mammal usually having thick soft fur  \n",
    "10223177 18 n 01 king 0 000 | a male sovereign; ruler of a kingdom  \n",
]
ADJECTIVE_LINE = "01552162 00 s 01 galore(ip) 0 000 | in great numbers; \"daffodils galore\"; \"bargains galore\"  \n"


def write_wordnet(folder: Path, noun_lines=NOUN_LINES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.noun").write_text(LICENCE + "".join(noun_lines))
    (folder / "data.verb").write_text(LICENCE + "00001740 29 v 01 breathe 0 000 | draw air into the lungs  \n")
    (folder / "data.adj").write_text(LICENCE + ADJECTIVE_LINE)
    (folder / "data.adv").write_text(LICENCE)
    return folder


def test_a_gloss_splits_into_definitions_and_quoted_examples():
    assert corpus.parse_gloss('a small dog; "the puppy barked"; "it slept"  ') == (
        ["a small dog"], ["the puppy barked", "it slept"])
    assert corpus.parse_gloss("a male sovereign; ruler of a kingdom") == (
        ["a male sovereign", "ruler of a kingdom"], [])
    assert corpus.parse_gloss('in great numbers; "daffodils galore"') == (["in great numbers"], ["daffodils galore"])


def test_a_data_line_gives_words_lexicographer_file_and_tokenised_sentences():
    gloss = corpus.parse_data_line(NOUN_LINES[0], "noun")
    assert gloss.offset == 2084071 and gloss.part_of_speech == "noun"
    assert gloss.lexicographer_file == "noun.animal"
    assert gloss.lemmas == ("dog", "domestic_dog", "canis_familiaris")
    assert gloss.definitions == (
        ("a", "member", "of", "the", "genus", "canis", "probably", "descended", "from", "the", "common", "wolf"),
        ("occurs", "in", "many", "breeds"),
    )
    assert gloss.examples == (("the", "dog", "barked", "all", "night"),)
    adjective = corpus.parse_data_line(ADJECTIVE_LINE, "adj")
    assert adjective.lemmas == ("galore",)  # the syntactic marker "(ip)" is not part of the word
    assert adjective.lexicographer_file == "adj.all"
    with pytest.raises(ValueError, match="not a WordNet data line"):
        corpus.parse_data_line("garbage", "noun")


def test_sentences_put_the_synset_words_before_the_first_definition(tmp_path):
    folder = write_wordnet(tmp_path / "wn")
    sentences = corpus.wordnet_sentences(path=folder)
    assert sentences[0][:6] == ["dog", "domestic", "dog", "canis", "familiaris", "a"]
    assert ["occurs", "in", "many", "breeds"] in sentences
    assert ["the", "dog", "barked", "all", "night"] in sentences
    assert ["cat", "true", "cat", "feline", "mammal", "usually", "having", "thick", "soft", "fur"] in sentences
    plain = corpus.wordnet_sentences(path=folder, include_lemmas=False)
    assert plain[0][0] == "a" and len(plain) == len(sentences)
    assert corpus.wordnet_sentences(path=folder, limit=2) == sentences[:2]
    nouns_only = corpus.wordnet_sentences(path=folder, parts_of_speech=("noun",))
    assert all("breathe" not in sentence for sentence in nouns_only)
    assert ["daffodils", "galore"] in sentences and ["draw", "air", "into", "the", "lungs"] in plain


def test_the_parsed_glosses_are_cached_until_a_file_changes(tmp_path):
    folder = write_wordnet(tmp_path / "wn")
    first = corpus.load_wordnet_glosses(path=folder)
    second = corpus.load_wordnet_glosses(path=folder)
    assert [g.offset for g in first] == [2084071, 2121620, 10223177, 1740, 1552162]
    assert all(a is b for a, b in zip(first, second, strict=True))  # the same objects: parsed once
    time.sleep(0.01)
    write_wordnet(folder, NOUN_LINES[:1])
    os.utime(folder / "data.noun", ns=(time.time_ns(), time.time_ns() + 10**9))
    assert [g.offset for g in corpus.load_wordnet_glosses(path=folder)] == [2084071, 1740, 1552162]


def test_the_path_comes_from_the_argument_or_the_environment(tmp_path, monkeypatch):
    folder = write_wordnet(tmp_path / "elsewhere")
    monkeypatch.setenv("GLASSBOX_WORDNET", str(folder))
    assert corpus.wordnet_path() == folder
    assert len(corpus.load_wordnet_glosses()) == 5
    with pytest.raises(FileNotFoundError, match=r"no WordNet 3.0 database at .*missing data.noun.*wordnet-base"):
        corpus.wordnet_sentences(path=tmp_path / "missing")
    with pytest.raises(ValueError, match="unknown part of speech"):
        corpus.load_wordnet_glosses(path=folder, parts_of_speech=("nouns",))


def test_a_text_file_becomes_sentences_of_lower_cased_words(tmp_path):
    text = tmp_path / "story.txt"
    text.write_text('The Dog barked. "Why?" asked Mr. Smith.\n\nIt didn\'t stop... ;;\n\n!!!')
    assert corpus.read_text_sentences(text) == [
        ["the", "dog", "barked"], ["why", "asked", "mr", "smith"], ["it", "didn't", "stop"]]
    with pytest.raises(FileNotFoundError, match="no text file"):
        corpus.read_text_sentences(tmp_path / "absent.txt")


@needs_wordnet
def test_the_installed_wordnet_has_every_synset_and_its_glosses():
    glosses = corpus.load_wordnet_glosses()
    assert len(glosses) == 117659  # WordNet 3.0's synsets: 82115 nouns, 13767 verbs, 18156 adjectives, 3621 adverbs
    dog = next(g for g in glosses if g.offset == 2084071 and g.part_of_speech == "noun")
    assert dog.lemmas[0] == "dog" and dog.lexicographer_file == "noun.animal"
    assert ("the", "dog", "barked", "all", "night") in dog.examples
    sentences = corpus.wordnet_sentences()
    assert 180_000 < len(sentences) < 200_000
    assert 1_600_000 < sum(len(s) for s in sentences) < 1_900_000
