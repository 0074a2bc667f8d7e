import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "moving_average.py"


def smoothness(values):
    return sum(abs(a - b) for a, b in zip(values[1:], values[:-1], strict=True)) / (len(values) - 1)


def test_moving_averages_follow_the_notes_and_adam(tmp_path):
    namespace = runpy.run_path(str(EXAMPLE))
    results = namespace["main"](tmp_path, length=60)
    assert results["path"].exists() and results["path"].stat().st_size > 10_000
    assert results["notes_v3"] == 0.25 * 1.0 + 0.5 * 2.0 + 3.0

    notes, normalised = namespace["notes_moving_average"], namespace["exponential_moving_average"]
    b1, b2, b3 = 0.3, -1.7, 2.2
    assert notes([b1, b2, b3], gamma=0.5) == pytest.approx([b1, 0.5 * b1 + b2, 0.25 * b1 + 0.5 * b2 + b3])
    series = results["series"]
    assert normalised(series, 0.9, bias_correction=False) == pytest.approx([0.1 * v for v in notes(series, 0.9)])
    assert normalised([4.0] * 20, 0.9) == pytest.approx([4.0] * 20)  # the correction removes the start-up bias
    assert normalised([4.0] * 20, 0.9, bias_correction=False)[0] == pytest.approx(0.4)

    assert results["adam_first_moments"] == pytest.approx(results["uncorrected"][0.9], rel=1e-12, abs=1e-12)
    averages = results["averages"]
    assert smoothness(series) > smoothness(averages[0.5]) > smoothness(averages[0.9]) > smoothness(averages[0.98])
