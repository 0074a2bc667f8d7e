"""Bag of words: each document as the counts of the vocabulary's words in it.

The notes: "A bag of words is a representation of text that describes the occurrence of words within a
document. It involves two things: A vocabulary of known words. A measure of the presence of known
words." With the stopwords removed,

    Sentence 1 = He is a good boy          good  boy  girl
    Sentence 2 = She is a good girl    →     1    1    0
    Sentence 3 = Boy & girl are good         1    0    1
                                             1    1    1

``CountVectorizer`` has scikit-learn's constructor arguments, defaults, methods and results
(``fit``/``transform``/``fit_transform``/``get_feature_names_out``/``inverse_transform``; the fitted
``vocabulary_`` maps each term to its column, columns in alphabetical order): the analyzer lower-cases a
document, finds its tokens with ``token_pattern`` (words of two or more characters), drops
``stop_words``, and forms the n-grams of ``ngram_range`` (``analyzer="char"``/``"char_wb"``: character
n-grams instead). ``binary=True`` records presence (1) instead of counts, as in the notes' table.
``min_df``/``max_df`` drop terms found in too few or too many documents (an int: a number of documents,
a float: a fraction of them), ``max_features`` keeps the most frequent terms.

Differences: ``stop_words="english"`` is glassbox's list (NLTK's, see ``glassbox.text.stopwords``), not
scikit-learn's; documents are str (no ``input="filename"``, no bytes); ``output`` chooses a SciPy CSR
matrix (default), a dense NumPy array or a glassbox Tensor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from numbers import Integral, Real

import numpy as np

from glassbox.text.ngrams import char_ngrams, char_wb_ngrams, check_ngram_range, word_ngrams
from glassbox.text.stopwords import stopwords
from glassbox.text.tokenize import strip_accents as _strip_accents

OUTPUTS = ("sparse", "numpy", "tensor")


class NotFittedError(ValueError, AttributeError):
    """A vectorizer used before ``fit`` (the same bases as scikit-learn's NotFittedError)."""


def _preprocess(document: str, lowercase: bool, accent_method: str | Callable | None) -> str:
    if lowercase:
        document = document.lower()
    if callable(accent_method):
        return accent_method(document)
    return _strip_accents(document, accent_method) if accent_method else document


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class CountVectorizer:
    """Documents → a (n_documents, n_features) matrix of term counts (see the module docstring)."""

    def __init__(self, *, strip_accents=None, lowercase: bool = True, preprocessor: Callable | None = None,
                 tokenizer: Callable | None = None, stop_words=None, token_pattern: str | None = r"(?u)\b\w\w+\b",
                 ngram_range: tuple[int, int] = (1, 1), analyzer="word", max_df=1.0, min_df=1,
                 max_features: int | None = None, vocabulary=None, binary: bool = False, dtype=np.int64,
                 output: str = "sparse"):
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.analyzer = analyzer
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype
        self.output = output

    @property
    def _name(self) -> str:
        return type(self).__name__

    # --- the analyzer: document → features -----------------------------------------------------------------

    def build_preprocessor(self) -> Callable[[str], str]:
        """document → the text to tokenize: the custom ``preprocessor``, else lower-casing and accent stripping."""
        if self.preprocessor is not None:
            return self.preprocessor
        if self.strip_accents not in (None, False, "ascii", "unicode") and not callable(self.strip_accents):
            raise ValueError(f"{self._name}: strip_accents must be None, 'ascii', 'unicode' or a callable, "
                             f"got {self.strip_accents!r}")
        return partial(_preprocess, lowercase=self.lowercase, accent_method=self.strip_accents or None)

    def build_tokenizer(self) -> Callable[[str], list[str]]:
        """text → tokens: the custom ``tokenizer``, else every match of ``token_pattern`` (its group, if it has one)."""
        if self.tokenizer is not None:
            return self.tokenizer
        pattern = re.compile(self.token_pattern)
        if pattern.groups > 1:
            raise ValueError(f"{self._name}: token_pattern {self.token_pattern!r} has {pattern.groups} capturing "
                             "groups; at most one may capture the token")
        return pattern.findall

    def get_stop_words(self) -> frozenset[str] | None:
        if self.stop_words is None:
            return None
        if isinstance(self.stop_words, str):
            if self.stop_words != "english":
                raise ValueError(f"{self._name}: not a built-in stop list: {self.stop_words!r} (use 'english', "
                                 "None or a list of words)")
            return stopwords("english")
        words = frozenset(self.stop_words)
        if not all(isinstance(word, str) for word in words):
            raise TypeError(f"{self._name}: stop_words must be str, got {sorted(map(repr, words))[:5]}")
        return words

    def build_analyzer(self) -> Callable[[str], list[str]]:
        """document → its features (tokens, word n-grams or character n-grams), each a str."""
        if callable(self.analyzer):
            return self.analyzer
        if self.analyzer not in ("word", "char", "char_wb"):
            raise ValueError(f"{self._name}: analyzer must be 'word', 'char', 'char_wb' or a callable, "
                             f"got {self.analyzer!r}")
        ngram_range = check_ngram_range(self.ngram_range, self._name)
        preprocess = self.build_preprocessor()
        checked_preprocess = preprocess if self.preprocessor is None else self._checked(preprocess, "preprocessor")
        if self.analyzer in ("char", "char_wb"):
            ngrams = char_ngrams if self.analyzer == "char" else char_wb_ngrams
            return lambda document: ngrams(checked_preprocess(document), ngram_range)
        tokenize = self.build_tokenizer()
        if self.tokenizer is not None:
            tokenize = self._checked(tokenize, "tokenizer")
        stop_words = self.get_stop_words()

        def analyze(document: str) -> list[str]:
            tokens = tokenize(checked_preprocess(document))
            if stop_words is not None:
                tokens = [token for token in tokens if token not in stop_words]
            return word_ngrams(tokens, ngram_range) if ngram_range != (1, 1) else list(tokens)

        return analyze

    def _checked(self, function: Callable, role: str) -> Callable:
        """``function`` wrapped to fail clearly when it returns the wrong type (a user's preprocessor or tokenizer)."""
        def preprocessor(text):
            result = function(text)
            if not isinstance(result, str):
                raise TypeError(f"{self._name}: the preprocessor returned {_short(result)} "
                                f"({type(result).__name__}); it must return a str")
            return result

        def tokenizer(text):
            tokens = function(text)
            if isinstance(tokens, str) or not isinstance(tokens, Iterable):
                raise TypeError(f"{self._name}: the tokenizer returned {_short(tokens)} ({type(tokens).__name__}); "
                                "it must return a list of str tokens")
            tokens = list(tokens)
            for token in tokens:
                if not isinstance(token, str):
                    raise TypeError(f"{self._name}: the tokenizer returned the token {_short(token)} "
                                    f"({type(token).__name__}); tokens must be str")
            return tokens

        return preprocessor if role == "preprocessor" else tokenizer

    def _analyzed(self, raw_documents, caller: str):
        """(index, features) for each document, every document and feature checked to be a str."""
        if isinstance(raw_documents, (str, bytes)):
            raise ValueError(f"{self._name}.{caller}: expected an iterable of str documents, got a single "
                             f"{type(raw_documents).__name__}; wrap it in a list")
        if not isinstance(raw_documents, Iterable):
            raise TypeError(f"{self._name}.{caller}: expected an iterable of str documents, "
                            f"got {type(raw_documents).__name__}")
        analyze = self.build_analyzer()
        custom_analyzer = callable(self.analyzer)
        for index, document in enumerate(raw_documents):
            if not isinstance(document, str):
                raise TypeError(f"{self._name}.{caller}: document {index} is {_short(document)} "
                                f"({type(document).__name__}); expected a str")
            features = analyze(document)
            if custom_analyzer:
                if isinstance(features, str) or not isinstance(features, Iterable):
                    raise TypeError(f"{self._name}: the analyzer returned {_short(features)} for document {index}; "
                                    "it must return a list of str features")
                features = list(features)
                if not all(isinstance(feature, str) for feature in features):
                    wrong = next(feature for feature in features if not isinstance(feature, str))
                    raise TypeError(f"{self._name}: the analyzer returned the feature {_short(wrong)} "
                                    f"({type(wrong).__name__}) for document {index}; features must be str")
            yield features

    # --- counting ------------------------------------------------------------------------------------------

    def _validate_vocabulary(self) -> dict[str, int] | None:
        """The given ``vocabulary`` as term → column, checked (scikit-learn's rules); None if not given."""
        vocabulary = self.vocabulary
        if vocabulary is None:
            return None
        if isinstance(vocabulary, set):
            vocabulary = sorted(vocabulary)
        if isinstance(vocabulary, str):
            raise TypeError(f"{self._name}: vocabulary must be a mapping or an iterable of terms, got a str")
        if not isinstance(vocabulary, Mapping):
            mapping = {}
            for index, term in enumerate(vocabulary):
                if mapping.setdefault(term, index) != index:
                    raise ValueError(f"{self._name}: duplicate term in vocabulary: {term!r}")
            vocabulary = mapping
        else:
            indices = set(vocabulary.values())
            if len(indices) != len(vocabulary):
                raise ValueError(f"{self._name}: vocabulary contains repeated indices")
            missing = next((index for index in range(len(vocabulary)) if index not in indices), None)
            if missing is not None:
                raise ValueError(f"{self._name}: vocabulary of size {len(vocabulary)} doesn't contain index {missing}")
        if not vocabulary:
            raise ValueError(f"{self._name}: empty vocabulary passed to fit")
        return dict(vocabulary)

    def _count(self, raw_documents, vocabulary: dict[str, int] | None, caller: str):
        """(vocabulary, CSR counts (n_documents, n_terms), features per document); with ``vocabulary``
        None, each new term gets the next column."""
        import scipy.sparse

        fixed = vocabulary is not None
        vocabulary = {} if vocabulary is None else vocabulary
        columns, row_starts, counts, lengths = [], [0], [], []
        for features in self._analyzed(raw_documents, caller):
            lengths.append(len(features))
            document_counts: dict[int, int] = {}
            for feature in features:
                column = vocabulary.get(feature)
                if column is None:
                    if fixed:  # a term outside a given vocabulary is ignored
                        continue
                    column = vocabulary[feature] = len(vocabulary)
                document_counts[column] = document_counts.get(column, 0) + 1
            columns.extend(document_counts)
            counts.extend(document_counts.values())
            row_starts.append(len(columns))
        if not vocabulary:
            raise ValueError(f"{self._name}: empty vocabulary; perhaps the documents only contain stop words")
        index_dtype = np.int32 if row_starts[-1] <= np.iinfo(np.int32).max else np.int64
        matrix = scipy.sparse.csr_matrix(
            (np.asarray(counts, dtype=np.int64), np.asarray(columns, dtype=index_dtype),
             np.asarray(row_starts, dtype=index_dtype)), shape=(len(row_starts) - 1, len(vocabulary)))
        matrix.sort_indices()
        return vocabulary, matrix, np.asarray(lengths, dtype=np.int64)

    def _document_count_bounds(self, n_documents: int) -> tuple[float, float]:
        bounds = []
        for name, value, lowest in (("min_df", self.min_df, 0), ("max_df", self.max_df, 1)):
            if isinstance(value, bool) or not isinstance(value, Real):
                raise ValueError(f"{self._name}: {name} must be an int or a float, got {value!r}")
            if isinstance(value, Integral):
                if value < lowest:
                    raise ValueError(f"{self._name}: {name} as a number of documents must be >= {lowest}, got {value}")
                bounds.append(value)
            else:
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{self._name}: {name} as a fraction of the documents must lie in [0, 1], "
                                     f"got {value}")
                bounds.append(value * n_documents)
        if bounds[1] < bounds[0]:
            raise ValueError(f"{self._name}: max_df={self.max_df!r} corresponds to fewer documents than "
                             f"min_df={self.min_df!r}")
        return bounds[0], bounds[1]

    def _limit_features(self, counts, vocabulary: dict[str, int], n_documents: int):
        """``counts`` and ``vocabulary`` without the terms outside [min_df, max_df] documents, then only
        the ``max_features`` most frequent (ties cut as scikit-learn cuts them: NumPy's default argsort)."""
        low, high = self._document_count_bounds(n_documents)
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = (document_frequency <= high) & (document_frequency >= low)
        if self.max_features is not None and keep.sum() > self.max_features:
            totals = np.asarray(counts.sum(axis=0)).ravel()
            most_frequent = (-totals[keep]).argsort()[:self.max_features]
            kept_columns = np.flatnonzero(keep)[most_frequent]
            keep = np.zeros_like(keep)
            keep[kept_columns] = True
        new_columns = np.cumsum(keep) - 1
        for term, column in list(vocabulary.items()):
            if keep[column]:
                vocabulary[term] = int(new_columns[column])
            else:
                del vocabulary[term]
        if not vocabulary:
            raise ValueError(f"{self._name}: after pruning, no terms remain; try a lower min_df or a higher max_df")
        return counts[:, np.flatnonzero(keep)]

    @staticmethod
    def _sort_features(counts, vocabulary: dict[str, int]):
        """Columns reordered so that the terms are in alphabetical order."""
        old_to_new = np.empty(len(vocabulary), dtype=counts.indices.dtype)
        for new_column, (term, old_column) in enumerate(sorted(vocabulary.items())):
            vocabulary[term] = new_column
            old_to_new[old_column] = new_column
        counts.indices = old_to_new.take(counts.indices, mode="clip")
        counts.has_sorted_indices = False
        counts.sort_indices()
        return counts

    def _check_parameters(self) -> None:
        if self.output not in OUTPUTS:
            raise ValueError(f"{self._name}: output must be one of {OUTPUTS}, got {self.output!r}")
        if self.max_features is not None and (isinstance(self.max_features, bool)
                                              or not isinstance(self.max_features, Integral) or self.max_features < 1):
            raise ValueError(f"{self._name}: max_features must be None or an integer >= 1, got {self.max_features!r}")

    def _fit_counts(self, raw_documents):
        """Learn ``vocabulary_``; return the documents' (counts, features per document)."""
        self._check_parameters()
        given = self._validate_vocabulary()
        vocabulary, counts, lengths = self._count(raw_documents, given, "fit")
        if self.binary:
            counts.data.fill(1)
        if given is None:
            if self.max_features is not None:
                counts = self._sort_features(counts, vocabulary)
            counts = self._limit_features(counts, vocabulary, counts.shape[0])
            if self.max_features is None:
                counts = self._sort_features(counts, vocabulary)
        self.vocabulary_ = vocabulary
        self.fixed_vocabulary_ = given is not None
        return counts, lengths

    def _transform_counts(self, raw_documents):
        self._check_parameters()
        vocabulary = self._fitted_vocabulary()
        _, counts, lengths = self._count(raw_documents, vocabulary, "transform")
        if self.binary:
            counts.data.fill(1)
        return counts, lengths

    def _fitted_vocabulary(self) -> dict[str, int]:
        if not hasattr(self, "vocabulary_"):
            given = self._validate_vocabulary()
            if given is None:
                raise NotFittedError(f"{self._name}: the vocabulary is not fitted; call fit or fit_transform first, "
                                     "or pass vocabulary=")
            self.vocabulary_, self.fixed_vocabulary_ = given, True
        return self.vocabulary_

    def _finish(self, matrix):
        """The matrix in the requested ``output`` form and ``dtype``."""
        matrix = matrix.astype(self.dtype)
        if self.output == "sparse":
            return matrix
        dense = matrix.toarray()
        if self.output == "numpy":
            return dense
        from glassbox.creation import from_numpy

        return from_numpy(dense)

    # --- scikit-learn's API ---------------------------------------------------------------------------------

    def fit(self, raw_documents: Iterable[str], y=None) -> CountVectorizer:
        """Learn the vocabulary of ``raw_documents``."""
        self._fit_counts(raw_documents)
        return self

    def fit_transform(self, raw_documents: Iterable[str], y=None):
        """Learn the vocabulary and return the (n_documents, n_features) count matrix."""
        counts, _ = self._fit_counts(raw_documents)
        return self._finish(counts)

    def transform(self, raw_documents: Iterable[str]):
        """The count matrix of ``raw_documents`` over the fitted vocabulary (unknown terms ignored)."""
        counts, _ = self._transform_counts(raw_documents)
        return self._finish(counts)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The terms in column order (an object array, as scikit-learn)."""
        vocabulary = self._fitted_vocabulary()
        return np.asarray([term for term, _ in sorted(vocabulary.items(), key=lambda item: item[1])], dtype=object)

    def inverse_transform(self, matrix) -> list[np.ndarray]:
        """For each row of ``matrix`` (sparse, NumPy or Tensor), the terms with a nonzero entry."""
        import scipy.sparse

        vocabulary = self._fitted_vocabulary()
        terms = np.array([term for term, _ in sorted(vocabulary.items(), key=lambda item: item[1])])
        if hasattr(matrix, "numpy") and not isinstance(matrix, np.ndarray):
            matrix = matrix.numpy()
        matrix = scipy.sparse.csr_matrix(matrix, copy=True)  # a copy: zeros are dropped from it below
        if matrix.shape[1] != len(terms):
            raise ValueError(f"{self._name}.inverse_transform: expected a matrix with {len(terms)} columns, "
                             f"got shape {matrix.shape}")
        matrix.eliminate_zeros()
        matrix.sort_indices()
        return [terms[matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]] for row in range(matrix.shape[0])]

    def __repr__(self) -> str:
        return f"{self._name}(ngram_range={self.ngram_range}, analyzer={self.analyzer!r}, binary={self.binary})"
