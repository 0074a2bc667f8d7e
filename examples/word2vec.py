"""Word2Vec on an English corpus that is already on the machine: the 117,659 glosses of WordNet 3.0.

The notes: each word becomes "a vector of 32 or more dimensions instead of a single number", in which
"the semantic information and relation between different words is preserved", so that

    King - Man + Woman ≈ Queen

The steps the notes list are what ``Word2Vec`` does: tokenise the sentences, count the words (a
histogram), keep the frequent ones, and learn from which words occur together in a window. Here the
sentences are the WordNet definitions and examples, each headed by the words it defines ("dog domestic
dog canis familiaris a member of the genus canis …"). The script trains, prints the loss of each
epoch, the nearest neighbours (cosine) of a few words and the analogy, writes the vectors in the
word2vec text format (gensim reads it), and plots a few groups of words projected on their first two
principal components.

    python examples/word2vec.py --out runs/examples [--sg 1] [--epochs 5] [--every 1]
"""

import argparse
from pathlib import Path

import numpy as np

from glassbox.text.corpus import wordnet_sentences
from glassbox.text.word2vec import Word2Vec

QUERIES = ["dog", "king", "red", "water", "car", "happy"]
GROUPS = {
    "animals": ["dog", "cat", "horse", "cow", "sheep", "wolf", "lion", "bird"],
    "colours": ["red", "blue", "green", "yellow", "white", "black", "brown", "purple"],
    "people": ["man", "woman", "king", "queen", "boy", "girl", "father", "mother"],
    "vehicles": ["car", "truck", "boat", "ship", "aircraft", "bicycle", "train", "bus"],
}


def train(every: int = 1, epochs: int = 5, sg: int = 0, vector_size: int = 100, seed: int = 0, alpha: float = 0.025):
    """A Word2Vec trained on every ``every``-th sentence of the WordNet glosses."""
    sentences = wordnet_sentences()[::every]
    words = sum(len(sentence) for sentence in sentences)
    print(f"corpus: {len(sentences):,} sentences, {words:,} words (WordNet 3.0 glosses)")
    model = Word2Vec(sentences, vector_size=vector_size, window=5, min_count=5, sg=sg, epochs=epochs, seed=seed,
                     alpha=alpha)
    for epoch, loss in enumerate(model.epoch_losses, start=1):
        print(f"epoch {epoch}: mean loss per pair {loss:.4f}")
    print(f"vocabulary: {len(model.wv):,} words seen at least 5 times")
    return model


def neighbours(wv, words=QUERIES, topn: int = 8) -> dict:
    found = {}
    for word in words:
        if word in wv:
            found[word] = [w for w, _ in wv.most_similar(word, topn=topn)]
            print(f"{word:>8}: {', '.join(found[word])}")
    if all(word in wv for word in ("king", "man", "woman")):
        analogy = wv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
        found["king - man + woman"] = [w for w, _ in analogy]
        print("king - man + woman ≈ " + ", ".join(f"{w} ({s:.2f})" for w, s in analogy))
    return found


def principal_components(vectors: np.ndarray, count: int = 2) -> np.ndarray:
    """Rows projected on the ``count`` directions of largest variance (SVD of the centred rows)."""
    centred = vectors - vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)  # directions: (d, d), rows sorted by variance
    return centred @ directions[:count].T  # (n, count)


def plot(wv, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {name: [w for w in words if w in wv] for name, words in GROUPS.items()}
    words = [w for members in groups.values() for w in members]
    points = principal_components(wv[words])  # (n, 2)
    figure, axes = plt.subplots(figsize=(8, 6))
    start = 0
    for name, members in groups.items():
        chunk = points[start:start + len(members)]
        axes.scatter(chunk[:, 0], chunk[:, 1], label=name)
        for word, (x, y) in zip(members, chunk, strict=True):
            axes.annotate(word, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
        start += len(members)
    axes.set_title("Word2Vec on WordNet glosses: four groups of words, first two principal components")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def main(out, every: int = 1, epochs: int = 5, sg: int = 0, vector_size: int = 100, alpha: float = 0.025):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = train(every, epochs, sg, vector_size, alpha=alpha)
    found = neighbours(model.wv)
    model.wv.save_word2vec_format(out / "word2vec_wordnet.txt")
    path = plot(model.wv, out / "word2vec_pca.png")
    print(f"wrote {out / 'word2vec_wordnet.txt'} and {path}")
    return model, found, path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples")
    parser.add_argument("--every", type=int, default=1, help="keep every N-th sentence (a faster, smaller corpus)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--sg", type=int, default=0, help="1: skip-gram, 0: CBOW")
    parser.add_argument("--vector-size", type=int, default=100)
    parser.add_argument("--alpha", type=float, default=0.025)
    arguments = parser.parse_args()
    main(arguments.out, arguments.every, arguments.epochs, arguments.sg, arguments.vector_size, arguments.alpha)
