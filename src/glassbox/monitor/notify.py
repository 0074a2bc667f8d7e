"""Notifications when a run finishes, fails, is killed, goes lost or NaN, or a metric crosses a threshold.

Channels (any number of each):

    webhook   JSON POST {"event", "run": {"id", "name", "status"}, "message", "text", "time"}
    slack     Slack incoming-webhook payload {"text": …}
    discord   Discord webhook payload {"content": …}
    ntfy      ntfy-style push: the text POSTed to a topic URL, with Title / Priority / Tags headers
    email     a message over SMTP, upgraded with STARTTLS whenever the server offers it
              (``starttls = "always"`` refuses a server that does not; "never" sends in the clear)

Debounced: the same event for the same run is sent at most once per ``debounce`` seconds (a run
flapping between lost and running does not flood anyone); a threshold fires once per run.

Configured, in increasing precedence, from a TOML or JSON file, environment variables and the
command line (``glassbox monitor serve --notify webhook=URL --notify email=ADDRESS …``)::

    on = ["finished", "failed", "killed", "lost", "nan", "threshold"]
    thresholds = ["val_accuracy>=0.97", "loss<0.05"]
    debounce = 60
    webhook = ["https://example.org/hook"]
    email = ["me@example.org"]
    [smtp]
    host = "smtp.example.org"
    port = 587
    username = "me"          # the password: in this file or GLASSBOX_MONITOR_SMTP_PASSWORD, never a flag
    from = "monitor@example.org"

Environment: ``GLASSBOX_MONITOR_NOTIFY_{WEBHOOK,SLACK,DISCORD,NTFY,EMAIL,ON,THRESHOLDS,DEBOUNCE}``
(lists separated by commas or spaces), ``GLASSBOX_MONITOR_SMTP_{HOST,PORT,USERNAME,PASSWORD,FROM,STARTTLS,CAFILE}``
and ``GLASSBOX_MONITOR_NOTIFY_CONFIG`` (the file).
"""

from __future__ import annotations

import json
import operator
import os
import queue
import re
import smtplib
import ssl
import sys
import threading
import time
import urllib.request
from email.message import EmailMessage

EVENTS = ("finished", "failed", "killed", "lost", "stalled", "nan", "threshold")
DEFAULT_EVENTS = ("finished", "failed", "killed", "lost", "nan", "threshold")
CHANNELS = ("webhook", "slack", "discord", "ntfy", "email")
OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
THRESHOLD_PATTERN = re.compile(r"\s*([A-Za-z0-9_.:/@+\-]+)\s*(>=|<=|==|>|<)\s*([-+0-9.eE]+|nan|inf)\s*")


class Threshold:
    """A rule ``metric OP value`` (``val_accuracy>=0.97``) that fires the first time a point satisfies it."""

    def __init__(self, rule: str):
        match = THRESHOLD_PATTERN.fullmatch(rule)
        if match is None:
            raise ValueError(f"notify: a threshold looks like 'val_accuracy>=0.97' (operators {', '.join(OPERATORS)}), "
                             f"got {rule!r}")
        self.metric, self.symbol, self.value = match.group(1), match.group(2), float(match.group(3))
        self.compare = OPERATORS[self.symbol]

    def __str__(self):
        return f"{self.metric}{self.symbol}{self.value:g}"

    def crossed(self, name: str, value) -> bool:
        return name == self.metric and value is not None and self.compare(value, self.value)


class SmtpSettings:
    def __init__(self, host=None, port=587, username=None, password=None, sender=None, starttls="auto",
                 cafile=None, timeout=10.0):
        if starttls not in ("auto", "always", "never"):
            raise ValueError(f"notify: smtp starttls must be 'auto', 'always' or 'never', got {starttls!r}")
        self.host, self.port, self.username, self.password = host, int(port), username, password
        self.sender = sender or "glassbox-monitor@localhost"
        self.starttls, self.cafile, self.timeout = starttls, cafile, float(timeout)


def split_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [item for item in re.split(r"[,\s]+", value) if item]
    return [str(item) for item in value]


def read_config_file(path: str) -> dict:
    with open(path, "rb") as file:
        data = file.read()
    if path.endswith(".json"):
        return json.loads(data)
    import tomllib

    return tomllib.loads(data.decode())


def config_from_environment(environ=None) -> dict:
    environ = os.environ if environ is None else environ
    prefix = "GLASSBOX_MONITOR_"
    config: dict = {}
    for key in (*CHANNELS, "on", "thresholds"):
        value = environ.get(f"{prefix}NOTIFY_{key.upper()}")
        if value:
            config[key] = split_list(value)
    if environ.get(f"{prefix}NOTIFY_DEBOUNCE"):
        config["debounce"] = float(environ[f"{prefix}NOTIFY_DEBOUNCE"])
    smtp_keys = ("host", "port", "username", "password", "from", "starttls", "cafile")
    smtp = {key: environ[f"{prefix}SMTP_{key.upper()}"] for key in smtp_keys
            if environ.get(f"{prefix}SMTP_{key.upper()}")}
    if smtp:
        config["smtp"] = smtp
    return config


def merge_configs(*configs: dict) -> dict:
    """Later configs win for single values; channel lists and thresholds add up."""
    merged: dict = {}
    for config in configs:
        for key, value in (config or {}).items():
            if value is None or value == [] or value == {}:
                continue
            if key in (*CHANNELS, "thresholds"):
                merged[key] = [*merged.get(key, []), *(item for item in split_list(value)
                                                        if item not in merged.get(key, []))]
            elif key == "smtp":
                merged["smtp"] = {**merged.get("smtp", {}), **{k: v for k, v in value.items() if v is not None}}
            else:
                merged[key] = value
    return merged


class Notifier:
    """Send notifications to the configured channels on a background thread (``wait=True`` sends inline)."""

    def __init__(self, webhook=(), slack=(), discord=(), ntfy=(), email=(), smtp=None, on=DEFAULT_EVENTS,
                 thresholds=(), debounce: float = 60.0, timeout: float = 10.0):
        self.channels = {"webhook": split_list(webhook), "slack": split_list(slack), "discord": split_list(discord),
                         "ntfy": split_list(ntfy), "email": split_list(email)}
        unknown = [event for event in split_list(on) if event not in EVENTS]
        if unknown:
            raise ValueError(f"notify: unknown events {unknown}; known: {', '.join(EVENTS)}")
        self.events = set(split_list(on))
        self.thresholds = [rule if isinstance(rule, Threshold) else Threshold(rule) for rule in split_list(thresholds)]
        self.smtp = smtp if isinstance(smtp, SmtpSettings) or smtp is None else SmtpSettings(
            **{("sender" if key == "from" else key): value for key, value in smtp.items()})
        if self.channels["email"] and (self.smtp is None or not self.smtp.host):
            raise ValueError("notify: email notifications need an SMTP host "
                             "(--smtp-host or GLASSBOX_MONITOR_SMTP_HOST)")
        self.debounce, self.timeout = float(debounce), float(timeout)
        self.last_sent: dict[tuple[str, str], float] = {}
        self.fired: set[tuple[str, str]] = set()
        self.log: list[dict] = []  # what was sent where, and whether it worked
        self.lock = threading.Lock()
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.worker: threading.Thread | None = None

    @classmethod
    def from_config(cls, config) -> Notifier:
        """From a dict (the file's layout) or the path of a TOML / JSON file."""
        if isinstance(config, str | os.PathLike):
            config = read_config_file(os.fspath(config))
        config = dict(config)
        known = {*CHANNELS, "smtp", "on", "thresholds", "debounce", "timeout"}
        unknown = set(config) - known
        if unknown:
            raise ValueError(f"notify: unknown settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**config)

    def __bool__(self):
        return any(self.channels.values())

    def __repr__(self):
        counts = ", ".join(f"{kind}={len(targets)}" for kind, targets in self.channels.items() if targets)
        return f"Notifier({counts or 'no channels'}, on={sorted(self.events)})"

    # ---- events --------------------------------------------------------------------------------------------------
    def notify(self, event: str, run: dict, message: str | None = None, wait: bool = False) -> bool:
        """Send ``event`` for ``run`` ({"id", "name", "status"}) unless filtered or debounced; True if queued/sent."""
        if event not in self.events or not self:
            return False
        key, now = (run["id"], event), time.monotonic()
        with self.lock:
            if now - self.last_sent.get(key, -float("inf")) < self.debounce:
                return False
            self.last_sent[key] = now
        notification = {"event": event, "run": dict(run), "message": message, "time": time.time(),
                        "text": summary(event, run, message)}
        if wait:
            self.deliver(notification)
        else:
            self.ensure_worker()
            self.queue.put(notification)
        return True

    def check_point(self, run: dict, name: str, step: int, value) -> None:
        """Fire the thresholds that ``value`` of metric ``name`` satisfies, once per run and rule."""
        for rule in self.thresholds:
            if rule.crossed(name, value) and (run["id"], str(rule)) not in self.fired:
                self.fired.add((run["id"], str(rule)))
                self.notify("threshold", run, f"{name} = {value:g} at step {step} (rule {rule})")

    def ensure_worker(self) -> None:
        if self.worker is None or not self.worker.is_alive():
            self.worker = threading.Thread(target=self._work, name="glassbox-notify", daemon=True)
            self.worker.start()

    def _work(self) -> None:
        while True:
            notification = self.queue.get()
            if notification is None:
                return
            self.deliver(notification)

    def close(self, timeout: float = 10.0) -> None:
        if self.worker is not None and self.worker.is_alive():
            self.queue.put(None)
            self.worker.join(timeout)

    # ---- channels ------------------------------------------------------------------------------------------------
    def deliver(self, notification: dict) -> None:
        senders = {"webhook": self.send_webhook, "slack": self.send_slack, "discord": self.send_discord,
                   "ntfy": self.send_ntfy, "email": self.send_email}
        for kind, targets in self.channels.items():
            for target in targets:
                try:
                    senders[kind](target, notification)
                    outcome = {"ok": True}
                except Exception as error:  # one dead channel must not silence the others
                    outcome = {"ok": False, "error": f"{type(error).__name__}: {error}"}
                    print(f"glassbox monitor: {kind} notification to {target} failed: {outcome['error']}",
                          file=sys.stderr)
                self.log.append({"channel": kind, "target": target, "event": notification["event"],
                                 "run": notification["run"].get("name"), **outcome})

    def post(self, url: str, body: bytes, headers: dict) -> None:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()

    def send_webhook(self, url, notification):
        self.post(url, json.dumps(notification).encode(), {"Content-Type": "application/json"})

    def send_slack(self, url, notification):
        self.post(url, json.dumps({"text": notification["text"]}).encode(), {"Content-Type": "application/json"})

    def send_discord(self, url, notification):
        self.post(url, json.dumps({"content": notification["text"][:2000]}).encode(),
                  {"Content-Type": "application/json"})

    def send_ntfy(self, url, notification):
        event = notification["event"]
        bad = event in ("failed", "killed", "lost", "nan")
        title = f"glassbox: run {notification['run'].get('name')} {event}"
        self.post(url, notification["text"].encode(), {
            "Title": title.encode("ascii", "replace").decode(),  # HTTP headers carry Latin-1 at best
            "Priority": "high" if bad else "default", "Tags": "warning" if bad else "white_check_mark",
            "Content-Type": "text/plain; charset=utf-8"})

    def send_email(self, address, notification):
        settings = self.smtp
        message = EmailMessage()
        message["Subject"] = f"glassbox: run {notification['run'].get('name')} {notification['event']}"
        message["From"], message["To"] = settings.sender, address
        body = notification["text"]
        if notification.get("message") and notification["message"] not in body:
            body += "\n\n" + notification["message"]
        message.set_content(body)
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as connection:
            connection.ehlo()
            if settings.starttls != "never" and connection.has_extn("starttls"):
                connection.starttls(context=ssl.create_default_context(cafile=settings.cafile))
                connection.ehlo()
            elif settings.starttls == "always":
                raise smtplib.SMTPNotSupportedError(f"{settings.host}:{settings.port} does not offer STARTTLS")
            if settings.username:
                connection.login(settings.username, settings.password or "")
            connection.send_message(message)


def summary(event: str, run: dict, message: str | None) -> str:
    """One readable line (plus the error's last line for a failure)."""
    name = run.get("name") or run.get("id")
    words = {"finished": "finished", "failed": "failed", "killed": "was killed", "lost": "is lost (no heartbeat)",
             "stalled": "has stalled", "nan": "diverged (NaN loss)", "threshold": "crossed a threshold"}
    text = f"glassbox run '{name}' {words.get(event, event)}"
    if message:
        last_line = message.strip().splitlines()[-1] if message.strip() else ""
        text += f": {last_line[:500]}"
    return text
