import runpy
from pathlib import Path

import numpy as np
import pytest

from glassbox.text import corpus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "word2vec.py"


@pytest.mark.slow
@pytest.mark.skipif(not (Path(corpus.DEFAULT_WORDNET_PATH) / "data.noun").is_file(),
                    reason="WordNet 3.0 is not installed at /usr/share/wordnet (Debian package wordnet-base)")
def test_the_example_trains_on_a_tenth_of_the_glosses_and_writes_vectors_and_a_plot(tmp_path):
    namespace = runpy.run_path(str(EXAMPLE))
    model, found, path = namespace["main"](tmp_path, every=10, epochs=4, vector_size=32, alpha=0.05)
    assert model.epoch_losses[-1] < 0.85 * model.epoch_losses[0]
    assert path.exists() and path.stat().st_size > 20_000
    colours = {"blue", "green", "yellow", "white", "pink", "orange", "purple", "brown", "black", "yellowish"}
    assert len(set(found["red"]) & colours) >= 3
    assert "king - man + woman" in found
    header = (tmp_path / "word2vec_wordnet.txt").read_text().split("\n", 1)[0]
    assert header == f"{len(model.wv)} 32"
    points = namespace["principal_components"](model.wv.vectors[:50])
    assert points.shape == (50, 2) and np.var(points[:, 0]) >= np.var(points[:, 1])
