"""English prose available offline, shared by the text tests that compare glassbox with scikit-learn."""

from pathlib import Path

import pytest

WORDNET_NOUNS = Path("/usr/share/wordnet/data.noun")


def real_corpus() -> list[str]:
    """scikit-learn's dataset descriptions, one non-empty line per document, and the first 1,000 WordNet
    noun glosses when WordNet is installed."""
    datasets = pytest.importorskip("sklearn.datasets")
    loaders = [datasets.load_iris, datasets.load_digits, datasets.load_wine, datasets.load_breast_cancer,
               datasets.load_diabetes, datasets.load_linnerud]
    documents = [line for load in loaders for line in load().DESCR.splitlines() if line.strip()]
    if WORDNET_NOUNS.is_file():
        with WORDNET_NOUNS.open(encoding="utf-8") as file:
            glosses = [line.split(" | ", 1)[1].strip() for line in file if not line.startswith(" ")]
        documents += glosses[:1000]
    return documents
