"""Text classification three ways, on labelled English text that is already on the machine.

Every WordNet synset sits in a lexicographer file that names its topic: noun.animal, noun.plant,
noun.artifact, noun.person, noun.food, noun.location … So a noun's gloss ("a member of the genus
Canis … that has been domesticated by man") is a short document labelled with its topic, and the task
is to read the definition and name the topic (six classes: chance is 1/6). The notes' three levels of
text representation each get a classifier:

- bag of words weighted by TF-IDF (tf × log(N / df)) → logistic regression (nn.Linear + cross-entropy);
- average word2vec: the mean of the document's word vectors (Word2Vec trained on the other glosses) →
  logistic regression;
- Embedding → LSTM → the last hidden state → Linear, trained end to end.

    python examples/text_classifier.py [--per-class 1500] [--epochs 5]
"""

import argparse
import random

import numpy as np

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn, optim
from glassbox.text.corpus import gloss_sentences, iterate_wordnet_glosses
from glassbox.text.tfidf import TfidfVectorizer
from glassbox.text.vocabulary import Vocabulary
from glassbox.text.word2vec import AverageWord2Vec, Word2Vec

CLASSES = ("noun.animal", "noun.plant", "noun.artifact", "noun.person", "noun.food", "noun.location")


def load_documents(per_class: int, seed: int = 0):
    """Up to ``per_class`` glosses of each class: token lists, labels and synset offsets, shuffled with ``seed``."""
    by_class = {name: [] for name in CLASSES}
    for gloss in iterate_wordnet_glosses(parts_of_speech=("noun",)):
        if gloss.lexicographer_file in by_class:
            tokens = [word for part in gloss.definitions + gloss.examples for word in part]
            if tokens:
                by_class[gloss.lexicographer_file].append((tokens, CLASSES.index(gloss.lexicographer_file),
                                                           gloss.offset))
    rng = random.Random(seed)
    documents = [item for items in by_class.values() for item in rng.sample(items, min(per_class, len(items)))]
    rng.shuffle(documents)
    tokens, labels, offsets = zip(*documents, strict=True)
    return list(tokens), np.array(labels), list(offsets)


def train_linear(features_of, train_count: int, test_features, train_labels, test_labels, input_size: int,
                 epochs: int = 30, batch_size: int = 128, learning_rate: float = 0.01, seed: int = 0) -> float:
    """Logistic regression (softmax of one nn.Linear) with AdamW; returns the test accuracy.

    ``features_of(rows)`` gives the dense feature rows of the training documents ``rows``.
    """
    gb.manual_seed(seed)
    model = nn.Linear(input_size, len(CLASSES))
    optimizer = optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(train_count)
        for start in range(0, train_count, batch_size):
            rows = order[start:start + batch_size]
            loss = F.cross_entropy(model(gb.tensor(features_of(rows))), gb.tensor(train_labels[rows]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with gb.no_grad():
        predicted = model(gb.tensor(test_features)).numpy().argmax(1)
    return float((predicted == test_labels).mean())


def tfidf_logistic_regression(train_tokens, test_tokens, train_labels, test_labels, seed: int = 0) -> float:
    vectorizer = TfidfVectorizer.like_sklearn(min_df=2, dtype=np.float32)
    train_matrix = vectorizer.fit_transform([" ".join(t) for t in train_tokens])  # sparse (n, terms)
    test_matrix = vectorizer.transform([" ".join(t) for t in test_tokens]).toarray()
    return train_linear(lambda rows: train_matrix[rows].toarray(), len(train_tokens), test_matrix, train_labels,
                        test_labels, train_matrix.shape[1], learning_rate=0.02, seed=seed)


def average_word2vec_regression(train_tokens, test_tokens, train_labels, test_labels, held_out_offsets, every: int,
                                word2vec_epochs: int, seed: int = 0) -> float:
    # the word vectors learn from every gloss except the test documents' (no labels are used)
    sentences = [sentence for gloss in iterate_wordnet_glosses() if gloss.offset not in held_out_offsets
                 or gloss.part_of_speech != "noun" for sentence in gloss_sentences(gloss)][::every]
    vectors = Word2Vec(sentences, vector_size=100, min_count=3, epochs=word2vec_epochs, seed=seed,
                       alpha=0.025 if every == 1 else 0.05).wv
    average = AverageWord2Vec(keyed_vectors=vectors)
    train_features, test_features = average.transform(train_tokens), average.transform(test_tokens)
    mean, scale = train_features.mean(0), train_features.std(0) + 1e-6  # standardised: one step size suits all
    train_features, test_features = (train_features - mean) / scale, (test_features - mean) / scale
    return train_linear(lambda rows: train_features[rows], len(train_tokens), test_features, train_labels,
                        test_labels, vectors.vector_size, seed=seed)


class LSTMClassifier(nn.Module):
    """token ids (B, T) → class scores (B, classes): Embedding → LSTM → last hidden state → Linear."""

    def __init__(self, vocabulary_size: int, padding_idx: int, embedding_dim: int = 64, hidden_size: int = 64):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.classifier = nn.Linear(hidden_size, len(CLASSES))

    def forward(self, token_ids, lengths):
        _, (hidden, _) = self.lstm(self.embedding(token_ids), lengths=lengths)  # hidden: (1, B, hidden_size)
        return self.classifier(hidden[0])


def lstm_classifier(train_tokens, test_tokens, train_labels, test_labels, epochs: int, max_length: int = 40,
                    hidden_size: int = 64, seed: int = 0) -> float:
    gb.manual_seed(seed)
    vocabulary = Vocabulary.build(train_tokens, min_freq=2, bos_token=None, eos_token=None)
    model = LSTMClassifier(len(vocabulary), vocabulary.pad_index, hidden_size, hidden_size)
    optimizer = optim.Adam(model.parameters(), lr=0.005)
    clip = [tokens[:max_length] for tokens in train_tokens]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(clip))
        for start in range(0, len(order), 64):
            rows = order[start:start + 64]
            batch = [clip[i] for i in rows]
            loss = F.cross_entropy(model(vocabulary.encode_batch(batch), [len(t) for t in batch]),
                                   gb.tensor(train_labels[rows]))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
    model.eval()
    test = [tokens[:max_length] for tokens in test_tokens]
    with gb.no_grad():
        predicted = model(vocabulary.encode_batch(test), [len(t) for t in test]).numpy().argmax(1)
    return float((predicted == test_labels).mean())


def main(per_class: int = 1500, epochs: int = 5, every: int = 1, word2vec_epochs: int = 5, hidden_size: int = 64,
         seed: int = 0) -> dict:
    tokens, labels, offsets = load_documents(per_class, seed)
    split = int(0.8 * len(tokens))
    train_tokens, test_tokens = tokens[:split], tokens[split:]
    train_labels, test_labels = labels[:split], labels[split:]
    print(f"{len(tokens)} glosses in {len(CLASSES)} classes ({', '.join(CLASSES)}): "
          f"{len(train_tokens)} to train, {len(test_tokens)} to test; chance {1 / len(CLASSES):.3f}")
    results = {"TF-IDF + logistic regression": tfidf_logistic_regression(train_tokens, test_tokens, train_labels,
                                                                          test_labels, seed)}
    print(f"{'TF-IDF + logistic regression':40s} accuracy {results['TF-IDF + logistic regression']:.3f}")
    name = "average word2vec + logistic regression"
    results[name] = average_word2vec_regression(train_tokens, test_tokens, train_labels, test_labels,
                                                set(offsets[split:]), every, word2vec_epochs, seed)
    print(f"{name:40s} accuracy {results[name]:.3f}")
    name = "Embedding + LSTM"
    results[name] = lstm_classifier(train_tokens, test_tokens, train_labels, test_labels, epochs,
                                    hidden_size=hidden_size, seed=seed)
    print(f"{name:40s} accuracy {results[name]:.3f}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the LSTM")
    parser.add_argument("--every", type=int, default=1, help="train word2vec on every N-th gloss sentence")
    parser.add_argument("--word2vec-epochs", type=int, default=5)
    arguments = parser.parse_args()
    main(arguments.per_class, arguments.epochs, arguments.every, arguments.word2vec_epochs)
