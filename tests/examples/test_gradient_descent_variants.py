import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gradient_descent_variants.py"


def rises(losses):
    return sum(later > earlier for earlier, later in zip(losses[:-1], losses[1:], strict=True)) / (len(losses) - 1)


def test_more_updates_per_epoch_get_further_and_noisier(tmp_path):
    results, path = runpy.run_path(str(EXAMPLE))["main"](tmp_path, samples=64, epochs=4, mini_batch=16)
    assert path.exists() and path.stat().st_size > 10_000
    stochastic, mini, batch = (results[name] for name in
                               ("stochastic GD (1 sample)", "mini-batch GD (16 samples)", "batch GD (all samples)"))
    assert [len(updates) for _, updates in (stochastic, mini, batch)] == [64 * 4, 4 * 4, 4]  # ⌈N / B⌉ per epoch
    assert stochastic[0][-1] < mini[0][-1] < batch[0][-1]  # training loss after the same epochs
    assert rises(batch[1]) == 0  # the exact gradient with a small step always goes down
    assert rises(stochastic[1]) > 0.3  # one sample's gradient often goes up for the next sample
    # batch GD's batch is the whole training set: its loss at update k + 1 is the training loss after epoch k
    assert batch[1][1:] == pytest.approx(batch[0][:-1], rel=1e-5)
