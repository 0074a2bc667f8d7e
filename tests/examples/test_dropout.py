import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dropout.py"


def test_dropout_narrows_the_train_validation_gap(tmp_path):
    results, path = runpy.run_path(str(EXAMPLE))["main"](tmp_path, samples=150, epochs=10, width=512)
    assert path.exists() and path.stat().st_size > 10_000
    plain, dropped = results["no dropout"], results["dropout"]

    def gaps(result):
        return [v - t for t, v in zip(result["train_loss"], result["validation_loss"], strict=True)]

    assert plain["train_loss"][-1] < 0.05  # the plain network memorises its 150 samples
    assert gaps(dropped)[-1] < gaps(plain)[-1] - 0.03
    assert sum(gaps(dropped)) < sum(gaps(plain))
    assert dropped["validation_accuracy"] > 0.8  # dropout still learns
