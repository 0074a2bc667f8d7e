import math
import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "optimizers_surface.py"


def test_momentum_and_adam_roll_through_the_local_well_where_sgd_stops(tmp_path):
    namespace = runpy.run_path(str(EXAMPLE))
    paths, path = namespace["main"](tmp_path, steps=100)
    assert path.exists() and path.stat().st_size > 10_000
    start, local, global_ = namespace["START"], namespace["LOCAL_WELL"], namespace["GLOBAL_WELL"]
    assert all(points[0][:2] == start and len(points) == 101 for points in paths.values())
    final = {name: points[-1] for name, points in paths.items()}
    assert final["Adam (η = 0.1)"][2] < final["SGD (η = 0.1)"][2] - 2  # a much lower point from the same start
    for name in ("SGD (η = 0.1)", "Adagrad (η = 0.5)", "RMSprop (η = 0.05)"):
        assert math.dist(final[name][:2], local) < 0.2, name  # stuck in the local well
    for name in ("SGD + momentum 0.9 (η = 0.1)", "Adam (η = 0.1)"):
        assert math.dist(final[name][:2], global_) < 0.3, name
