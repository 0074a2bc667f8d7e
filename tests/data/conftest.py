"""Fixtures of the data tests: a real HTTP server on 127.0.0.1 serving a temporary folder (for the download
paths), and a comparison of glassbox batches with PyTorch's."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import glassbox as gb


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requested: list = []

    def do_GET(self):  # noqa: N802  (http.server's name)
        self.requested.append(self.path)
        if self.path.startswith("/cut-short/"):
            # announces more bytes than it sends, then hangs up: a connection dropped mid-download
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"only a few bytes")
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


class LocalServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.requested = []
        handler = type("Handler", (_QuietHandler,), {"requested": self.requested})
        serve_folder = functools.partial(handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), serve_folder)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def publish(self, name: str, content: bytes) -> str:
        """Put a file on the server and return its URL."""
        (self.folder / name).write_bytes(content)
        return self.url + name

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_server(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    server = LocalServer(folder)
    yield server
    server.close()


@pytest.fixture
def unreachable_url():
    """A URL on a local port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/file.bin"


def assert_same_batch(ours, theirs, where: str = "batch") -> None:
    """Same structure, same container types, same tensor dtypes, shapes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, gb.Tensor), f"{where}: expected a Tensor, got {type(ours).__name__}"
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), f"{where}: {ours.dtype} vs {theirs.dtype}"
        assert ours.shape == tuple(theirs.shape), f"{where}: shape {ours.shape} vs {tuple(theirs.shape)}"
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(), err_msg=where)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} vs {type(theirs).__name__}"
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} vs {list(theirs)}"
        for key in theirs:
            assert_same_batch(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, list | tuple):
        assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} vs {type(theirs).__name__}"
        assert len(ours) == len(theirs), f"{where}: {len(ours)} fields vs {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same_batch(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: {ours!r} vs {theirs!r}"


def to_torch(sample):
    """The same sample with glassbox Tensors replaced by torch tensors (for feeding torch's collate)."""
    if isinstance(sample, gb.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, dict):
        return {key: to_torch(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(to_torch(value) for value in sample))
    if isinstance(sample, list | tuple):
        return type(sample)(to_torch(value) for value in sample)
    return sample


@pytest.fixture
def same_batch():
    return assert_same_batch


@pytest.fixture
def torch_sample():
    return to_torch
