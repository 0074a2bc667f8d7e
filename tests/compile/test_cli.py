"""glassbox compile MODEL.joblib OUT: the compiled file predicts as the model; the help warns about joblib."""

import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier

import glassbox.compile as gbc
from glassbox import cli


def test_compile_command_writes_a_loadable_model(synthetic, tmp_path, capsys):
    X, y = synthetic["binary"]
    model = RandomForestClassifier(5, max_depth=4, random_state=0).fit(X, y)
    joblib.dump(model, tmp_path / "forest.joblib")
    out = tmp_path / "forest.safetensors"
    assert cli.main(["compile", str(tmp_path / "forest.joblib"), str(out), "--strategy", "gemm"]) == 0
    assert "compiled RandomForestClassifier" in capsys.readouterr().out
    loaded = gbc.load(out)
    assert loaded.strategy == "gemm"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_compile_help_warns_that_joblib_runs_code():
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["compile"].format_help()
    assert "runs code" in help_text and "trust" in help_text
