import runpy
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "activations.py"


def test_every_activation_has_its_autograd_derivative(tmp_path):
    curves, path = runpy.run_path(str(EXAMPLE))["main"](tmp_path, points=801)
    assert path.exists() and path.stat().st_size > 10_000
    assert len(curves) == 12
    for name, (x, y, derivative) in curves.items():
        # central differences of the plotted values, away from the kinks of the piecewise functions
        step = x[1] - x[0]
        numeric = (y[2:] - y[:-2]) / (2 * step)
        smooth = (np.abs(x[1:-1]) > 2 * step) & (np.abs(x[1:-1] + 0.5) > 2 * step) & (np.abs(x[1:-1] - 2) > 2 * step)
        np.testing.assert_allclose(derivative[1:-1][smooth], numeric[smooth], atol=1e-4, err_msg=name)
    assert curves["sigmoid"][2].max() == 0.25  # at x = 0: the notes' bound on σ'
    assert not curves["binary step"][2].any()  # no gradient at all
    relu_derivative = curves["ReLU"][2]
    assert set(np.unique(relu_derivative)) == {0.0, 1.0}
    assert np.unique(curves["leaky ReLU"][2]).tolist() == [0.01, 1.0]
    x, _, maxout_derivative = curves["maxout"]
    between_kinks = (np.abs(x + 0.5) > 1e-9) & (np.abs(x - 2) > 1e-9)  # where two lines tie, the gradient is shared
    assert set(np.unique(maxout_derivative[between_kinks])) == {-0.5, 0.5, 2.0}  # the slope of the winning line
