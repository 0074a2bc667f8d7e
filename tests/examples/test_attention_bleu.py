import runpy
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "attention_bleu.py"


def test_fast_run_trains_both_models_scores_by_length_and_plots_the_attention(tmp_path):
    result = runpy.run_path(str(EXAMPLE))["main"](tmp_path, fast=True)
    for path in result["paths"]:
        assert path.exists() and path.stat().st_size > 10_000
    assert set(result["by_length"]) == {"plain seq2seq", "attention (Luong)"}
    for name, rows in result["by_length"].items():
        assert sum(count for _, _, count, _, _ in rows) == 60
        assert [low for low, *_ in rows] == sorted(low for low, *_ in rows)
        assert all(0 <= exact <= 1 and 0 <= bleu <= 100 for *_, exact, bleu in rows)
        losses = result["losses"][name]
        assert len(losses) == 15 and np.mean(losses[-3:]) < losses[0]
    source, _ = result["example"]
    alpha = result["attention"]
    assert alpha.shape[1] == len(source)
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0, rtol=1e-5)  # each output step's weights sum to one
