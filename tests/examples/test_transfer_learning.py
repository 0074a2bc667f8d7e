import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "transfer_learning.py"


@pytest.mark.slow
def test_reused_features_beat_scratch_on_ten_percent_of_the_labels(capsys):
    results = runpy.run_path(str(EXAMPLE))["main"](fast=True, seed=0)
    printed = capsys.readouterr().out
    assert results["labelled_images"] == 70 and results["test_images"] == 180
    assert results["source_accuracy"] > 0.95  # the source network did learn digits 0-4
    assert results["frozen_features_accuracy"] > results["scratch_accuracy"] + 0.03
    assert results["fine_tuned_accuracy"] > results["scratch_accuracy"] + 0.03
    assert f"same network from scratch           accuracy {results['scratch_accuracy']:.3f}" in printed
    assert f"reused frozen features + new head   accuracy {results['frozen_features_accuracy']:.3f}" in printed
