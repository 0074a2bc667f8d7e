import runpy
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "convolution.py"


def test_the_notes_vertical_edge_feature_map(capsys):
    results = runpy.run_path(str(EXAMPLE))["main"]()
    printed = capsys.readouterr().out
    # the notes: the 4×4 map 0 -4 -4 0 in every row, and 255 0 0 255 once rescaled to 0..255
    np.testing.assert_array_equal(results["feature_map"], [[0, -4, -4, 0]] * 4)
    np.testing.assert_array_equal(results["scaled"], [[255, 0, 0, 255]] * 4)
    assert results["padded_shape"] == (6, 6)
    map_block = printed.split("feature map (4x4: n - f + 1 = 6 - 3 + 1 = 4):\n")[1].split("feature map rescaled")[0]
    assert [line.split() for line in map_block.strip().splitlines()] == [["0", "-4", "-4", "0"]] * 4
    scaled_block = printed.split("feature map rescaled to 0..255 (min-max):\n")[1].split("with padding")[0]
    assert [line.split() for line in scaled_block.strip().splitlines()] == [["255", "0", "0", "255"]] * 4
    assert "with padding p = 1: 6x6" in printed
