import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cnn_zoo.py"


def test_lenet_and_alexnet_summaries_and_counts(capsys):
    results = runpy.run_path(str(EXAMPLE))["main"](("lenet", "alexnet"))
    printed = capsys.readouterr().out
    assert results["counts"] == {"LeNet-5": 61_706, "AlexNet (torchvision)": 61_100_840,
                                 "AlexNet (2012 paper, two towers)": 60_965_224}
    lines = printed.splitlines()
    assert any(line.split() == ["features.3", "(Conv2d)", "(1,", "16,", "10,", "10)", "2,416"] for line in lines)
    # AlexNet: conv1 gives floor((224 + 2·2 − 11) / 4) + 1 = 55, the first fully connected layer 9216 · 4096 + 4096
    assert any(line.split() == ["features.0", "(Conv2d)", "(1,", "64,", "55,", "55)", "23,296"] for line in lines)
    assert any(line.split() == ["classifier.1", "(Linear)", "(1,", "4096)", "37,752,832"] for line in lines)
    assert "Total params: 61,706" in printed and "Total params: 61,100,840" in printed
    assert any(line.split() == ["AlexNet", "(torchvision)", "61,100,840"] for line in lines)


@pytest.mark.slow
def test_vgg16_summary(capsys):
    results = runpy.run_path(str(EXAMPLE))["main"](("vgg16",))
    printed = capsys.readouterr().out
    assert results["counts"] == {"VGG16": 138_357_544}
    rows = results["summaries"]["vgg16"].rows
    convolutions = [row for row in rows if row.type == "Conv2d"]
    assert len(convolutions) == 13 and [row.output_shape[-1] for row in convolutions] == [224] * 2 + [112] * 2 + \
        [56] * 3 + [28] * 3 + [14] * 3  # same padding keeps each side; the pools halve it
    lines = printed.splitlines()
    assert any(line.split() == ["classifier.0", "(Linear)", "(1,", "4096)", "102,764,544"] for line in lines)
    assert "Total params: 138,357,544" in printed
