import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "learning_rate.py"


def test_too_small_creeps_and_too_large_jumps(tmp_path):
    paths, losses, path = runpy.run_path(str(EXAMPLE))["main"](tmp_path, epochs=3)
    assert path.exists() and path.stat().st_size > 10_000
    small, good, large = paths["too small"], paths["good"], paths["too large"]
    assert small[-1] == min(small) > 0.5  # creeps, always on the same side of the minimum
    assert abs(good[-1]) < 1e-3
    signs = [w > 0 for w in large]
    assert all(a != b for a, b in zip(signs[:-1], signs[1:], strict=True))  # jumps across the minimum every step
    assert abs(large[-1]) > abs(large[0])  # and away from it
    assert losses["good"][-1] < 0.2
    assert losses["too large"][-1] > 5 * losses["good"][-1]
    assert losses["too small"][-1] > 5 * losses["good"][-1]
    assert losses["too small"][-1] < losses["too small"][0]  # it does learn, slowly
