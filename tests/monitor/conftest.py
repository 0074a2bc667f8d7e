"""Fixtures for the monitor tests: a real server process, a webhook receiver, an SMTP server, child scripts.

Everything binds 127.0.0.1 on a free port; every process a test starts is stopped by the test.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, "src")


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test with ``message`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_environment(**extra) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GLASSBOX_MONITOR")}
    environment["PYTHONPATH"] = SOURCE + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update({key: str(value) for key, value in extra.items()})
    return environment


class ServerProcess:
    """``glassbox monitor serve`` in a subprocess."""

    def __init__(self, directory, *arguments, port: int = 0, token: str | None = "test-token-0123456789",
                 health_scheme: str = "http", cafile: str | None = None):
        self.directory, self.arguments = str(directory), list(arguments)
        self.scheme = health_scheme
        self.context = ssl.create_default_context(cafile=cafile) if health_scheme == "https" else None
        self.db = os.path.join(self.directory, "runs.db")
        self.token_file = os.path.join(self.directory, "monitor-token")
        if token is not None:
            with open(self.token_file, "w") as file:
                file.write(token)
            os.chmod(self.token_file, 0o600)
        self.port, self.process, self.output = port, None, []

    def start(self) -> ServerProcess:
        command = [sys.executable, "-m", "glassbox.cli", "monitor", "serve", "--db", self.db, "--port", str(self.port),
                   "--token-file", self.token_file, *self.arguments]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=child_environment(), cwd=self.directory)
        lines = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError("the monitor server exited while starting:\n" + "".join(lines))
            lines.append(line)
            if "serving " in line:
                self.port = int(line.split("serving ")[1].split(":")[2].split("/")[0])
                break
        self.output = lines
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        with open(self.token_file) as file:
            self.token = file.read().strip()
        wait_for(lambda: self.status_of("/api/health") == 200, 20, message="the server to answer")
        return self

    def _drain(self):
        for line in self.process.stdout:
            self.output.append(line)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def request(self, path, body=None, token="default", method=None, headers=None):
        """(status, decoded JSON or raw bytes) of one request; token=None sends none."""
        token = self.token if token == "default" else token
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.context) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None, None
        try:
            return status, json.loads(payload)
        except ValueError:
            return status, payload

    def status_of(self, path, token="default"):
        return self.request(path, token=token)[0]

    def runs(self) -> list[dict]:
        status, body = self.request("/api/runs")
        assert status == 200, body
        return body["runs"]

    def run_named(self, name):
        return next((run for run in self.runs() if run["name"] == name), None)

    def stop(self, how=signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(how)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def server_factory(base_directory):
    """``start(*flags, **options)`` starts servers on fresh databases under ``base_directory``; ``stop_all()``."""
    servers = []

    def start(*arguments, directory=None, **options):
        folder = directory or os.path.join(str(base_directory), f"server{len(servers)}")
        os.makedirs(folder, exist_ok=True)
        server = ServerProcess(folder, *arguments, **options).start()
        servers.append(server)
        return server

    def stop_all():
        for server in servers:
            server.stop()

    return start, stop_all


@pytest.fixture
def monitor_server(tmp_path):
    """A factory: ``monitor_server(*flags)`` starts a server on a fresh database; all are stopped afterwards."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    start, stop_all = server_factory(tmp_path)
    yield start
    stop_all()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for a whole test module (64 KiB body limit, no rate limit); tests use their own run ids."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    start, stop_all = server_factory(tmp_path_factory.mktemp("shared"))
    yield start("--max-body", "65536", "--rate-limit", "0")
    stop_all()


class WebhookReceiver:
    """An HTTP server in a thread that records every POST (path, headers, body)."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def json_bodies(self, path=None):
        return [json.loads(item["body"]) for item in self.received if path is None or item["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 recording each message and whether its session was upgraded with STARTTLS."""

    def __init__(self, directory, starttls: bool):
        from aiosmtpd.controller import Controller

        messages = self.messages = []

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                 "content": envelope.content.decode(errors="replace"), "tls": session.ssl is not None})
                return "250 OK"

        context, self.cafile = None, None
        if starttls:
            import ssl

            certificate, key = os.path.join(directory, "smtp.pem"), os.path.join(directory, "smtp.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", key, "-out", certificate], check=True, capture_output=True)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certificate, key)
            self.cafile = certificate
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=starttls)
        self.controller.start()

    def close(self):
        self.controller.stop()


@pytest.fixture
def smtp_server(tmp_path):
    pytest.importorskip("aiosmtpd")
    servers = []

    def start(starttls=False):
        server = SmtpReceiver(tmp_path, starttls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


TRAINING_SCRIPT = """
import os, sys, time
import numpy as np
import glassbox as gb
from glassbox import nn, optim
from glassbox.monitor import Monitor
from glassbox.train import Callback, Trainer

MODE = os.environ["TRAIN_MODE"]
EPOCHS = int(os.environ.get("TRAIN_EPOCHS", "3"))


class Trouble(Callback):
    def on_train_batch_end(self, batch, logs=None):
        if MODE == "slow":
            time.sleep(0.05)
            if self.trainer.global_step == 6:
                print("ready", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if MODE == "raise" and epoch == 1:
            raise RuntimeError("boom: the data loader broke")


gb.manual_seed(0)
rng = np.random.default_rng(0)
inputs = rng.normal(size=(64, 4)).astype(np.float32)
targets = (inputs[:, 0] + inputs[:, 1] > 0).astype(np.int64)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
monitor = Monitor(url=os.environ.get("MONITOR_URL"), path=os.environ.get("MONITOR_DB"),
                  token=os.environ.get("MONITOR_TOKEN"), name=os.environ["RUN_NAME"], config={"seed": 0},
                  heartbeat=0.2, flush_interval=0.05, outbox_dir=os.environ["OUTBOX_DIR"])
trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), metrics=["accuracy"],
                  callbacks=[monitor, Trouble()])
trainer.fit((gb.tensor(inputs), gb.tensor(targets)), epochs=EPOCHS, batch_size=16, verbose=0)
print("done", flush=True)
"""


def launch_training(directory, mode, name, url=None, token=None, db=None, epochs=3) -> subprocess.Popen:
    """glassbox Trainer.fit with a Monitor in a child process; ``mode``: ok, raise (in epoch 2) or slow."""
    script = os.path.join(directory, "train_with_monitor.py")
    if not os.path.exists(script):
        with open(script, "w") as file:
            file.write(textwrap.dedent(TRAINING_SCRIPT))
    environment = child_environment(TRAIN_MODE=mode, RUN_NAME=name, TRAIN_EPOCHS=epochs,
                                    OUTBOX_DIR=os.path.join(directory, "outbox"), OPENBLAS_NUM_THREADS=1,
                                    OMP_NUM_THREADS=1)
    for key, value in (("MONITOR_URL", url), ("MONITOR_TOKEN", token), ("MONITOR_DB", db)):
        if value is not None:
            environment[key] = str(value)
    return subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environment, cwd=directory)


def stop_processes(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def training_process(tmp_path):
    """``training_process(mode, name, url=…, token=…)`` starts glassbox Trainer.fit with a Monitor in a child."""
    processes = []

    def start(*arguments, **options):
        processes.append(launch_training(str(tmp_path), *arguments, **options))
        return processes[-1]

    yield start
    stop_processes(processes)


HEARTBEAT_TIMEOUT = 1.5


@pytest.fixture(name="wait_for")
def wait_for_fixture():
    """The ``wait_for(predicate, timeout, message=…)`` helper, as a fixture (test modules cannot import conftest)."""
    return wait_for


@pytest.fixture(name="child_environment")
def child_environment_fixture():
    return child_environment


@pytest.fixture(scope="module")
def notified_server(tmp_path_factory):
    """One server for a module, with a short heartbeat timeout, notifying a webhook and an SMTP server that
    offers STARTTLS: yields (server, webhook receiver, SMTP receiver)."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    pytest.importorskip("aiosmtpd")
    directory = tmp_path_factory.mktemp("notified")
    receiver = WebhookReceiver()
    smtp = SmtpReceiver(directory, starttls=True)
    server = ServerProcess(directory, "--heartbeat-timeout", str(HEARTBEAT_TIMEOUT), "--notify-debounce", "0",
                           "--notify", f"webhook={receiver.url}/hook", "--notify", "email=ops@example.org",
                           "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port), "--smtp-cafile", smtp.cafile,
                           "--smtp-starttls", "always", "--notify-on", "finished,failed,killed,lost,nan")
    server.heartbeat_timeout = HEARTBEAT_TIMEOUT
    try:
        yield server.start(), receiver, smtp
    finally:
        server.stop()
        receiver.close()
        smtp.close()


CRASH_MODES = {"crash-raise": "raise", "crash-sigterm": "slow", "crash-sigint": "slow", "crash-sigkill": "slow",
               "crash-none": "ok"}


@pytest.fixture(scope="module")
def crash_runs(notified_server, tmp_path_factory):
    """The training processes of the crash tests, started together (each test then ends its own)."""
    server = notified_server[0]
    directory = str(tmp_path_factory.mktemp("crash-runs"))
    processes = {name: launch_training(directory, mode, name, url=server.url, token=server.token,
                                       epochs=3 if mode != "slow" else 200)
                 for name, mode in CRASH_MODES.items()}
    yield processes
    stop_processes(processes.values())
