"""Load: 8 client processes x 10,000 points against one server: nothing lost, nothing stored twice."""

import json
import subprocess
import sys

import pytest

from glassbox.monitor import Store

pytestmark = pytest.mark.slow
PROCESSES, POINTS = 8, 10_000
CLIENT = """
import json, sys
from glassbox.monitor import Monitor
url, token, index, outbox = sys.argv[1:5]
run = Monitor(url=url, token=token, flush_interval=0.05, batch_points=1000, system_metrics=False,
              handle_signals=False, outbox_dir=outbox).start(f"load-{index}", config={"index": int(index)})
for step in range(10_000):
    run.log(step, loss=int(index) + step / 10_000)
print(json.dumps({"run_id": run.id, "delivered": run.finish(timeout=120), "requests": len(run.delivery_latencies)}))
"""


def test_eight_processes_ten_thousand_points_each(monitor_server, tmp_path, child_environment):
    server = monitor_server()  # the default rate limit stays on: batching keeps the clients well under it
    clients = [subprocess.Popen([sys.executable, "-c", CLIENT, server.url, server.token, str(index),
                                 str(tmp_path / "outbox")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=child_environment(OPENBLAS_NUM_THREADS=1)) for index in range(PROCESSES)]
    results = []
    for client in clients:
        output, errors = client.communicate(timeout=180)
        assert client.returncode == 0, errors
        results.append(json.loads(output))
    assert all(result["delivered"] for result in results)
    store = Store(server.db)
    runs = {run["id"]: run for run in server.runs()}
    for index, result in enumerate(results):
        run = runs[result["run_id"]]
        assert run["name"] == f"load-{index}" and run["status"] == "finished" and run["last_step"] == POINTS - 1
        points = store.points(result["run_id"], "loss")["points"]
        assert len(points) == POINTS and [step for step, _ in points] == list(range(POINTS))
        assert points[4321][1] == pytest.approx(index + 4321 / POINTS)
    assert store.count_points() == PROCESSES * POINTS
    batches = store.reader().execute("SELECT COUNT(*), SUM(points) FROM batches").fetchone()
    assert batches[1] == PROCESSES * POINTS, "the batches the server recorded add up to exactly the points sent"
    assert batches[0] >= PROCESSES * POINTS // 1000
