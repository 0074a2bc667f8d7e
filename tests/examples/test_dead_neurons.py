import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dead_neurons.py"


def test_dead_relu_units_stay_dead_and_leaky_units_recover(tmp_path):
    results, path = runpy.run_path(str(EXAMPLE))["main"](tmp_path, epochs=2)
    assert path.exists() and path.stat().st_size > 10_000
    relu, leaky = results["ReLU"], results["leaky ReLU"]
    assert relu["dead_at_start"] == leaky["dead_at_start"] > 0.3  # the same weights, many dead units
    assert relu["dead_at_end"] >= relu["dead_at_start"]  # no dead ReLU unit ever comes back
    assert leaky["dead_at_end"] < 0.05
    assert leaky["dead"][-1] < relu["dead"][-1]
    assert leaky["accuracy"] > relu["accuracy"] + 0.2
