import math
import runpy
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "char_lm.py"
TEXT = ("a dog is a domesticated member of the genus canis. a cat is a small domesticated feline. "
        "the river flows to the sea and the sea is wide. a book is a written work of many pages.\n") * 30


def test_the_character_model_learns_and_prints_samples_as_it_trains(tmp_path, capsys):
    text_file = tmp_path / "text.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    result = runpy.run_path(str(EXAMPLE))["main"](str(text_file), steps=60, fast=True)
    printed = capsys.readouterr().out
    history, losses, characters = result["history"], result["losses"], result["characters"]
    assert characters == sorted(set(TEXT))
    assert history["step"] == [30, 60] and len(losses) == 60
    for sample in history["sample"]:
        assert len(sample) == 40 and set(sample) <= set(characters)
        assert sample in printed
    uniform = math.log(len(characters))
    assert losses[0] == pytest.approx(uniform, rel=0.1)
    assert np.mean(losses[-10:]) < 0.85 * uniform
    assert history["validation_loss"][-1] < 0.85 * uniform


def test_the_default_text_is_the_wordnet_noun_glosses():
    corpus = pytest.importorskip("glassbox.text.corpus")
    try:
        corpus.wordnet_path()
    except FileNotFoundError:
        pytest.skip("WordNet 3.0 is not installed")
    text = runpy.run_path(str(EXAMPLE))["load_text"](sentences=50)
    lines = text.split("\n")
    assert len(lines) == 50 and all(line == line.lower() and line for line in lines)
