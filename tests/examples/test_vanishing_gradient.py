import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vanishing_gradient.py"


def test_sigmoid_gradients_vanish_toward_the_input_and_relu_gradients_do_not(tmp_path):
    norms, path = runpy.run_path(str(EXAMPLE))["main"](tmp_path, samples=64)
    assert path.exists() and path.stat().st_size > 10_000
    sigmoid, relu = norms["sigmoid"], norms["ReLU"]
    assert len(sigmoid) == len(relu) == 10
    assert relu[0] > 100 * sigmoid[0]  # at the input layer
    assert sigmoid == sorted(sigmoid)  # grows from the input layer to the output layer
    assert sigmoid[-1] / sigmoid[0] > 1000
    assert relu[-1] / relu[0] < 10
