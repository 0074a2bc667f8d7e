
import numpy as np
import pytest

import glassbox as gb
from english_corpus import real_corpus
from glassbox.text.count import CountVectorizer, NotFittedError
from glassbox.text.stopwords import stopwords

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
scipy_sparse = pytest.importorskip("scipy.sparse")

NOTES_SENTENCES = ["He is a good boy", "She is a good girl", "Boy & girl are good"]
CORPUS = real_corpus()
TRAIN, HELD_OUT = CORPUS[::2], CORPUS[1::2]
SKLEARN_ENGLISH = sorted(sklearn_text.ENGLISH_STOP_WORDS)


def assert_same_as_sklearn(ours, theirs, train=TRAIN, held_out=HELD_OUT):
    expected = theirs.fit_transform(train)
    result = ours.fit_transform(train)
    assert isinstance(result, scipy_sparse.csr_matrix) and result.dtype == expected.dtype
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert ours.vocabulary_ == theirs.vocabulary_
    assert result.shape == expected.shape and (result != expected).nnz == 0
    assert (ours.transform(held_out) != theirs.transform(held_out)).nnz == 0
    # the same terms per document (ours in column order, scikit-learn's in its storage order)
    for our_terms, their_terms in zip(ours.inverse_transform(result), theirs.inverse_transform(expected), strict=True):
        assert list(our_terms) == sorted(their_terms, key=ours.vocabulary_.get)


def test_the_notes_bag_of_words():
    vectorizer = CountVectorizer(stop_words="english", binary=True, vocabulary=["good", "boy", "girl"])
    table = vectorizer.fit_transform(NOTES_SENTENCES, ).toarray()
    assert table.tolist() == [[1, 1, 0], [1, 0, 1], [1, 1, 1]]
    learned = CountVectorizer(stop_words="english")  # learned vocabulary: columns in alphabetical order
    assert learned.fit_transform(NOTES_SENTENCES).toarray().tolist() == [[1, 0, 1], [0, 1, 1], [1, 1, 1]]
    assert list(learned.get_feature_names_out()) == ["boy", "girl", "good"]


@pytest.mark.parametrize("options", [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3), "lowercase": False},
    {"min_df": 2},
    {"min_df": 0.01, "max_df": 0.2},
    {"max_df": 5},
    {"max_features": 60},
    {"max_features": 200, "ngram_range": (1, 2), "min_df": 2},
    {"binary": True},
    {"binary": True, "max_features": 100},
    {"stop_words": SKLEARN_ENGLISH},
    {"stop_words": ["the", "of", "and", "a"], "ngram_range": (1, 2)},
    {"analyzer": "char", "ngram_range": (2, 3), "max_features": 500},
    {"analyzer": "char_wb", "ngram_range": (1, 3), "min_df": 3},
    {"strip_accents": "unicode", "token_pattern": r"(?u)\b\w+\b"},
    {"strip_accents": "ascii", "lowercase": False},
    {"token_pattern": r"(?u)\b(\w)\w*\b"},  # the group is the token: first letters
    {"dtype": np.float32},
])
def test_equals_scikit_learn(options):
    assert_same_as_sklearn(CountVectorizer(**options), sklearn_text.CountVectorizer(**options))


def test_english_stop_words_are_glassboxs_list():
    ours = CountVectorizer(stop_words="english")
    assert_same_as_sklearn(ours, sklearn_text.CountVectorizer(stop_words=sorted(stopwords("english"))))
    assert "the" not in ours.vocabulary_ and "don" not in ours.vocabulary_


@pytest.mark.parametrize("vocabulary", [["measurement", "data", "class", "unseen-term"],
                                        {"data": 1, "class": 0, "attribute": 2},
                                        {"data", "class", "attribute"}])
def test_given_vocabulary_equals_scikit_learn(vocabulary):
    ours, theirs = CountVectorizer(vocabulary=vocabulary), sklearn_text.CountVectorizer(vocabulary=vocabulary)
    assert_same_as_sklearn(ours, theirs)
    assert ours.fixed_vocabulary_
    # transform works without fit when the vocabulary is given
    assert (CountVectorizer(vocabulary=vocabulary).transform(HELD_OUT) != theirs.transform(HELD_OUT)).nnz == 0


def test_custom_callables_equal_scikit_learn():
    def tokenizer(text):
        return text.split()

    def preprocessor(text):
        return text.upper()

    def analyzer(text):
        return [word[:3] for word in text.split()]

    for options in [{"tokenizer": tokenizer, "token_pattern": None}, {"preprocessor": preprocessor},
                    {"analyzer": analyzer}, {"tokenizer": tokenizer, "token_pattern": None, "ngram_range": (1, 2)}]:
        assert_same_as_sklearn(CountVectorizer(**options), sklearn_text.CountVectorizer(**options))


def test_glassbox_tokenizer_plugs_in():
    from glassbox.text.tokenize import word_tokenize

    vectorizer = CountVectorizer(tokenizer=word_tokenize, token_pattern=None)
    vectorizer.fit(["Don't e-mail bob@example.com :)"])
    assert list(vectorizer.get_feature_names_out()) == [":)", "bob@example.com", "do", "e-mail", "n't"]


def test_dense_outputs():
    documents = ["good boy good", "good girl"]
    assert CountVectorizer(output="numpy").fit_transform(documents).tolist() == [[1, 0, 2], [0, 1, 1]]
    tensor = CountVectorizer(output="tensor").fit_transform(documents)
    assert isinstance(tensor, gb.Tensor) and tensor.dtype == gb.int64 and tensor.shape == (2, 3)
    assert tensor.numpy().tolist() == [[1, 0, 2], [0, 1, 1]]
    vectorizer = CountVectorizer().fit(documents)
    assert [list(terms) for terms in vectorizer.inverse_transform(tensor)] == [["boy", "good"], ["girl", "good"]]


@pytest.mark.parametrize("documents, error, message", [
    ("just one string", ValueError, r"CountVectorizer.fit: expected an iterable of str documents, got a single str"),
    (["fine", None], TypeError, r"CountVectorizer.fit: document 1 is None \(NoneType\); expected a str"),
    (["fine", 3.5], TypeError, r"document 1 is 3.5 \(float\); expected a str"),
    ([b"bytes"], TypeError, r"document 0 is b'bytes' \(bytes\); expected a str"),
    (42, TypeError, r"expected an iterable of str documents, got int"),
    (["the and of", "a is"], ValueError, r"CountVectorizer: empty vocabulary; perhaps the documents only contain "
                                         r"stop words"),
])
def test_bad_documents(documents, error, message):
    with pytest.raises(error, match=message):
        CountVectorizer(stop_words="english").fit(documents)


def test_bad_callables():
    with pytest.raises(TypeError, match=r"CountVectorizer: the tokenizer returned the token 9 \(int\); tokens must "
                                        r"be str"):
        CountVectorizer(tokenizer=lambda text: [len(text)]).fit(["some text"])
    with pytest.raises(TypeError, match="the tokenizer returned 'some text' \\(str\\); it must return a list"):
        CountVectorizer(tokenizer=lambda text: text).fit(["some text"])
    with pytest.raises(TypeError, match="the preprocessor returned None \\(NoneType\\); it must return a str"):
        CountVectorizer(preprocessor=lambda text: None).fit(["some text"])
    with pytest.raises(TypeError, match="the analyzer returned the feature 1 \\(int\\) for document 0"):
        CountVectorizer(analyzer=lambda text: [1, 2]).fit(["some text"])


def test_bad_parameters():
    documents = ["good boy", "good girl", "bad boy"]
    cases = [
        ({"ngram_range": (2, 1)}, "ngram_range=\\(2, 1\\) has its lower bound above its upper bound"),
        ({"ngram_range": (0, 1)}, "ngram_range must hold integers >= 1"),
        ({"min_df": 2, "max_df": 1}, "max_df=1 corresponds to fewer documents than min_df=2"),
        ({"min_df": 1.5}, "min_df as a fraction of the documents must lie in \\[0, 1\\]"),
        ({"max_df": 0}, "max_df as a number of documents must be >= 1"),
        ({"min_df": 3}, "after pruning, no terms remain; try a lower min_df or a higher max_df"),
        ({"max_features": 0}, "max_features must be None or an integer >= 1"),
        ({"analyzer": "sentence"}, "analyzer must be 'word', 'char', 'char_wb' or a callable"),
        ({"strip_accents": "latin"}, "strip_accents must be None, 'ascii', 'unicode' or a callable"),
        ({"stop_words": "french"}, "not a built-in stop list: 'french'"),
        ({"token_pattern": r"(\w)(\w)"}, "token_pattern .* has 2 capturing groups"),
        ({"vocabulary": ["a", "b", "a"]}, "duplicate term in vocabulary: 'a'"),
        ({"vocabulary": {"a": 0, "b": 2}}, "vocabulary of size 2 doesn't contain index 1"),
        ({"vocabulary": {"a": 0, "b": 0}}, "vocabulary contains repeated indices"),
        ({"vocabulary": []}, "empty vocabulary passed to fit"),
        ({"output": "dataframe"}, "output must be one of"),
    ]
    for options, message in cases:
        with pytest.raises(ValueError, match=f"CountVectorizer: {message}"):
            CountVectorizer(**options).fit(documents)


def test_not_fitted():
    with pytest.raises(NotFittedError, match="CountVectorizer: the vocabulary is not fitted; call fit"):
        CountVectorizer().transform(["text"])
    with pytest.raises(NotFittedError):
        CountVectorizer().get_feature_names_out()
    with pytest.raises(ValueError, match="expected a matrix with 3 columns, got shape \\(1, 2\\)"):
        CountVectorizer().fit(["a1 b2 c3"]).inverse_transform(np.ones((1, 2)))
