"""Monitor ingest under load: N training processes logging M points each to one `glassbox monitor serve`.

Prints the points per second the server accepted (all points stored, divided by the time from the
first client's start to the last point stored), the p50 / p99 / max latency of one ingest request
(batch sent → acknowledged, measured by the clients), and checks that nothing was lost or stored
twice. The same load written straight into one SQLite file (the embedded mode, no server) is the
reference line.

    python bench/monitor.py [--processes 8] [--points 10000] [--batch-points 500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT = """
import json, sys, time
from glassbox.monitor import Monitor
target, token, index, points, batch_points, outbox = sys.argv[1:7]
where = {"url": target} if target.startswith("http") else {"path": target}
monitor = Monitor(**where, token=token, flush_interval=0.05, batch_points=int(batch_points), system_metrics=False,
                  handle_signals=False, outbox_dir=outbox)
run = monitor.start(f"load-{index}")
started = time.perf_counter()
for step in range(int(points)):
    run.log(step, loss=1.0 / (step + 1))
logged = time.perf_counter() - started
delivered = run.finish(timeout=300)
print(json.dumps({"run_id": run.id, "delivered": delivered, "logged_seconds": logged,
                  "seconds": time.perf_counter() - started, "latencies": run.delivery_latencies}))
"""


def environment() -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_server(directory: str) -> tuple[subprocess.Popen, str, str]:
    token = "bench-token-0123456789abcdef"
    token_file = os.path.join(directory, "token")
    with open(token_file, "w") as file:
        file.write(token)
    os.chmod(token_file, 0o600)
    server = subprocess.Popen([sys.executable, "-m", "glassbox.cli", "monitor", "serve", "--db",
                               os.path.join(directory, "runs.db"), "--port", "0", "--token-file", token_file,
                               "--rate-limit", "0"], stdout=subprocess.PIPE, text=True, env=environment())
    for line in server.stdout:
        if "serving " in line:
            url = line.split("serving ")[1].split("/ ")[0].rstrip("/")
            return server, url, token
    raise RuntimeError("the monitor server did not start")


def run_clients(target: str, token: str, processes: int, points: int, batch_points: int, outbox: str) -> dict:
    started = time.perf_counter()
    clients = [subprocess.Popen([sys.executable, "-c", CLIENT, target, token, str(index), str(points),
                                 str(batch_points), outbox], stdout=subprocess.PIPE, text=True, env=environment())
               for index in range(processes)]
    results = [json.loads(client.communicate()[0]) for client in clients]
    return {"wall": time.perf_counter() - started, "results": results}


def check(database: str, results: list[dict], points: int) -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from glassbox.monitor import Store

    store = Store(database)
    problems = []
    for result in results:
        stored = store.count_points(result["run_id"], "loss")
        steps = {step for step, _ in store.points(result["run_id"], "loss")["points"]}
        if not result["delivered"] or stored != points or steps != set(range(points)):
            problems.append(f"run {result['run_id']}: {stored} stored of {points}")
    return "; ".join(problems) or "every point stored exactly once"


def server_span(database: str, results: list[dict]) -> float:
    """Seconds between the server storing the first and the last batch of these runs."""
    import sqlite3

    connection = sqlite3.connect(database)
    marks = ",".join("?" * len(results))
    first, last = connection.execute(f"SELECT MIN(received), MAX(received) FROM batches WHERE run_id IN ({marks})",
                                     [result["run_id"] for result in results]).fetchone()
    connection.close()
    return last - first


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--batch-points", type=int, default=500)
    args = parser.parse_args()
    total = args.processes * args.points
    print(f"{args.processes} processes x {args.points:,} points, batches of up to {args.batch_points} points "
          f"({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as directory:
        server, url, token = start_server(directory)
        try:
            load = run_clients(url, token, args.processes, args.points, args.batch_points,
                               os.path.join(directory, "outbox"))
        finally:
            server.terminate()
            server.wait(30)
        latencies = [latency for result in load["results"] for latency in result["latencies"]]
        span = server_span(os.path.join(directory, "runs.db"), load["results"])
        print(f"server:   {total / span:>10,.0f} points/s accepted (first to last batch stored: {span:.2f} s; "
              f"{total / load['wall']:,.0f} points/s end to end, process starts included, {load['wall']:.2f} s)")
        print(f"          ingest latency p50 {statistics.median(latencies) * 1e3:.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1e3:.1f} ms, max {max(latencies) * 1e3:.1f} ms "
              f"over {len(latencies)} requests")
        print(f"          {check(os.path.join(directory, 'runs.db'), load['results'], args.points)}")
        embedded_db = os.path.join(directory, "embedded.db")
        embedded = run_clients(embedded_db, "", args.processes, args.points, args.batch_points,
                               os.path.join(directory, "outbox"))
        span = server_span(embedded_db, embedded["results"])
        print(f"embedded: {total / span:>10,.0f} points/s written straight to one SQLite file (first to last batch "
              f"{span:.2f} s; {total / embedded['wall']:,.0f} points/s end to end)")
        print(f"          {check(embedded_db, embedded['results'], args.points)}")
        slowest_log = max(result["logged_seconds"] for result in load["results"])
        print(f"run.log itself: {slowest_log / args.points * 1e6:.1f} µs per call in the slowest process "
              f"(the training loop never waits for the network)")


if __name__ == "__main__":
    main()
