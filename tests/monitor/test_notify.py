import argparse
import json

import pytest

from glassbox.monitor.notify import Notifier, Threshold, config_from_environment, merge_configs
from glassbox.monitor.serve import add_serve_arguments, notifier_from_arguments

RUN = {"id": "abc", "name": "mnist-lenet", "status": "failed"}
TRACEBACK = "Traceback (most recent call last):\n  File \"train.py\", line 3\nValueError: shapes differ"


def test_each_channel_gets_its_payload(webhook):
    notifier = Notifier(webhook=f"{webhook.url}/generic", slack=f"{webhook.url}/slack",
                        discord=f"{webhook.url}/discord", ntfy=f"{webhook.url}/ntfy-topic")
    assert notifier.notify("failed", RUN, TRACEBACK, wait=True)
    generic, = webhook.json_bodies("/generic")
    assert generic["event"] == "failed" and generic["run"] == RUN and generic["message"] == TRACEBACK
    assert generic["text"] == "glassbox run 'mnist-lenet' failed: ValueError: shapes differ"
    assert webhook.json_bodies("/slack") == [{"text": generic["text"]}]
    assert webhook.json_bodies("/discord") == [{"content": generic["text"]}]
    ntfy, = [item for item in webhook.received if item["path"] == "/ntfy-topic"]
    assert ntfy["body"].decode() == generic["text"]
    assert ntfy["headers"]["Title"] == "glassbox: run mnist-lenet failed" and ntfy["headers"]["Priority"] == "high"
    assert all(entry["ok"] for entry in notifier.log) and len(notifier.log) == 4


def test_debounce_filter_and_background_delivery(webhook):
    notifier = Notifier(webhook=f"{webhook.url}/hook", on=["finished", "lost"], debounce=60)
    assert notifier.notify("lost", RUN)
    assert not notifier.notify("lost", RUN), "the same event for the same run within the debounce window"
    assert notifier.notify("lost", {**RUN, "id": "other"})
    assert not notifier.notify("failed", RUN), "not an event this notifier was asked for"
    notifier.close()
    assert [body["run"]["id"] for body in webhook.json_bodies("/hook")] == ["abc", "other"]


def test_a_dead_channel_does_not_silence_the_others(webhook):
    notifier = Notifier(webhook=["http://127.0.0.1:9/unreachable", f"{webhook.url}/hook"], timeout=2)
    notifier.notify("finished", RUN, wait=True)
    assert [entry["ok"] for entry in notifier.log] == [False, True]
    assert len(webhook.json_bodies("/hook")) == 1


def test_thresholds_fire_once_per_run(webhook):
    notifier = Notifier(webhook=f"{webhook.url}/hook", thresholds=["val_accuracy>=0.9"], debounce=0)
    for step, value in enumerate([0.5, 0.91, 0.95, 0.2, 0.97]):
        notifier.check_point(RUN, "val_accuracy", step, value)
    notifier.check_point(RUN, "accuracy", 9, 0.99)
    notifier.close()
    bodies = webhook.json_bodies("/hook")
    assert len(bodies) == 1 and bodies[0]["event"] == "threshold"
    assert bodies[0]["message"] == "val_accuracy = 0.91 at step 1 (rule val_accuracy>=0.9)"
    assert Threshold("loss < 1e-3").crossed("loss", 5e-4) and not Threshold("loss<1e-3").crossed("loss", None)
    with pytest.raises(ValueError, match="looks like"):
        Threshold("accuracy is high")


def test_email_over_plain_smtp(smtp_server):
    smtp = smtp_server(starttls=False)
    notifier = Notifier(email="me@example.org", smtp={"host": "127.0.0.1", "port": smtp.port, "from": "gb@example.org"})
    notifier.notify("failed", RUN, TRACEBACK, wait=True)
    message, = smtp.messages
    assert message["to"] == ["me@example.org"] and message["from"] == "gb@example.org" and not message["tls"]
    assert "Subject: glassbox: run mnist-lenet failed" in message["content"] and "shapes differ" in message["content"]
    refusing = Notifier(email="me@example.org", smtp={"host": "127.0.0.1", "port": smtp.port, "starttls": "always"})
    refusing.notify("failed", RUN, wait=True)
    assert not refusing.log[0]["ok"] and "STARTTLS" in refusing.log[0]["error"]
    assert len(smtp.messages) == 1


def test_email_uses_starttls_when_offered(smtp_server):
    smtp = smtp_server(starttls=True)
    notifier = Notifier(email="me@example.org", smtp={"host": "127.0.0.1", "port": smtp.port, "cafile": smtp.cafile})
    notifier.notify("finished", RUN, wait=True)
    assert notifier.log[0]["ok"], notifier.log
    message, = smtp.messages
    assert message["tls"]


def test_configuration_from_file_environment_and_flags(tmp_path):
    (tmp_path / "notify.toml").write_text(
        'on = ["failed", "lost"]\ndebounce = 30\nwebhook = ["http://file/hook"]\nthresholds = ["loss<0.1"]\n'
        '[smtp]\nhost = "smtp.file"\nport = 2525\npassword = "from-file"\n')
    environment = {"GLASSBOX_MONITOR_NOTIFY_SLACK": "http://env/slack", "GLASSBOX_MONITOR_SMTP_HOST": "smtp.env",
                   "GLASSBOX_MONITOR_NOTIFY_DEBOUNCE": "10"}
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    arguments = parser.parse_args(["--notify-config", str(tmp_path / "notify.toml"), "--notify", "email=a@b.c",
                                   "--notify", "webhook=http://flag/hook", "--smtp-port", "465",
                                   "--notify-debounce", "5"])
    notifier = notifier_from_arguments(arguments, environment)
    assert notifier.channels["webhook"] == ["http://file/hook", "http://flag/hook"]
    assert notifier.channels["slack"] == ["http://env/slack"] and notifier.channels["email"] == ["a@b.c"]
    assert (notifier.smtp.host, notifier.smtp.port, notifier.smtp.password) == ("smtp.env", 465, "from-file")
    assert notifier.debounce == 5 and notifier.events == {"failed", "lost"}
    assert [str(rule) for rule in notifier.thresholds] == ["loss<0.1"]
    (tmp_path / "notify.json").write_text(json.dumps({"ntfy": ["http://ntfy/topic"], "on": ["nan"]}))
    assert Notifier.from_config(str(tmp_path / "notify.json")).channels["ntfy"] == ["http://ntfy/topic"]
    assert notifier_from_arguments(parser.parse_args([]), {}) is None


def test_bad_configuration_fails_early():
    with pytest.raises(ValueError, match="unknown events"):
        Notifier(webhook="http://x", on=["exploded"])
    with pytest.raises(ValueError, match="SMTP host"):
        Notifier(email="a@b.c")
    with pytest.raises(ValueError, match="unknown settings"):
        Notifier.from_config({"webhooks": ["http://x"]})
    assert merge_configs({"webhook": ["a"]}, {"webhook": "a,b"}) == {"webhook": ["a", "b"]}
    assert config_from_environment({"GLASSBOX_MONITOR_NOTIFY_ON": "failed lost"}) == {"on": ["failed", "lost"]}
