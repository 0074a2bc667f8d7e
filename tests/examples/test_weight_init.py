import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "weight_init.py"


def test_each_activation_keeps_its_scale_only_with_the_matching_initialiser(tmp_path):
    results, path = runpy.run_path(str(EXAMPLE))["main"](tmp_path, width=64)
    assert path.exists() and path.stat().st_size > 10_000
    relu, tanh = results["ReLU"], results["tanh"]
    he = relu["He uniform"]
    assert 0.5 < he[-1] / he[0] < 2  # He: ReLU activations keep their scale over 10 layers
    assert relu["uniform ±1/√fan_in"][-1] < 1e-3 * relu["uniform ±1/√fan_in"][0]  # ≈ (1/√6)^9
    assert relu["Xavier uniform"][-1] < 0.1 * relu["Xavier uniform"][0]  # ≈ (1/√2)^9
    assert relu["Xavier, tanh gain 5/3"][-1] > 2 * relu["Xavier, tanh gain 5/3"][0]  # too large for ReLU: grows
    assert tanh["Xavier, tanh gain 5/3"][-1] > 0.5 * tanh["Xavier, tanh gain 5/3"][0]
    assert tanh["Xavier uniform"][-1] > 10 * tanh["uniform ±1/√fan_in"][-1]
