import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "training_loop.py"


def test_the_explicit_loop_and_trainer_fit_train_the_same_model(tmp_path):
    results = runpy.run_path(str(EXAMPLE))["main"](tmp_path, epochs=3)
    assert results["path"].exists() and results["path"].stat().st_size > 10_000
    assert results["same_weights"]
    assert results["explicit_losses"] == results["trainer_losses"]
    assert results["explicit_accuracy"] == results["trainer_accuracy"] > 0.9
    assert results["explicit_losses"][-1] < results["explicit_losses"][0] / 3
