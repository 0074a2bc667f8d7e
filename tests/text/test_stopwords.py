import pytest

from glassbox.text.stopwords import remove_stopwords, stopwords
from glassbox.text.tokenize import word_tokenize

# NLTK's English list as published in nltk_data (corpora/stopwords/english), in its order.
NLTK_ENGLISH = (
    "i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his "
    "himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom "
    "this that that'll these those am is are was were be been being have has had having do does did doing a an the "
    "and but if or because as until while of at by for with about against between into through during before after "
    "above below to from up down in out on off over under again further then once here there when where why how all "
    "any both each few more most other some such no nor not only own same so than too very s t can will just don "
    "don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn "
    "hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn "
    "shouldn't wasn wasn't weren weren't won won't wouldn wouldn't").split()


def test_english_list_is_nltks():
    english = stopwords("english")
    assert len(NLTK_ENGLISH) == 179 and english == frozenset(NLTK_ENGLISH)
    assert stopwords("english") is english  # read once


def test_the_notes_sentences_keep_their_content_words():
    sentences = ["He is a good boy", "She is a good girl", "Boy & girl are good"]
    kept = [remove_stopwords(word_tokenize(sentence.lower(), keep_punctuation=False)) for sentence in sentences]
    assert kept == [["good", "boy"], ["good", "girl"], ["boy", "girl", "good"]]


def test_remove_stopwords_options():
    tokens = ["The", "cat", "and", "THE", "dog"]
    assert remove_stopwords(tokens) == ["cat", "dog"]  # compared in lowercase, returned as given
    assert remove_stopwords(tokens, ignore_case=False) == ["The", "cat", "THE", "dog"]
    assert remove_stopwords(tokens, stop_words=["cat", "dog"]) == ["The", "and", "THE"]


def test_data_file_is_shipped_as_package_data():
    from importlib import resources

    assert resources.files("glassbox.text").joinpath("data/stopwords_english.txt").is_file()
    pyproject = (resources.files("glassbox").joinpath("../../pyproject.toml"))
    if pyproject.is_file():  # a source checkout: the wheel must carry the data file too
        assert '"glassbox.text" = ["data/*.txt"]' in pyproject.read_text()


def test_bad_input():
    with pytest.raises(ValueError, match="no stopword list for language 'klingon'"):
        stopwords("klingon")
    with pytest.raises(TypeError, match="tokenize it first"):
        remove_stopwords("the cat")
