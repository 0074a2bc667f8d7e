"""Word2Vec training speed: glassbox (one thread) against gensim 4 (workers=1 and workers=2), same corpus and settings.

The corpus is the WordNet 3.0 glosses (glassbox.text.corpus.wordnet_sentences); both libraries get the
same vector size, window, negatives, sub-sampling, min_count and epochs. The vocabulary is built
before the clock starts; the clock covers ``train`` only. Runs alternate between the libraries
(so a busy moment of the machine hits both) and the table shows the median words per second
(corpus words × epochs / seconds of wall time), CPU seconds too, and the ratio glassbox / gensim:
above 1 means glassbox is faster. The target is a ratio of at least 0.5 against gensim on one worker.

    python bench/word2vec.py [--limit 60000] [--epochs 1] [--rounds 3] [--sg 1 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import limit_threads, machine_description  # noqa: E402


def timed(function) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="use the first N sentences (default: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sg", type=int, nargs="+", default=[1, 0], help="1 skip-gram, 0 CBOW")
    parser.add_argument("--vector-size", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--batch-words", type=int, default=None, help="glassbox's batch_words (default: its own)")
    args = parser.parse_args(argv)
    limit_threads(1)

    from gensim.models import Word2Vec as GensimWord2Vec

    from glassbox.text.corpus import wordnet_sentences
    from glassbox.text.word2vec import Word2Vec

    sentences = wordnet_sentences(limit=args.limit)
    words = sum(len(sentence) for sentence in sentences) * args.epochs
    settings = dict(vector_size=args.vector_size, window=args.window, negative=args.negative,
                    min_count=args.min_count, sample=1e-3, epochs=args.epochs, seed=1)
    print(f"machine: {machine_description(1)}")
    print(f"corpus: WordNet glosses, {len(sentences)} sentences, {words // args.epochs} words; "
          f"{settings}; glassbox on 1 thread")
    extra = {} if args.batch_words is None else {"batch_words": args.batch_words}
    rows = []
    for sg in args.sg:
        runners = {
            "glassbox": lambda sg=sg: Word2Vec(sg=sg, **settings, **extra).build_vocab(sentences),
            "gensim workers=1": lambda sg=sg: _gensim(GensimWord2Vec, sentences, sg, 1, settings),
            "gensim workers=2": lambda sg=sg: _gensim(GensimWord2Vec, sentences, sg, 2, settings),
        }
        times = {name: [] for name in runners}
        for _ in range(args.rounds):
            for name, build in runners.items():
                model = build()
                times[name].append(timed(lambda model=model: _train(model, sentences, args.epochs)))
        median = {name: (statistics.median(t[0] for t in values), statistics.median(t[1] for t in values))
                  for name, values in times.items()}
        ours_wall, ours_cpu = median["glassbox"]
        for name, (wall, cpu) in median.items():
            ratio = "" if name == "glassbox" else f"{wall / ours_wall:.2f}"
            model_name = "skip-gram" if sg else "CBOW"
            rows.append((model_name, name, f"{words / wall:,.0f}", f"{wall:.2f}", f"{cpu:.2f}", ratio))
    header = ("model", "library", "words/s", "wall s", "cpu s", "glassbox/this (words/s)")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for line in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))
    print("target: glassbox / gensim workers=1 >= 0.5")


def _gensim(model_class, sentences, sg, workers, settings):
    model = model_class(sg=sg, workers=workers, **settings)
    model.build_vocab(sentences)
    return model


def _train(model, sentences, epochs):
    if hasattr(model, "corpus_count"):  # gensim
        model.train(sentences, total_examples=len(sentences), epochs=epochs)
    else:
        model.train(sentences, epochs=epochs)


if __name__ == "__main__":
    main()
