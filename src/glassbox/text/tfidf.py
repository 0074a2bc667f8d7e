"""TF-IDF: word counts weighted by how rare each word is across the documents.

The notes define, for a word w in a sentence s of a corpus of N sentences,

    TF(w, s) = (number of repetitions of w in s) / (number of words in s)
    IDF(w)   = log(N / number of sentences containing w)            (natural log)
    TF-IDF   = TF × IDF

"So we have to multiply TF & IDF to quantify words in a set of documents": a word found in every
sentence gets IDF = log(1) = 0 and no weight, a rare one a large weight. Their example, "good boy",
"good girl", "boy girl good":

                good   boy              girl
    Sent. 1      0     1/2 × log(3/2)   0
    Sent. 2      0     0                1/2 × log(3/2)
    Sent. 3      0     1/3 × log(3/2)   1/3 × log(3/2)

``TfidfVectorizer()`` computes exactly that (the number of words of a sentence is the number of terms its
analyzer produced: tokens after stopword removal, or n-grams). scikit-learn's TfidfVectorizer uses other
conventions, each an option here; ``TfidfVectorizer.like_sklearn()`` sets them all and then equals it:

    option          notes (default)              scikit-learn
    tf              "frequency": count / words   "count": the raw count
    sublinear_tf    False                        False (True: tf = 1 + ln(count))
    idf             "log": ln(N / df)            "log+1": ln(N / df) + 1, so a word in every
                                                 document keeps its counts
    smooth_idf      False                        True: N and df both + 1, as if one more document
                                                 held every word once (no division by zero)
    norm            None                         "l2": each row divided by its Euclidean length
                                                 ("l1": by the sum of its absolute values)

The other arguments, the fitted ``vocabulary_`` and ``idf_``, and the methods are CountVectorizer's
(``glassbox.text.count``) and scikit-learn's. The weights are computed in float64 and rounded once to
``dtype`` at the end (scikit-learn computes a float32 ``dtype`` in float32 throughout).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from glassbox.text.count import CountVectorizer, NotFittedError

TF_KINDS = ("frequency", "count")
IDF_KINDS = ("log", "log+1")
NORMS = (None, "l1", "l2")
SKLEARN_CONVENTIONS = {"tf": "count", "idf": "log+1", "smooth_idf": True, "norm": "l2"}


def inverse_document_frequency(document_frequency: np.ndarray, n_documents: int, kind: str = "log",
                               smooth: bool = False) -> np.ndarray:
    """idf = ln((N + s) / (df + s)) (+ 1 for kind "log+1"), s = 1 when ``smooth`` else 0."""
    smoothing = 1.0 if smooth else 0.0
    ratio = np.full(document_frequency.shape, n_documents + smoothing, dtype=np.float64)
    ratio /= document_frequency.astype(np.float64) + smoothing
    idf = np.log(ratio)
    return idf + 1.0 if kind == "log+1" else idf


def normalize_rows(matrix, norm: str):
    """Each row of the CSR ``matrix`` divided in place by its l1 or l2 norm (all-zero rows left as they are)."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    magnitudes = matrix.data ** 2 if norm == "l2" else np.abs(matrix.data)
    norms = np.bincount(rows, weights=magnitudes, minlength=matrix.shape[0])
    if norm == "l2":
        norms = np.sqrt(norms)
    norms[norms == 0.0] = 1.0
    matrix.data /= norms[rows]
    return matrix


class TfidfVectorizer(CountVectorizer):
    """Documents → a (n_documents, n_features) TF-IDF matrix: the notes' formula by default, scikit-learn's
    with ``TfidfVectorizer.like_sklearn()`` (see the module docstring)."""

    def __init__(self, *, strip_accents=None, lowercase: bool = True, preprocessor=None, tokenizer=None,
                 analyzer="word", stop_words=None, token_pattern: str | None = r"(?u)\b\w\w+\b",
                 ngram_range: tuple[int, int] = (1, 1), max_df=1.0, min_df=1, max_features: int | None = None,
                 vocabulary=None, binary: bool = False, dtype=np.float64, tf: str = "frequency", idf: str = "log",
                 norm: str | None = None, use_idf: bool = True, smooth_idf: bool = False, sublinear_tf: bool = False,
                 output: str = "sparse"):
        super().__init__(strip_accents=strip_accents, lowercase=lowercase, preprocessor=preprocessor,
                         tokenizer=tokenizer, analyzer=analyzer, stop_words=stop_words, token_pattern=token_pattern,
                         ngram_range=ngram_range, max_df=max_df, min_df=min_df, max_features=max_features,
                         vocabulary=vocabulary, binary=binary, dtype=dtype, output=output)
        self.tf = tf
        self.idf = idf
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    @classmethod
    def like_sklearn(cls, **options) -> TfidfVectorizer:
        """A TfidfVectorizer with scikit-learn's defaults (tf="count", idf="log+1", smooth_idf=True,
        norm="l2"); ``options`` override any argument."""
        return cls(**{**SKLEARN_CONVENTIONS, **options})

    def _check_parameters(self) -> None:
        super()._check_parameters()
        for name, value, allowed in (("tf", self.tf, TF_KINDS), ("idf", self.idf, IDF_KINDS),
                                     ("norm", self.norm, NORMS)):
            if value not in allowed:
                raise ValueError(f"TfidfVectorizer: {name} must be one of {allowed}, got {value!r}")
        if self.sublinear_tf and self.tf != "count":
            raise ValueError("TfidfVectorizer: sublinear_tf=True replaces a count c by 1 + ln(c); it needs "
                             "tf='count' (with tf='frequency', 1 + ln(c / words) would be negative)")
        if np.dtype(self.dtype).kind != "f":
            raise ValueError(f"TfidfVectorizer: dtype must be a floating type, got {np.dtype(self.dtype)}")

    def _fit_idf(self, counts) -> None:
        if not self.use_idf:
            return
        n_documents = counts.shape[0]
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        if not self.smooth_idf and (document_frequency == 0).any():
            names = self.get_feature_names_out()[document_frequency == 0]
            raise ValueError(f"TfidfVectorizer: the terms {list(names[:5])} occur in none of the {n_documents} "
                             "documents, so their idf = log(N / 0) is infinite; use smooth_idf=True or leave them "
                             "out of the vocabulary")
        self.idf_ = inverse_document_frequency(document_frequency, n_documents, self.idf, self.smooth_idf)

    def _weight(self, counts, lengths: np.ndarray):
        """TF × IDF for each stored count, then the row normalisation; zeros (idf = 0) are dropped."""
        weights = counts.astype(np.float64)  # (n_documents, n_features), a copy
        if self.tf == "frequency":
            weights.data /= np.repeat(lengths, np.diff(weights.indptr))  # words in each entry's document
        if self.sublinear_tf:
            weights.data = np.log(weights.data) + 1.0
        if self.use_idf:
            weights.data *= self.idf_[weights.indices]
        if self.norm is not None:
            weights = normalize_rows(weights, self.norm)
        weights.eliminate_zeros()
        return weights

    def fit(self, raw_documents: Iterable[str], y=None) -> TfidfVectorizer:
        """Learn the vocabulary and the idf of ``raw_documents``."""
        counts, _ = self._fit_counts(raw_documents)
        self._fit_idf(counts)
        return self

    def fit_transform(self, raw_documents: Iterable[str], y=None):
        """Learn the vocabulary and idf; return the documents' TF-IDF matrix."""
        counts, lengths = self._fit_counts(raw_documents)
        self._fit_idf(counts)
        return self._finish(self._weight(counts, lengths))

    def transform(self, raw_documents: Iterable[str]):
        """The TF-IDF matrix of ``raw_documents`` with the fitted vocabulary and idf."""
        if self.use_idf and not hasattr(self, "idf_"):
            raise NotFittedError("TfidfVectorizer: the idf is not fitted; call fit or fit_transform first")
        counts, lengths = self._transform_counts(raw_documents)
        return self._finish(self._weight(counts, lengths))
