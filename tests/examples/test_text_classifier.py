import runpy
from pathlib import Path

import pytest

from glassbox.text import corpus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "text_classifier.py"


@pytest.mark.slow
@pytest.mark.skipif(not (Path(corpus.DEFAULT_WORDNET_PATH) / "data.noun").is_file(),
                    reason="WordNet 3.0 is not installed at /usr/share/wordnet (Debian package wordnet-base)")
def test_three_classifiers_name_the_topic_of_a_gloss_well_above_chance():
    results = runpy.run_path(str(EXAMPLE))["main"](per_class=120, epochs=4, every=10, word2vec_epochs=3,
                                                   hidden_size=32)
    # six classes, 144 test glosses: chance is 1/6
    assert results["TF-IDF + logistic regression"] > 0.55
    assert results["average word2vec + logistic regression"] > 0.35
    assert results["Embedding + LSTM"] > 0.3
