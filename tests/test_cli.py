import os

from glassbox import cli


def test_info_prints_version_and_devices(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("glassbox ") and "devices: cpu" in out


def test_train_writes_checkpoint_and_learning_curves(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "iris", "--model", "mlp", "--epochs", "3", "--out", str(tmp_path),
                     "--verbose", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 3 and "test accuracy" in out
    assert os.path.getsize(tmp_path / "checkpoint.safetensors") > 0
    assert os.path.getsize(tmp_path / "learning_curves.png") > 0


def test_train_resumes_from_its_checkpoint(tmp_path, capsys):
    cli.main(["train", "--dataset", "wine", "--epochs", "2", "--out", str(tmp_path), "--verbose", "0"])
    capsys.readouterr()
    cli.main(["train", "--dataset", "wine", "--epochs", "3", "--out", str(tmp_path), "--resume", "--verbose", "2"])
    out = capsys.readouterr().out
    assert "2 epoch(s) already done" in out and out.count("Epoch 3/3") == 1


def test_cnn_model_trains_on_digits(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "digits", "--model", "cnn", "--epochs", "1", "--out", str(tmp_path),
                     "--verbose", "0"]) == 0
    assert "test accuracy" in capsys.readouterr().out
