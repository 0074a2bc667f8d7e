import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bag_of_words.py"

# The notes' table, as written there (tab-separated)
NOTES_TABLE = """\tgood\tboy\tgirl\tO/P
Sent 1\t1\t1\t0\t-
Sent 2\t1\t0\t1\t-
Sent 3\t1\t1\t1\t-"""


def test_prints_the_notes_bag_of_words_table(capsys):
    kept, words, table = runpy.run_path(str(EXAMPLE))["main"]()
    assert kept == [["good", "boy"], ["good", "girl"], ["boy", "girl", "good"]]
    assert words == ["good", "boy", "girl"]
    assert table.tolist() == [[1, 1, 0], [1, 0, 1], [1, 1, 1]]
    assert capsys.readouterr().out.endswith(NOTES_TABLE + "\n")
