"""Access control for the monitor server: the token, name validation, body size and rate limits.

TensorBoard serves every run to anyone who can reach its port. The monitor server instead

- binds 127.0.0.1 unless told otherwise;
- needs a token for every write, and for reads too unless started with ``--public-read``;
  the token is generated on first start (``secrets.token_urlsafe``), kept beside the database
  in a file only its owner can read (mode 0600) and printed once;
- compares tokens in constant time (``hmac.compare_digest``), so the time a wrong guess takes
  says nothing about how much of it was right;
- refuses bodies over a size limit (413) and clients over a request rate (429);
- accepts only run and metric names of a bounded length and alphabet, so a name cannot smuggle
  control characters into logs or a terminal. Markup in a run name is allowed and stays text: the
  dashboard inserts every user-supplied string with ``textContent``.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import threading
import time

TOKEN_FILE_NAME = "monitor-token"
RUN_NAME_MAX = 200
METRIC_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.:/@+\-]{1,128}")
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,64}")
PARAM_KEY_MAX = 256


def validate_run_name(name) -> str:
    """A run name: 1 to 200 printable characters (any script, markup included; no control characters)."""
    if not isinstance(name, str):
        raise ValueError(f"monitor: a run name must be a string, got {type(name).__name__}")
    if not 1 <= len(name) <= RUN_NAME_MAX:
        raise ValueError(f"monitor: a run name must have 1 to {RUN_NAME_MAX} characters, got {len(name)}")
    if not name.isprintable():
        raise ValueError(f"monitor: a run name may not contain control characters, got {name!r}")
    return name


def validate_metric_name(name) -> str:
    """A metric name: 1 to 128 of ``A-Z a-z 0-9 _ . : / @ + -`` (``val_loss``, ``system/cpu_percent``)."""
    if not isinstance(name, str) or not METRIC_NAME_PATTERN.fullmatch(name):
        raise ValueError(f"monitor: a metric name must be 1 to 128 of the characters A-Z a-z 0-9 _ . : / @ + -, "
                         f"got {name!r}")
    return name


def sanitize_metric_name(name: str) -> str:
    """``name`` with every character a metric name may not hold replaced by ``_`` (for names a library made)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.:/@+\-]", "_", str(name))[:128]
    return cleaned or "_"


def validate_run_id(run_id) -> str:
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id):
        raise ValueError(f"monitor: a run id must be 1 to 64 of A-Z a-z 0-9 _ -, got {run_id!r}")
    return run_id


def validate_param_key(key) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= PARAM_KEY_MAX or not key.isprintable():
        raise ValueError(f"monitor: a hyper-parameter name must be 1 to {PARAM_KEY_MAX} printable characters, "
                         f"got {key!r}")
    return key


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison: a wrong token takes as long to refuse whatever its first characters are."""
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def load_or_create_token(token_file: str) -> tuple[str, bool]:
    """The token kept in ``token_file``, creating it (mode 0600) on first use. Returns (token, created)."""
    try:
        with open(token_file, encoding="utf-8") as file:
            token = file.read().strip()
        if token:
            return token, False
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    directory = os.path.dirname(os.path.abspath(token_file))
    os.makedirs(directory, exist_ok=True)
    # O_EXCL with mode 0600: the file never exists, even for an instant, with wider permissions.
    temporary = f"{token_file}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    os.replace(temporary, token_file)
    return token, True


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


class RateLimiter:
    """A token bucket per client: ``rate`` requests per second on average, bursts of up to ``burst``.

    ``allow(client)`` takes one request from the client's bucket; a bucket refills continuously at
    ``rate`` per second up to ``burst``. ``rate=0`` turns the limit off.
    """

    def __init__(self, rate: float, burst: float | None = None, max_clients: int = 10_000):
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, 2 * rate))
        self.max_clients = max_clients
        self.buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last refill time)
        self.lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self.buckets) >= self.max_clients and client not in self.buckets:
                # Forget full buckets first: a client that has been quiet long enough to refill loses nothing.
                self.buckets = {key: value for key, value in self.buckets.items() if value[0] < self.burst}
            self.buckets[client] = (tokens, now)
            return allowed

    def retry_after(self, client: str) -> float:
        tokens, _ = self.buckets.get(client, (0.0, 0.0))
        return max(0.0, (1.0 - tokens) / self.rate) if self.rate > 0 else 0.0
