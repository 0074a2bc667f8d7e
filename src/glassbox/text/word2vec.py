"""Word2Vec: skip-gram and CBOW with negative sampling (Mikolov et al., 2013), trained on NumPy arrays.

The notes: each word becomes a small dense vector that keeps "the semantic information and relation
between different words", so that King - Man + Woman ≈ Queen. Every word w has an input vector
v_w (the embedding, ``wv.vectors``) and an output vector u_w (``syn1neg``). For a word and a word
in its window, the model tells the true pair from K words drawn at random ("negatives"):

    loss(v, u_pos, u_neg_1..K) = - log σ(u_pos · v) - Σ_k log σ(-u_neg_k · v)
    dloss/d(u · v) = σ(u · v) - label        (label 1 for the true word, 0 for a negative)

- skip-gram (``sg=1``): v is the input vector of a context word, u_pos the output vector of the
  centre word (the orientation of the original C code and of gensim);
- CBOW (``sg=0``): v is the mean of the input vectors of the window, u_pos the centre word's; as in
  the original and gensim (cbow_mean=1) every context word then receives the whole gradient of v.

The rest is the original algorithm with gensim's defaults:

- min_count: words seen fewer times are dropped from the corpus before anything else;
- sub-sampling of frequent words, with ``sample`` s and f the word's count over the T retained words,
  keeps an occurrence with probability  min(1, (√(f / (s·T)) + 1) · s·T / f);
- negatives are drawn from the unigram distribution raised to 3/4, through a table in which word w
  fills a share count(w)^0.75 / Σ count^0.75 of the entries (a negative equal to the true word is skipped);
- the window of each centre word is reduced to a random b ∈ {1, …, window} (near words weigh more);
- the learning rate decays linearly from ``alpha`` to ``min_alpha`` over all the epochs' words;
- σ is computed exactly (the C code and gensim read it from a table and skip scores beyond ±6).

Training is vectorised: a batch of a few hundred corpus words becomes index arrays (inputs (B,),
targets (B, 1+K), column 0 the true word), both matrices are gathered, the scores of all pairs come
from one ``einsum``, and the gradients are scattered back into the touched rows with one sparse
product each (duplicates add up). The update is plain SGD on those rows, as in the original (not a
general optimizer). Two things differ from the sequential original, both because all pairs of a
batch see the same parameters and their steps add up:

- a batch holds the most frequent word about five times at most (``words_per_batch``), since a word's
  many steps in one batch, summed, overshoot where the sequential algorithm would have corrected itself;
- the sentences are visited in a new random order each epoch (``shuffle=True``): runs of near-identical
  glosses ("a Dravidian language spoken in …") would otherwise fill one batch with the same words.

The same loss and gradients, as an autograd primitive for any glassbox model, are
``negative_sampling_loss``.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy

from glassbox import backend
from glassbox.autograd import Function
from glassbox.tensor import Tensor
from glassbox.text.keyed_vectors import KeyedVectors

__all__ = ["AverageWord2Vec", "KeyedVectors", "NegativeSamplingLoss", "Word2Vec", "negative_sampling_loss"]


def negative_sampling_parts(scores, weights=None):
    """scores (B, 1+K) of u·v, column 0 the true pair → loss per pair (B,) and dloss/dscores (B, 1+K).

    ``weights`` (B, 1+K) of 0/1 drops terms (a negative that is the true word). log σ(x) is
    min(x, 0) - log(1 + e^(-|x|)), finite for any score.
    """
    xp = backend.module_of(scores)
    signs = xp.full(scores.shape[-1:], -1, dtype=scores.dtype)
    signs[0] = 1  # the true pair's label is 1: its term is log σ(+s); a negative's is log σ(-s)
    signed = scores * signs
    small = xp.exp(-xp.abs(signed))  # e^(-|x|) in (0, 1]: never overflows
    log_sigmoid = xp.minimum(signed, 0) - xp.log1p(small)  # (B, 1+K): log σ(x)
    dloss_dsigned = -xp.where(signed >= 0, small, 1) / (1 + small)  # -σ(-x) = σ(x) - 1
    if weights is not None:
        log_sigmoid = log_sigmoid * weights
        dloss_dsigned = dloss_dsigned * weights
    return -log_sigmoid.sum(axis=-1), dloss_dsigned * signs


class NegativeSamplingLoss(Function):
    """Loss of each pair from hidden vectors (B, d) and the output matrix (V, d) at targets (B, 1+K).

    backward: dL/dhidden = Σ_k g_k u_k (B, d); dL/dU[targets[b, k]] += g_k hidden_b, scattered with add.at
    (a row drawn twice in a batch gets both gradients), where g = dloss/dscores.
    """

    def forward(self, hidden, output_vectors, targets, reduction):
        xp = backend.module_of(hidden)
        self.targets, self.reduction, self.vocabulary_shape = targets, reduction, output_vectors.shape
        self.hidden = hidden
        self.rows = xp.take(output_vectors, targets, axis=0)  # (B, 1+K, d)
        scores = xp.einsum("bd,bkd->bk", hidden, self.rows)  # (B, 1+K)
        loss, self.dscores = negative_sampling_parts(scores)
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.sum() / max(len(loss), 1)

    def backward(self, grad):
        xp = backend.module_of(grad)
        if self.reduction == "none":
            dscores = self.dscores * grad[:, None]
        else:
            dscores = self.dscores * (grad if self.reduction == "sum" else grad / max(len(self.dscores), 1))
        need_hidden, need_output = self.needs_input_grad
        grad_hidden = xp.einsum("bk,bkd->bd", dscores, self.rows) if need_hidden else None
        grad_output = None
        if need_output:
            grad_output = xp.zeros(self.vocabulary_shape, dtype=dscores.dtype)
            per_row = dscores[:, :, None] * self.hidden[:, None, :]  # (B, 1+K, d)
            xp.add.at(grad_output, self.targets.reshape(-1), per_row.reshape(-1, self.hidden.shape[1]))
        return grad_hidden, grad_output


def negative_sampling_loss(hidden: Tensor, output_vectors: Tensor, targets, reduction: str = "mean") -> Tensor:
    """- log σ(u_t0 · h) - Σ_k log σ(-u_tk · h) for each row h of ``hidden`` (B, d), reduced over B.

    ``targets`` (B, 1+K) indexes rows of ``output_vectors`` (V, d): column 0 the true word, the rest
    the negatives. For skip-gram, hidden = input_vectors[context_words].
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"negative_sampling_loss: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    index = targets.data if isinstance(targets, Tensor) else backend.module_of(hidden.data).asarray(targets)
    if hidden.ndim != 2 or output_vectors.ndim != 2 or hidden.shape[1] != output_vectors.shape[1]:
        raise ValueError(f"negative_sampling_loss: hidden must be (B, d) and output_vectors (V, d), got "
                         f"{tuple(hidden.shape)} and {tuple(output_vectors.shape)}")
    if index.ndim != 2 or index.shape[0] != hidden.shape[0] or index.shape[1] < 1 or index.dtype.kind not in "iu":
        raise ValueError(f"negative_sampling_loss: targets must be integers of shape ({hidden.shape[0]}, 1+K), "
                         f"got {index.dtype} {tuple(index.shape)}")
    if index.size and (index.min() < 0 or index.max() >= output_vectors.shape[0]):
        raise IndexError(f"negative_sampling_loss: targets must lie in [0, {output_vectors.shape[0]})")
    if output_vectors.dtype != hidden.dtype:
        raise TypeError(f"negative_sampling_loss: hidden is {hidden.dtype}, output_vectors {output_vectors.dtype}")
    return NegativeSamplingLoss.apply(hidden, output_vectors, targets=index, reduction=reduction)


# ---- sparse row updates -------------------------------------------------------------------------------
def scatter_add_rows(matrix, rows, items, coefficients, vectors) -> None:
    """matrix[rows[p]] += coefficients[p] * vectors[items[p]] for every p, repeated rows adding up.

    ``items`` must be sorted. The sum over p is the product of a sparse (V × B) matrix, holding the
    coefficients, with vectors (B × d): SciPy's compiled CSC loop adds it straight into ``matrix``
    (an order of magnitude faster than ``numpy.add.at`` on rows, which is the fallback without SciPy).
    """
    coefficients = numpy.ascontiguousarray(numpy.broadcast_to(numpy.asarray(coefficients, dtype=matrix.dtype),
                                                              rows.shape))
    sparse, accumulate = _sparse_kernels()
    if sparse is None or SCATTER_METHOD[0] == "add.at":
        numpy.add.at(matrix, rows, coefficients[:, None] * vectors[items])
        return
    starts = numpy.searchsorted(items, numpy.arange(len(vectors) + 1))  # column pointers of the CSC matrix
    if accumulate is not None and SCATTER_METHOD[0] == "in place" and matrix.flags.c_contiguous:
        vectors = numpy.ascontiguousarray(vectors, dtype=matrix.dtype)
        accumulate(len(matrix), len(vectors), matrix.shape[1], starts, rows.astype(starts.dtype),
                   coefficients, vectors.reshape(-1), matrix.reshape(-1))  # matrix += A @ vectors, in place
        return
    touched = numpy.zeros(len(matrix), dtype=bool)
    touched[rows] = True
    unique_rows = numpy.flatnonzero(touched)  # (U,): only these rows change
    compact = numpy.empty(len(matrix), dtype=numpy.int64)
    compact[unique_rows] = numpy.arange(len(unique_rows))
    spread = sparse.csc_matrix((coefficients, compact[rows], starts), shape=(len(unique_rows), len(vectors)))
    matrix[unique_rows] += spread @ vectors  # (U, B) @ (B, d) → (U, d)


REPEATS_PER_BATCH = 5
SCATTER_METHOD = ["in place"]  # or "sparse product" (SciPy's public API), or "add.at" (no SciPy)


def _sparse_kernels():
    """scipy.sparse and its compiled Y += A @ X loop for CSC matrices (None for what is missing)."""
    try:
        from scipy import sparse
    except ImportError:
        return None, None
    try:
        from scipy.sparse._sparsetools import csc_matvecs
    except ImportError:  # a SciPy that moved its kernels: the public product still works
        csc_matvecs = None
    return sparse, csc_matvecs


# ---- training -----------------------------------------------------------------------------------------
def window_pairs(sentence_ids, reduced_window, start: int, stop: int, window: int):
    """(centre, context) positions for the centres start..stop-1, sorted by centre.

    A context lies at most reduced_window[centre] words away, in the same sentence, and is not the centre.
    """
    centre = numpy.arange(start, stop)[:, None]  # (n, 1)
    offsets = numpy.concatenate([numpy.arange(-window, 0), numpy.arange(1, window + 1)])  # (2W,)
    context = centre + offsets  # (n, 2W)
    inside = (context >= 0) & (context < len(sentence_ids))
    context_clipped = numpy.where(inside, context, centre)
    valid = inside & (numpy.abs(offsets) <= reduced_window[start:stop, None])
    valid &= sentence_ids[context_clipped] == sentence_ids[start:stop, None]
    rows, columns = numpy.nonzero(valid)
    return rows + start, context[rows, columns]


class Word2Vec:
    """Word vectors learnt by skip-gram (``sg=1``) or CBOW (``sg=0``) with negative sampling.

    Arguments and defaults are gensim 4's (``vector_size``, ``window``, ``min_count``, ``sample``,
    ``negative``, ``ns_exponent``, ``alpha``, ``min_alpha``, ``epochs``, ``seed``, ``batch_words``),
    plus ``shuffle``; there is no hierarchical softmax and no worker threads. Given ``sentences``
    (an iterable of lists of string tokens) it builds the vocabulary and trains at once.
    ``epoch_losses`` holds the mean loss per pair of each epoch; ``wv`` the vectors.
    """

    def __init__(self, sentences=None, vector_size: int = 100, alpha: float = 0.025, window: int = 5,
                 min_count: int = 5, sample: float = 1e-3, seed: int = 1, min_alpha: float = 0.0001, sg: int = 0,
                 negative: int = 5, ns_exponent: float = 0.75, epochs: int = 5, batch_words: int = 1000,
                 shuffle: bool = True):
        checks = {"vector_size": vector_size >= 1, "window": window >= 1, "min_count": min_count >= 1,
                  "negative": negative >= 1, "epochs": epochs >= 1, "batch_words": batch_words >= 1,
                  "alpha": alpha > 0, "min_alpha": 0 <= min_alpha <= alpha, "sample": sample >= 0, "sg": sg in (0, 1)}
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"Word2Vec: invalid {name}={locals()[name]!r}")
        self.vector_size, self.alpha, self.min_alpha, self.window = vector_size, alpha, min_alpha, window
        self.min_count, self.sample, self.seed, self.sg = min_count, sample, seed, sg
        self.negative, self.ns_exponent, self.epochs, self.batch_words = negative, ns_exponent, epochs, batch_words
        self.shuffle = shuffle
        self.random = numpy.random.default_rng(seed)
        self.wv = None
        self.epoch_losses: list[float] = []
        if sentences is not None:
            self.build_vocab(sentences)
            self.train(sentences)

    # ---- vocabulary -----------------------------------------------------------------------------------
    def build_vocab(self, sentences) -> Word2Vec:
        """Count the words, keep those seen min_count times (most frequent first), initialise the vectors."""
        counts = _count_words(sentences)
        seen = [word for word, count in counts.items() if count >= self.min_count]  # in first-seen order
        # most frequent first; equal counts in gensim's order (the word seen last first)
        kept = [seen[i] for i in numpy.lexsort((-numpy.arange(len(seen)), -numpy.array([counts[w] for w in seen])))]
        if not kept:
            raise ValueError(f"Word2Vec: no word occurs min_count={self.min_count} times in the corpus "
                             f"({len(counts)} distinct words); lower min_count or give more text")
        frequencies = numpy.array([counts[word] for word in kept], dtype=numpy.float64)
        dimension = self.vector_size
        vectors = ((self.random.random((len(kept), dimension)) - 0.5) / dimension).astype(numpy.float32)
        self.wv = KeyedVectors(kept, vectors, counts=frequencies.astype(numpy.int64))
        self.syn1neg = numpy.zeros((len(kept), dimension), dtype=numpy.float32)  # output vectors start at 0

        threshold = self.sample * frequencies.sum() if self.sample else numpy.inf
        keep = (numpy.sqrt(frequencies / threshold) + 1) * threshold / frequencies
        self.keep_probability = numpy.minimum(keep, 1.0)  # 1 for every word when sample = 0

        weights = frequencies**self.ns_exponent
        table_size = int(min(100_000_000, max(1_000_000, 200 * len(kept))))
        boundaries = numpy.round(numpy.cumsum(weights) / weights.sum() * table_size).astype(numpy.int64)
        shares = numpy.diff(boundaries, prepend=0)  # word w fills a share count^0.75 / Σ count^0.75
        self.negative_table = numpy.repeat(numpy.arange(len(kept), dtype=numpy.int32), shares)
        return self

    def _encode(self, sentences):
        """Sentences → word indices (N,) of the known words and the sentence of each, plus the raw word count."""
        tokens, lengths = [], []
        for sentence in sentences:
            tokens.extend(sentence)
            lengths.append(len(sentence))
        get, unknown = self.wv.key_to_index.get, itertools.repeat(-1)
        indices = numpy.fromiter(map(get, tokens, unknown), dtype=numpy.int32, count=len(tokens))
        known = indices >= 0  # words under min_count are dropped before windows are drawn, as in the original
        sentence_ids = numpy.repeat(numpy.arange(len(lengths), dtype=numpy.int32), lengths)
        return indices[known], sentence_ids[known], len(tokens)

    # ---- training -------------------------------------------------------------------------------------
    def train(self, sentences, epochs: int | None = None) -> Word2Vec:
        """Train on ``sentences`` for ``epochs`` (default: the constructor's) with the decaying learning rate."""
        if self.wv is None:
            raise RuntimeError("Word2Vec.train: build_vocab(sentences) first")
        epochs = self.epochs if epochs is None else epochs
        words, sentence_ids, raw = self._encode(sentences)
        if len(words) == 0:
            raise ValueError("Word2Vec.train: none of the sentences holds a word of the vocabulary")
        self.corpus_total_words = raw
        for epoch in range(epochs):
            if self.shuffle:
                words, sentence_ids = _shuffle_sentences(words, sentence_ids, self.random)
            keep = self.random.random(len(words)) < self.keep_probability[words]
            kept_words, kept_sentences = words[keep], sentence_ids[keep]
            position = numpy.flatnonzero(keep)  # where each kept word was, for the learning-rate schedule
            reduced_window = self.window - self.random.integers(0, self.window, len(kept_words))
            total_loss, total_pairs = 0.0, 0
            batch = self.words_per_batch()
            for start in range(0, len(kept_words), batch):
                stop = min(start + batch, len(kept_words))
                progress = (epoch + position[start] / len(words)) / epochs
                alpha = max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * progress)
                centres, contexts = window_pairs(kept_sentences, reduced_window, start, stop, self.window)
                if len(centres) == 0:
                    continue
                step = self._skipgram_step if self.sg else self._cbow_step
                loss, pairs = step(kept_words, centres, contexts, alpha)
                if not numpy.isfinite(loss):
                    raise FloatingPointError(
                        f"Word2Vec.train: the loss became {loss} in epoch {epoch + 1}, at corpus word {start} of "
                        f"{len(kept_words)} (alpha {alpha:.5f}); lower alpha or batch_words")
                total_loss, total_pairs = total_loss + loss, total_pairs + pairs
            self.epoch_losses.append(total_loss / max(total_pairs, 1))
        self.wv.vectors_changed()
        return self

    def words_per_batch(self) -> int:
        """How many (sub-sampled) corpus words make one batch: ``batch_words``, or fewer for a small vocabulary.

        All pairs of a batch see the same parameters and their steps add up. A word met n times in a batch
        takes n steps computed from where it stood, where the sequential algorithm would have seen its
        first steps shrink the later ones; for large n the sum overshoots and training diverges. So a
        batch holds the most frequent word about ``REPEATS_PER_BATCH`` times at most, on average.
        """
        expected = self.wv.counts * self.keep_probability
        top_share = expected.max() / expected.sum()
        return max(1, min(self.batch_words, int(REPEATS_PER_BATCH / top_share)))

    def _targets(self, positives):
        """(B, 1+K) output rows: the true word, then K draws from the unigram^0.75 table; and their weights.

        The original skips a negative equal to the word: its weight is 0 (None: every weight is 1).
        """
        draws = self.random.integers(0, len(self.negative_table), (len(positives), self.negative))
        negatives = self.negative_table[draws]  # (B, K)
        targets = numpy.concatenate([positives[:, None], negatives], axis=1)
        same = negatives == positives[:, None]
        if not same.any():
            return targets, None
        weights = numpy.ones(targets.shape, dtype=numpy.float32)
        weights[:, 1:] = ~same
        return targets, weights

    def _negative_sampling_step(self, hidden, positives, alpha):
        """Scores, loss and the update of the output vectors; returns (loss sum, dloss/dhidden (B, d))."""
        targets, weights = self._targets(positives)
        rows = numpy.take(self.syn1neg, targets, axis=0)  # (B, 1+K, d)
        scores = numpy.einsum("bd,bkd->bk", hidden, rows)  # (B, 1+K)
        loss, dscores = negative_sampling_parts(scores, weights)
        grad_hidden = numpy.einsum("bk,bkd->bd", dscores, rows)  # (B, d), from the output vectors before the update
        pair = numpy.repeat(numpy.arange(len(positives)), targets.shape[1])
        scatter_add_rows(self.syn1neg, targets.reshape(-1), pair, -alpha * dscores.reshape(-1), hidden)
        return float(loss.sum()), grad_hidden

    def _skipgram_step(self, words, centres, contexts, alpha):
        inputs = words[contexts]  # (B,): the context word's input vector predicts the centre word
        hidden = numpy.take(self.wv.vectors, inputs, axis=0)  # (B, d)
        loss, grad_hidden = self._negative_sampling_step(hidden, words[centres], alpha)
        pair = numpy.arange(len(inputs))
        scatter_add_rows(self.wv.vectors, inputs, pair, -alpha, grad_hidden)
        return loss, len(inputs)

    def _cbow_step(self, words, centres, contexts, alpha):
        # one row per centre that has a context: `group` numbers the centres 0..C-1 along the sorted pairs
        first = numpy.r_[True, centres[1:] != centres[:-1]]
        group = numpy.cumsum(first) - 1  # (P,)
        counts = numpy.bincount(group).astype(numpy.float32)  # (C,)
        context_words = words[contexts]
        summed = numpy.zeros((len(counts), self.vector_size), dtype=numpy.float32)
        context_vectors = numpy.take(self.wv.vectors, context_words, axis=0)  # (P, d)
        scatter_add_rows(summed, group, numpy.arange(len(group)), 1.0, context_vectors)
        hidden = summed / counts[:, None]  # (C, d): the mean of the window
        loss, grad_hidden = self._negative_sampling_step(hidden, words[centres[first]], alpha)
        # every context word gets the whole gradient of the mean (cbow_mean=1 in gensim and the C code)
        scatter_add_rows(self.wv.vectors, context_words, group, -alpha, grad_hidden)
        return loss, len(counts)

    def document_vector(self, tokens):
        """The mean vector of the known ``tokens`` (average word2vec); zeros when none is known."""
        return self.wv.document_vector(tokens)


def _shuffle_sentences(words, sentence_ids, random):
    """The same sentences, whole, in a random order: (words, sentence ids numbered 0, 1, … in the new order)."""
    lengths = numpy.bincount(sentence_ids, minlength=int(sentence_ids[-1]) + 1)
    starts = numpy.cumsum(lengths) - lengths
    order = random.permutation(len(lengths))  # new sentence k is old sentence order[k]
    new_lengths = lengths[order]
    new_starts = numpy.cumsum(new_lengths) - new_lengths
    # word i of the new array comes from old position (start of its sentence) + (its place in the sentence)
    source = numpy.arange(len(words)) + numpy.repeat(starts[order] - new_starts, new_lengths)
    return words[source], numpy.repeat(numpy.arange(len(lengths), dtype=sentence_ids.dtype), new_lengths)


def _count_words(sentences) -> Counter:
    counts, number = Counter(), -1
    for number, sentence in enumerate(sentences):
        if isinstance(sentence, str | bytes):
            raise TypeError(f"Word2Vec: sentence {number} is a {type(sentence).__name__}, expected a list of "
                            f"tokens (split it into words first, e.g. glassbox.text.corpus.simple_tokenize)")
        counts.update(sentence)
    if number < 0 or not counts:
        raise ValueError("Word2Vec: the corpus is empty (no sentences, or only empty ones)")
    for word in counts:
        if not isinstance(word, str):
            where = next(i for i, sentence in enumerate(sentences) if word in sentence)
            raise TypeError(f"Word2Vec: sentence {where} holds the token {word!r} of type {type(word).__name__}, "
                            f"expected str")
    return counts


class AverageWord2Vec:
    """Documents → the mean of their words' vectors, as a scikit-learn style transformer.

    ``fit(documents)`` trains a Word2Vec on them (documents are token lists, or strings that are
    tokenised); give ``keyed_vectors=`` to use vectors trained elsewhere, and ``fit`` learns nothing.
    """

    def __init__(self, keyed_vectors=None, **word2vec_options):
        self.keyed_vectors, self.word2vec_options = keyed_vectors, word2vec_options

    def fit(self, documents, y=None) -> AverageWord2Vec:
        if self.keyed_vectors is None:
            self.keyed_vectors = Word2Vec(_tokenized(documents), **self.word2vec_options).wv
        return self

    def transform(self, documents) -> numpy.ndarray:
        if self.keyed_vectors is None:
            raise RuntimeError("AverageWord2Vec.transform: call fit first (or pass keyed_vectors=)")
        tokens = _tokenized(documents)
        out = numpy.zeros((len(tokens), self.keyed_vectors.vector_size), dtype=numpy.float32)  # (n, d)
        for row, document in enumerate(tokens):
            out[row] = self.keyed_vectors.document_vector(document)
        return out

    def fit_transform(self, documents, y=None) -> numpy.ndarray:
        return self.fit(documents).transform(documents)

    def get_params(self, deep: bool = True) -> dict:  # scikit-learn's clone and grid search read these
        return {"keyed_vectors": self.keyed_vectors, **self.word2vec_options}

    def set_params(self, **params) -> AverageWord2Vec:
        self.keyed_vectors = params.pop("keyed_vectors", self.keyed_vectors)
        self.word2vec_options.update(params)
        return self


def _tokenized(documents) -> list:
    from glassbox.text.corpus import simple_tokenize

    return [simple_tokenize(document) if isinstance(document, str) else list(document) for document in documents]
