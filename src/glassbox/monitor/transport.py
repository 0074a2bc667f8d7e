"""How batches reach their destination: a local store, or a monitor server over HTTP(S).

The HTTP transport keeps one connection open (``http.client``, so the client needs nothing beyond the
standard library) and reports each attempt as delivered, retry later, or refused:

- delivered: the server answered 2xx (a duplicate batch is delivered too);
- retry: the server could not be reached, timed out, answered 5xx or 429;
- refused: the server did not accept the token (401/403); the batch is kept, since a restart with
  the right token can still send it, and the reason is reported once;
- invalid: the server can never take this batch (400, 413, 422): it is reported and dropped, so
  that it does not hold back every batch behind it.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
import urllib.parse

DELIVERED, RETRY, REFUSED, INVALID = "delivered", "retry", "refused", "invalid"


class LocalTransport:
    """Writes batches into an SQLite run store (the embedded mode: nothing to start)."""

    def __init__(self, path: str):
        from glassbox.monitor.store import Store

        self.path = path
        self.store = Store(path)

    def send(self, batch: dict) -> tuple[str, str | None]:
        import sqlite3

        try:
            self.store.ingest(batch)
        except sqlite3.OperationalError as error:  # a lock held longer than busy_timeout: try again later
            return RETRY, str(error)
        return DELIVERED, None

    def close(self) -> None:
        self.store.close()


class HttpTransport:
    """POSTs batches as JSON to ``{url}/api/ingest`` with ``Authorization: Bearer {token}``."""

    def __init__(self, url: str, token: str | None, timeout: float = 5.0, cafile: str | None = None):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"monitor: the server url must look like http://host:port, got {url!r}")
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout
        self.scheme, self.host, self.port = parsed.scheme, parsed.hostname, parsed.port
        self.base_path = parsed.path.rstrip("/")
        self.context = ssl.create_default_context(cafile=cafile) if self.scheme == "https" else None
        self.connection: http.client.HTTPConnection | None = None
        self.latencies: list[float] = []

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            if self.scheme == "https":
                self.connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                              context=self.context)
            else:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.connection

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        """One request on the kept connection (reopened once if the server closed it meanwhile)."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        for attempt in (0, 1):
            connection = self._connect()
            try:
                connection.request(method, self.base_path + path, body=data, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt:
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def send(self, batch: dict) -> tuple[str, str | None]:
        started = time.perf_counter()
        try:
            status, body = self.request("POST", "/api/ingest", batch)
        except (OSError, http.client.HTTPException) as error:
            return RETRY, f"{self.url} unreachable: {error}"
        if 200 <= status < 300:
            if batch.get("batch_id") is not None:  # heartbeats are not ingest
                self.latencies.append(time.perf_counter() - started)
            return DELIVERED, None
        reason = f"{self.url} answered {status}: {body[:200].decode(errors='replace')}"
        if status == 429 or status >= 500:
            return RETRY, reason
        if status in (401, 403):
            return REFUSED, reason
        return INVALID, reason

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
