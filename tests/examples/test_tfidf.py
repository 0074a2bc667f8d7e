import math
import runpy
from fractions import Fraction
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tfidf.py"

# The notes' final table, entry for entry
NOTES_TFIDF = """\tf_1 good\tf_2 boy\tf_3 girl
Sent. 1\t0\t1/2 × log(3/2)\t0
Sent. 2\t0\t0\t1/2 × log(3/2)
Sent. 3\t0\t1/3 × log(3/2)\t1/3 × log(3/2)"""


def test_prints_the_notes_tfidf_tables(capsys):
    words, term_frequency, idf_text, product_text, values = runpy.run_path(str(EXAMPLE))["main"]()
    output = capsys.readouterr().out
    assert words == ["good", "boy", "girl"]
    half, third = Fraction(1, 2), Fraction(1, 3)
    assert term_frequency == [[half, half, 0], [half, 0, half], [third, third, third]]
    assert idf_text == ["log(3/3) = 0", "log(3/2)", "log(3/2)"]
    assert NOTES_TFIDF in output
    assert "good\tlog(3/3) = 0\nboy\tlog(3/2)\ngirl\tlog(3/2)" in output
    log = math.log(3 / 2)
    np.testing.assert_allclose(values, [[0, log / 2, 0], [0, 0, log / 2], [0, log / 3, log / 3]], rtol=0, atol=1e-15)
    assert "Sent. 3\t0.0000\t0.1352\t0.1352" in output
