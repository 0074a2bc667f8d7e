import math
from collections import Counter

import numpy as np
import pytest

import glassbox as gb
from english_corpus import real_corpus
from glassbox.text.count import NotFittedError
from glassbox.text.stopwords import stopwords
from glassbox.text.tfidf import TfidfVectorizer, inverse_document_frequency

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
scipy_sparse = pytest.importorskip("scipy.sparse")

NOTES_SENTENCES = ["good boy", "good girl", "boy girl good"]
CORPUS = real_corpus()
TRAIN, HELD_OUT = CORPUS[::2], CORPUS[1::2]
SKLEARN_ENGLISH = sorted(sklearn_text.ENGLISH_STOP_WORDS)


def test_the_notes_example():
    vectorizer = TfidfVectorizer(vocabulary=["good", "boy", "girl"])
    table = vectorizer.fit_transform(NOTES_SENTENCES).toarray()
    log = math.log(3 / 2)
    assert vectorizer.idf_.tolist() == [math.log(3 / 3), log, log]  # IDF = log(N / df), natural log
    np.testing.assert_allclose(table, [[0, log / 2, 0], [0, 0, log / 2], [0, log / 3, log / 3]], rtol=0, atol=1e-15)
    # "good" is in every sentence: idf 0, so no entry at all in the sparse matrix
    assert vectorizer.transform(NOTES_SENTENCES).nnz == 4


def test_the_notes_formula_on_a_real_corpus():
    """TF = count / words in the document, IDF = ln(N / df), computed here from scratch."""
    analyze = sklearn_text.CountVectorizer(stop_words=SKLEARN_ENGLISH).build_analyzer()
    documents = [analyze(document) for document in TRAIN]
    document_frequency = Counter(term for terms in documents for term in set(terms))
    vectorizer = TfidfVectorizer(stop_words=SKLEARN_ENGLISH, output="numpy")
    result = vectorizer.fit_transform(TRAIN)
    column = vectorizer.vocabulary_
    expected = np.zeros_like(result)
    for row, terms in enumerate(documents):
        for term, count in Counter(terms).items():
            expected[row, column[term]] = count / len(terms) * math.log(len(TRAIN) / document_frequency[term])
    np.testing.assert_allclose(result, expected, rtol=1e-13, atol=1e-15)
    # held-out documents: their own word counts, the training idf
    new_terms = analyze(HELD_OUT[3])
    row = vectorizer.transform([HELD_OUT[3]])[0]
    for term, count in Counter(new_terms).items():
        if term in column:
            assert row[column[term]] == pytest.approx(count / len(new_terms) * vectorizer.idf_[column[term]], rel=1e-13)


def test_notes_options_compose():
    """The notes' tf with scikit-learn's idf, or the reverse: every option is independent."""
    counts = sklearn_text.CountVectorizer().fit_transform(NOTES_SENTENCES).toarray().astype(float)
    frequency = counts / counts.sum(axis=1, keepdims=True)
    smoothed = np.log(4 / (1 + (counts > 0).sum(axis=0))) + 1
    result = TfidfVectorizer(idf="log+1", smooth_idf=True, norm="l1", output="numpy").fit_transform(NOTES_SENTENCES)
    weights = frequency * smoothed
    np.testing.assert_allclose(result, weights / weights.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(inverse_document_frequency(np.array([1, 3]), 3), [math.log(3), 0.0])


@pytest.mark.parametrize("options", [
    {},
    {"ngram_range": (1, 2)},
    {"min_df": 2, "max_df": 0.3},
    {"max_features": 80},
    {"max_features": 300, "ngram_range": (1, 2), "min_df": 2},
    {"stop_words": SKLEARN_ENGLISH},
    {"stop_words": ["the", "of", "a", "and", "or"], "binary": True},
    {"binary": True},
    {"sublinear_tf": True},
    {"sublinear_tf": True, "norm": None, "ngram_range": (1, 2)},
    {"norm": None},
    {"norm": "l1"},
    {"norm": "l1", "smooth_idf": False},
    {"smooth_idf": False, "min_df": 2},
    {"use_idf": False},
    {"use_idf": False, "norm": None, "binary": True},
    {"analyzer": "char_wb", "ngram_range": (2, 4), "max_features": 400},
    {"vocabulary": ["data", "class", "attribute", "unseen-term"]},
    {"dtype": np.float32},
])
def test_like_sklearn_equals_scikit_learn(options):
    ours = TfidfVectorizer.like_sklearn(**options)
    theirs = sklearn_text.TfidfVectorizer(**options)
    expected = theirs.fit_transform(TRAIN)
    result = ours.fit_transform(TRAIN)
    assert isinstance(result, scipy_sparse.csr_matrix) and result.dtype == expected.dtype
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    # float32: glassbox computes in float64 and rounds once at the end, scikit-learn in float32 throughout
    tolerance = 1e-6 if options.get("dtype") == np.float32 else 1e-12
    np.testing.assert_allclose(result.toarray(), expected.toarray(), rtol=0, atol=tolerance)
    np.testing.assert_allclose(ours.transform(HELD_OUT).toarray(), theirs.transform(HELD_OUT).toarray(),
                               rtol=0, atol=tolerance)
    if options.get("use_idf", True):
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=tolerance)


def test_english_stop_words_are_glassboxs_list():
    ours = TfidfVectorizer.like_sklearn(stop_words="english")
    theirs = sklearn_text.TfidfVectorizer(stop_words=sorted(stopwords("english")))
    np.testing.assert_allclose(ours.fit_transform(TRAIN).toarray(), theirs.fit_transform(TRAIN).toarray(),
                               rtol=0, atol=1e-12)


def test_dense_outputs():
    table = TfidfVectorizer(output="tensor").fit_transform(NOTES_SENTENCES)
    assert isinstance(table, gb.Tensor) and table.dtype == gb.float64 and table.shape == (3, 3)
    array = TfidfVectorizer(output="numpy").fit_transform(NOTES_SENTENCES)
    assert isinstance(array, np.ndarray) and np.array_equal(array, table.numpy())


def test_bad_input():
    with pytest.raises(ValueError, match="TfidfVectorizer: empty vocabulary; perhaps the documents only contain stop"):
        TfidfVectorizer(stop_words="english").fit(["the", "and of"])
    with pytest.raises(TypeError, match=r"TfidfVectorizer.fit: document 0 is None \(NoneType\); expected a str"):
        TfidfVectorizer().fit([None])
    with pytest.raises(ValueError, match="sublinear_tf=True .* needs tf='count'"):
        TfidfVectorizer(sublinear_tf=True).fit(NOTES_SENTENCES)
    with pytest.raises(ValueError, match="TfidfVectorizer: tf must be one of"):
        TfidfVectorizer(tf="log").fit(NOTES_SENTENCES)
    with pytest.raises(ValueError, match="TfidfVectorizer: idf must be one of"):
        TfidfVectorizer(idf="ln").fit(NOTES_SENTENCES)
    with pytest.raises(ValueError, match="TfidfVectorizer: norm must be one of"):
        TfidfVectorizer(norm="max").fit(NOTES_SENTENCES)
    with pytest.raises(ValueError, match="dtype must be a floating type"):
        TfidfVectorizer(dtype=np.int64).fit(NOTES_SENTENCES)
    with pytest.raises(ValueError, match=r"the terms \['cat'\] occur in none of the 3 documents, so their idf = "
                                         r"log\(N / 0\) is infinite"):
        TfidfVectorizer(vocabulary=["good", "cat"]).fit(NOTES_SENTENCES)
    with pytest.raises(NotFittedError, match="TfidfVectorizer: the idf is not fitted"):
        TfidfVectorizer().transform(NOTES_SENTENCES)
