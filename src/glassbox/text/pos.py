"""Part-of-speech tagging: an averaged perceptron and a BiLSTM, trained on a tagged corpus.

The notes list POS tagging with tokenization, stemming and lemmatization as level-one text
preprocessing: each word gets its word class (NOUN, VERB, DET …), which depends on the context
("they *book* a room" / "a *book*").

``AveragedPerceptronTagger`` is Honnibal's greedy tagger ("A good part-of-speech tagger in about 200
lines of Python", 2013, the tagger NLTK ships). Each word is described by sparse features of itself
and its neighbours: its lower-cased form, 3-letter suffix, first letter, the two words before and
after (and their suffixes), and the tags already given to the two words before it. A tag's score is
the sum of its weights over the active features; the best-scoring tag wins:

    score(t) = Σ_f w[f, t]          tag = argmax_t score(t)
    on a mistake (guess g, truth y):   w[f, y] += 1,  w[f, g] -= 1   for each active feature f

and the weights used at the end are each weight's average over every step of training (the
"averaged" perceptron, which generalises much better than the last weights). The weights are a NumPy
matrix (features × tags); averaging is lazy: a weight's running total is brought up to date only
when it changes. Words seen at least 20 times with one tag 97% of the time are tagged from a table.

``BiLSTMTagger`` is a glassbox ``nn.Module``: Embedding → bidirectional LSTM → Linear over the tags at
every position, trained with cross-entropy and Adam (``train_bilstm_tagger``).

No English tagged corpus is available offline here (NLTK's data is not installed and cannot be
downloaded; no wheel or Debian package found ships one), so the loaders read the two usual formats
from files you provide: CoNLL-U (Universal Dependencies: ``read_conllu``, the UPOS or XPOS column) and
one sentence per line of word/TAG tokens (``read_tagged_text``, the Brown/Penn style). The tests
train on tagged sentences they write themselves.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy

from glassbox import nn

START, END = ["-START-", "-START2-"], ["-END-", "-END2-"]


# ---- corpora --------------------------------------------------------------------------------------
def read_conllu(path, tag_column: str = "upos") -> list[list[tuple[str, str]]]:
    """Sentences of (word, tag) from a CoNLL-U file: column 2 FORM, 4 UPOS or 5 XPOS.

    Comment lines (#) are skipped, and so are multi-word token ranges (1-2) and empty nodes (1.1).
    """
    columns = {"upos": 3, "xpos": 4}
    if tag_column not in columns:
        raise ValueError(f"read_conllu: tag_column must be 'upos' or 'xpos', got {tag_column!r}")
    sentences, current = [], []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.rstrip("\n")
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 10:
            raise ValueError(f"read_conllu: line {number} of {path} has {len(fields)} tab-separated fields, "
                             f"CoNLL-U has 10")
        if "-" in fields[0] or "." in fields[0]:
            continue
        current.append((fields[1], fields[columns[tag_column]]))
    if current:
        sentences.append(current)
    return sentences


def read_tagged_text(path, separator: str = "/") -> list[list[tuple[str, str]]]:
    """Sentences of (word, tag) from a file with one sentence per line of word/TAG tokens.

    The tag follows the last separator, so "1/2/CD" is the word "1/2" tagged CD.
    """
    sentences = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        sentence = []
        for token in line.split():
            word, found, tag = token.rpartition(separator)
            if not found or not word or not tag:
                raise ValueError(f"read_tagged_text: line {number} of {path}: {token!r} is not word{separator}TAG")
            sentence.append((word, tag))
        if sentence:
            sentences.append(sentence)
    return sentences


def split_words_and_tags(sentences):
    """[(word, tag), …] sentences → (word lists, tag lists)."""
    return [[word for word, _ in s] for s in sentences], [[tag for _, tag in s] for s in sentences]


def accuracy(tagger, sentences) -> float:
    """The share of tokens whose predicted tag is the gold tag."""
    correct = total = 0
    for sentence in sentences:
        words, gold = zip(*sentence, strict=True)
        predicted = [tag for _, tag in tagger.tag(list(words))]
        correct += sum(p == g for p, g in zip(predicted, gold, strict=True))
        total += len(gold)
    if total == 0:
        raise ValueError("accuracy: no tagged tokens to evaluate")
    return correct / total


def _check_tagged(sentences, caller: str) -> list:
    sentences = list(sentences)
    if not sentences:
        raise ValueError(f"{caller}: no tagged sentences to train on")
    for number, sentence in enumerate(sentences):
        for item in sentence:
            if not (isinstance(item, tuple | list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                raise TypeError(f"{caller}: sentence {number} holds {item!r}; expected (word, tag) pairs of str")
    return sentences


# ---- the averaged perceptron -----------------------------------------------------------------------
def normalize(word: str) -> str:
    """Honnibal's word shapes: hyphenated words, 4-digit years and numbers share one feature each."""
    if "-" in word and word[0] != "-":
        return "!HYPHEN"
    if word.isdigit() and len(word) == 4:
        return "!YEAR"
    if word[:1].isdigit():
        return "!DIGITS"
    return word.lower()


def features(i: int, word: str, context: list, previous: str, previous2: str) -> list[str]:
    """The feature names of word i (``context`` is START + normalised words + END)."""
    i += len(START)
    return [
        "bias", "i suffix " + word[-3:], "i pref1 " + word[:1], "i-1 tag " + previous, "i-2 tag " + previous2,
        f"i tag+i-2 tag {previous} {previous2}", "i word " + context[i], f"i-1 tag+i word {previous} {context[i]}",
        "i-1 word " + context[i - 1], "i-1 suffix " + context[i - 1][-3:], "i-2 word " + context[i - 2],
        "i+1 word " + context[i + 1], "i+1 suffix " + context[i + 1][-3:], "i+2 word " + context[i + 2],
    ]


class AveragedPerceptronTagger:
    """Greedy left-to-right tagger with averaged perceptron weights (see the module docstring)."""

    def __init__(self):
        self.tags: list[str] = []
        self.feature_index: dict[str, int] = {}
        self.weights = numpy.zeros((0, 0))
        self.tag_dictionary: dict[str, str] = {}

    def _feature_ids(self, names, grow: bool) -> numpy.ndarray:
        if grow:
            for name in names:
                if name not in self.feature_index:
                    self.feature_index[name] = len(self.feature_index)
            if len(self.feature_index) > len(self.weights):  # double the rows: amortised O(1) growth
                rows = max(2 * len(self.weights), len(self.feature_index), 1024)
                for attribute in ("weights", "_totals", "_stamps"):
                    grown = numpy.zeros((rows, len(self.tags)), dtype=getattr(self, attribute).dtype)
                    grown[: len(getattr(self, attribute))] = getattr(self, attribute)
                    setattr(self, attribute, grown)
        return numpy.array([self.feature_index[n] for n in names if n in self.feature_index], dtype=numpy.int64)

    def _best(self, ids) -> int:
        return int(numpy.argmax(self.weights[ids].sum(axis=0)))  # (T,) scores

    def train(self, sentences, epochs: int = 5, seed: int = 0) -> AveragedPerceptronTagger:
        """Learn from [(word, tag), …] sentences, visiting them in a new seeded order each epoch."""
        sentences = _check_tagged(sentences, "AveragedPerceptronTagger.train")
        self.tags = sorted({tag for sentence in sentences for _, tag in sentence})
        tag_number = {tag: k for k, tag in enumerate(self.tags)}
        self._build_tag_dictionary(sentences)
        self.feature_index = {}
        self.weights = numpy.zeros((0, len(self.tags)))
        self._totals = numpy.zeros((0, len(self.tags)))
        self._stamps = numpy.zeros((0, len(self.tags)), dtype=numpy.int64)
        order, shuffler, step = list(range(len(sentences))), random.Random(seed), 0
        for _ in range(epochs):
            shuffler.shuffle(order)
            for index in order:
                words, gold = zip(*sentences[index], strict=True)
                context = START + [normalize(word) for word in words] + END
                previous, previous2 = START
                for i, word in enumerate(words):
                    guess = self.tag_dictionary.get(word)
                    if guess is None:
                        ids = self._feature_ids(features(i, word, context, previous, previous2), grow=True)
                        guess = self.tags[self._best(ids)]
                        step += 1
                        if guess != gold[i]:
                            self._update(ids, tag_number[gold[i]], tag_number[guess], step)
                    previous2, previous = previous, guess
        self._average(step)
        return self

    def _update(self, ids, truth: int, guess: int, step: int) -> None:
        for tag, change in ((truth, 1.0), (guess, -1.0)):
            # bring the running totals up to now before the weight changes (lazy averaging)
            self._totals[ids, tag] += (step - self._stamps[ids, tag]) * self.weights[ids, tag]
            self._stamps[ids, tag] = step
            self.weights[ids, tag] += change

    def _average(self, step: int) -> None:
        rows = len(self.feature_index)
        totals = self._totals[:rows] + (step - self._stamps[:rows]) * self.weights[:rows]
        self.weights = totals / max(step, 1)
        del self._totals, self._stamps

    def _build_tag_dictionary(self, sentences, frequency: int = 20, ambiguity: float = 0.97) -> None:
        counts = defaultdict(Counter)
        for sentence in sentences:
            for word, tag in sentence:
                counts[word][tag] += 1
        self.tag_dictionary = {}
        for word, tags in counts.items():
            tag, mode = tags.most_common(1)[0]
            total = sum(tags.values())
            if total >= frequency and mode / total >= ambiguity:
                self.tag_dictionary[word] = tag

    def tag(self, words) -> list[tuple[str, str]]:
        """[(word, tag), …] for a list of words (tokenise first)."""
        if isinstance(words, str):
            raise TypeError("AveragedPerceptronTagger.tag: expected a list of words, got a str (tokenise it first)")
        if not self.tags:
            raise RuntimeError("AveragedPerceptronTagger.tag: train the tagger first")
        words = list(words)
        context = START + [normalize(word) for word in words] + END
        previous, previous2 = START
        tagged = []
        for i, word in enumerate(words):
            tag = self.tag_dictionary.get(word)
            if tag is None:
                tag = self.tags[self._best(self._feature_ids(features(i, word, context, previous, previous2), False))]
            tagged.append((word, tag))
            previous2, previous = previous, tag
        return tagged


# ---- the BiLSTM tagger -----------------------------------------------------------------------------
class BiLSTMTagger(nn.Module):
    """word ids (B, T) → tag scores (B, T, tags): Embedding → bidirectional LSTM → Linear."""

    def __init__(self, vocabulary_size: int, tag_count: int, embedding_dim: int = 64, hidden_size: int = 64,
                 padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden_size, tag_count)

    def forward(self, word_ids, lengths=None):
        states, _ = self.lstm(self.embedding(word_ids), lengths=lengths)  # (B, T, 2·hidden)
        return self.classifier(states)  # (B, T, tags)


class NeuralTagger:
    """A trained BiLSTMTagger with its word and tag tables: ``tag(words)`` as the perceptron's."""

    def __init__(self, model, vocabulary, tags):
        self.model, self.vocabulary, self.tags = model, vocabulary, tags

    def tag(self, words) -> list[tuple[str, str]]:
        import glassbox as gb

        words = list(words)
        if not words:
            return []
        self.model.eval()
        with gb.no_grad():
            scores = self.model(self.vocabulary.encode_batch([[w.lower() for w in words]]))  # (1, T, tags)
        return [(word, self.tags[k]) for word, k in zip(words, scores.numpy()[0].argmax(-1).tolist(), strict=True)]


def train_bilstm_tagger(sentences, epochs: int = 10, batch_size: int = 32, learning_rate: float = 0.01,
                        embedding_dim: int = 64, hidden_size: int = 64, min_freq: int = 1, seed: int = 0,
                        verbose: bool = False) -> NeuralTagger:
    """Train a BiLSTMTagger on [(word, tag), …] sentences with Adam and cross-entropy (padding ignored)."""
    import glassbox as gb
    import glassbox.nn.functional as F
    from glassbox import optim
    from glassbox.text.vocabulary import Vocabulary

    sentences = _check_tagged(sentences, "train_bilstm_tagger")
    words, gold = split_words_and_tags(sentences)
    lowered = [[w.lower() for w in s] for s in words]
    vocabulary = Vocabulary.build(lowered, min_freq=min_freq, bos_token=None, eos_token=None)
    tags = sorted({tag for s in gold for tag in s})
    tag_number = {tag: k for k, tag in enumerate(tags)}
    gb.manual_seed(seed)
    model = BiLSTMTagger(len(vocabulary), len(tags), embedding_dim, hidden_size, vocabulary.pad_index)
    optimizer = optim.Adam(model.parameters(), lr=learning_rate)
    rng = numpy.random.default_rng(seed)
    for epoch in range(epochs):
        model.train()
        order, total = rng.permutation(len(sentences)), 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            ids = vocabulary.encode_batch([lowered[i] for i in batch])  # (B, T)
            target = numpy.full(ids.shape, -100, dtype=numpy.int64)  # -100: padding, ignored by the loss
            for row, i in enumerate(batch):
                target[row, : len(gold[i])] = [tag_number[t] for t in gold[i]]
            lengths = [len(gold[i]) for i in batch]
            scores = model(ids, lengths=lengths)  # (B, T, tags)
            loss = F.cross_entropy(scores.reshape(-1, len(tags)), gb.tensor(target.reshape(-1)), ignore_index=-100)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        if verbose:
            print(f"epoch {epoch + 1}: loss {total / len(sentences):.4f}")
    return NeuralTagger(model, vocabulary, tags)
