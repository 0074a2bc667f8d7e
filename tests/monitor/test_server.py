"""The server's API against a real ``glassbox monitor serve`` process: auth, limits, validation, queries, events."""

import http.client
import json
import os
import ssl
import stat
import subprocess
import threading

import pytest


def batch(run_id="r1", sequence=0, points=(), name="api-run", status=None):
    body = {"run_id": run_id, "batch_id": f"{run_id}:{sequence}", "run": {"name": name, "heartbeat": 1.0},
            "points": [list(point) for point in points]}
    if status:
        body["status"] = {"status": status, "message": None}
    return body


@pytest.fixture
def server(shared_server):
    return shared_server


def test_writes_need_the_right_token(server):
    attempt = batch(run_id="token-test", name="token-test")
    assert server.request("/api/ingest", attempt, token=None)[0] == 401
    assert server.request("/api/ingest", attempt, token="wrong")[0] == 403
    assert server.request("/api/ingest", attempt, token=server.token[:-1])[0] == 403
    cookie = {"Cookie": f"glassbox_monitor_{server.port}={server.token}"}
    status, _ = server.request("/api/ingest", attempt, token=None, headers=cookie)
    assert status == 401, "a cookie is for reading: a write needs the Authorization header (no cross-site writes)"
    assert server.run_named("token-test") is None
    assert server.request("/api/ingest", attempt)[0] == 200
    assert server.run_named("token-test")["status"] == "running"


def test_reads_need_the_token_too(server):
    assert server.status_of("/api/runs", token=None) == 401
    assert server.status_of("/api/runs", token="wrong") == 403
    assert server.status_of(f"/api/runs?token={server.token}", token=None) == 200
    assert server.status_of("/api/health", token=None) == 200
    assert server.status_of("/", token=None) == 200  # the page itself holds no data


def test_opening_the_page_with_the_token_sets_a_cookie_and_clears_the_address(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", f"/?token={server.token}")
    response = connection.getresponse()
    assert response.status == 303 and response.getheader("Location") == "/"
    cookie = response.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    response.read()
    connection.request("GET", "/api/runs", headers={"Cookie": cookie.split(";")[0]})
    response = connection.getresponse()
    assert response.status == 200
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    connection.close()


def test_oversized_and_malformed_bodies_are_refused(server):
    before = len(server.runs())
    huge = batch(run_id="huge", points=[("loss", step, 1.0, 0.0) for step in range(5000)])
    assert server.request("/api/ingest", huge)[0] == 413
    status, body = server.request("/api/ingest", b"{not json")
    assert status == 400 and "not JSON" in body["error"]
    bad_cases = {
        "metric name": batch(points=[("val loss; drop", 0, 1.0, 0.0)]),
        "step": batch(points=[("loss", -1, 1.0, 0.0)]),
        "value": batch(points=[("loss", 0, "1.0", 0.0)]),
        "run id": {**batch(), "run_id": "../../etc"},
        "control characters": {**batch(), "run": {"name": "a\x1b[31mred"}},
        "status.status": {**batch(), "status": {"status": "lost"}},  # only the server decides a run is lost
    }
    for expected, body in bad_cases.items():
        status, answer = server.request("/api/ingest", body)
        assert status == 422 and expected in answer["error"], (expected, answer)
    assert len(server.runs()) == before


def test_a_chunked_body_over_the_limit_is_refused(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    chunks = (b"x" * 16384 for _ in range(8))  # no Content-Length: the server must count
    connection.request("POST", "/api/ingest", body=chunks, encode_chunked=True,
                       headers={"Authorization": f"Bearer {server.token}", "Transfer-Encoding": "chunked"})
    assert connection.getresponse().status == 413
    connection.close()


def test_ingest_is_idempotent_and_queries_downsample_and_zoom(server):
    points = [("loss", step, float(step % 100), 0.0) for step in range(3000)]
    first = batch(points=points[:1500])
    assert server.request("/api/ingest", first)[1]["duplicate"] is False
    assert server.request("/api/ingest", first)[1]["duplicate"] is True
    assert server.request("/api/ingest", batch(sequence=1, points=points[1500:], status="finished"))[0] == 200
    status, detail = server.request("/api/runs/r1")
    assert status == 200 and detail["status"] == "finished" and detail["metrics"] == ["loss"]
    assert [change["status"] for change in detail["history"]] == ["running", "finished"]
    overview = server.request("/api/runs/r1/points?name=loss&max_points=100")[1]
    assert overview["total"] == 3000 and overview["downsampled"] and len(overview["points"]) <= 100
    assert max(value for _, value in overview["points"]) == 99.0 and min(value for _, value in overview["points"]) == 0
    zoom = server.request("/api/runs/r1/points?name=loss&max_points=100&start=250&end=299")[1]
    assert zoom["points"] == [[step, float(step % 100)] for step in range(250, 300)] and not zoom["downsampled"]
    assert server.status_of("/api/runs/nope") == 404
    assert server.status_of("/api/runs/r1/points?name=bad%20name") == 400
    assert server.status_of("/api/runs/r1/points?name=loss&max_points=1") == 400


def test_events_stream_new_points_and_status_changes(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/api/events", headers={"Authorization": f"Bearer {server.token}"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    events = []

    def read():
        kind = None
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                events.append((kind, data))
                if kind == "status" and data["run_id"] == "live" and data["status"] == "finished":
                    return

    assert response.readline() == b"retry: 2000\n"  # subscribed: what is ingested from now on is streamed
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    server.request("/api/ingest", batch(run_id="live", name="<b>live</b>",
                                        points=[("loss", 0, 0.5, 0.0), ("loss", 1, 0.25, 0.0)]))
    server.request("/api/ingest", batch(run_id="live", sequence=1, status="finished"))
    reader.join(20)
    connection.close()
    # the server is shared: runs of earlier tests may still send heartbeats or points, so only this run counts
    events = [event for event in events if event[1]["run_id"] == "live"]
    assert ("status", {"run_id": "live", "status": "running", "message": None, "name": "<b>live</b>",
                       "time": events[0][1]["time"]}) == events[0]
    assert ("points", {"run_id": "live", "points": [["loss", 0, 0.5], ["loss", 1, 0.25]]}) in events
    assert events[-1][0] == "status" and events[-1][1]["status"] == "finished"


def test_public_read_rate_limit_and_a_token_made_on_first_start(monitor_server):
    server = monitor_server("--public-read", "--rate-limit", "2", "--rate-burst", "5", token=None)
    assert stat.S_IMODE(os.stat(server.token_file).st_mode) == 0o600
    output = "".join(server.output)
    assert output.count(server.token) == 2  # printed once, with the address to open
    assert server.status_of("/api/runs", token=None) in (200, 429)
    assert server.request("/api/ingest", batch(), token=None)[0] in (401, 429)
    statuses = [server.status_of("/api/runs", token=None) for _ in range(12)]
    assert 429 in statuses
    server.stop()
    server.start()  # a second start reuses the token and does not print it
    assert server.token not in "".join(server.output)


def test_tls(monitor_server, tmp_path):
    certificate, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate],
                   check=True, capture_output=True)
    server = monitor_server("--certfile", certificate, "--keyfile", key, health_scheme="https", cafile=certificate)
    assert "serving https://127.0.0.1:" in "".join(server.output)
    context = ssl.create_default_context(cafile=certificate)
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=10, context=context)
    connection.request("GET", "/api/runs", headers={"Authorization": f"Bearer {server.token}"})
    assert connection.getresponse().status == 200
    connection.close()
    from glassbox.monitor import Monitor

    run = Monitor(url=f"https://127.0.0.1:{server.port}", token=server.token, cafile=certificate, system_metrics=False,
                  handle_signals=False, outbox_dir=tmp_path / "outbox", flush_interval=0.05).start("over-tls")
    run.log(0, loss=1.0)
    assert run.finish(timeout=20)
