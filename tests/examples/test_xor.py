import runpy
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_xor_network_learns():
    sys.path.insert(0, str(EXAMPLES))
    try:
        namespace = runpy.run_path(str(EXAMPLES / "xor.py"))
    finally:
        sys.path.remove(str(EXAMPLES))
    prediction, losses = namespace["train_xor"](steps=1500, report_every=0)
    assert losses[-1] < 0.01 < losses[0]
    assert [round(p[0]) for p in prediction.tolist()] == [0, 1, 1, 0]
