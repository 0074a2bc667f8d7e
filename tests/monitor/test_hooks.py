"""A run follows its process to the end: real training processes that raise, are terminated, interrupted or
killed, watched by a real server that notifies a webhook receiver and an SMTP server (with STARTTLS)."""

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from glassbox.monitor import Store


def notifications_for(receiver, smtp, name, event):
    hooks = [body for body in receiver.json_bodies("/hook") if body["run"]["name"] == name and body["event"] == event]
    mails = [mail for mail in smtp.messages if f"glassbox: run {name} {event}" in mail["content"]]
    return hooks, mails


@pytest.fixture
def wait_for_status(wait_for):
    def wait(server, name, status, timeout=20.0):
        return wait_for(lambda: (run := server.run_named(name)) is not None and run["status"] == status and run,
                        timeout, message=f"run {name!r} to become {status}")
    return wait


def test_exception_marks_failed_with_traceback(notified_server, crash_runs, wait_for, wait_for_status):
    server, receiver, smtp = notified_server
    process = crash_runs["crash-raise"]
    assert process.wait(60) == 1
    assert "RuntimeError: boom" in process.stderr.read()  # the previous excepthook still prints the traceback
    run = wait_for_status(server, "crash-raise", "failed")
    assert "Traceback (most recent call last)" in run["message"]
    assert "RuntimeError: boom: the data loader broke" in run["message"]
    assert "on_epoch_end" in run["message"]
    hooks, mails = wait_for(lambda: all(notifications_for(receiver, smtp, "crash-raise", "failed")) and
                            notifications_for(receiver, smtp, "crash-raise", "failed"), 20, message="notifications")
    assert len(hooks) == 1 and "RuntimeError: boom" in hooks[0]["message"]
    assert hooks[0]["text"].startswith("glassbox run 'crash-raise' failed: RuntimeError: boom")
    assert len(mails) == 1 and mails[0]["to"] == ["ops@example.org"]
    assert mails[0]["tls"], "the SMTP server offered STARTTLS, so the message must travel encrypted"


def test_sigterm_marks_killed_then_dies_of_it(notified_server, crash_runs, wait_for, wait_for_status):
    server, receiver, smtp = notified_server
    process = crash_runs["crash-sigterm"]
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == -signal.SIGTERM  # the default action ran after the run was marked
    run = wait_for_status(server, "crash-sigterm", "killed")
    assert "SIGTERM" in run["message"]
    assert run["last_step"] >= 6
    wait_for(lambda: all(notifications_for(receiver, smtp, "crash-sigterm", "killed")), 20, message="notifications")


def test_sigint_marks_killed_through_keyboard_interrupt(notified_server, crash_runs, wait_for, wait_for_status):
    server, _, _ = notified_server
    process = crash_runs["crash-sigint"]
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == -signal.SIGINT  # Python ends an uncaught KeyboardInterrupt by re-raising SIGINT
    assert "KeyboardInterrupt" in process.stderr.read()
    run = wait_for_status(server, "crash-sigint", "killed")
    assert "SIGINT" in run["message"]


def test_sigkill_is_lost_within_heartbeat_timeout(notified_server, crash_runs, wait_for, wait_for_status):
    server, receiver, smtp = notified_server
    process = crash_runs["crash-sigkill"]
    assert process.stdout.readline().strip() == "ready"
    wait_for_status(server, "crash-sigkill", "running")
    process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    assert process.wait(30) == -signal.SIGKILL
    run = wait_for_status(server, "crash-sigkill", "lost", timeout=server.heartbeat_timeout + 10)
    assert time.monotonic() - killed_at < server.heartbeat_timeout + 4  # the timeout, plus watchdog and polling
    assert "no heartbeat" in run["message"]
    hooks, mails = wait_for(lambda: all(notifications_for(receiver, smtp, "crash-sigkill", "lost")) and
                            notifications_for(receiver, smtp, "crash-sigkill", "lost"), 20, message="notifications")
    assert hooks[0]["run"]["status"] == "lost" and len(mails) == 1


def test_finished_run_notifies_once(notified_server, crash_runs, wait_for, wait_for_status):
    server, receiver, smtp = notified_server
    process = crash_runs["crash-none"]
    assert process.wait(60) == 0, process.stderr.read()
    wait_for_status(server, "crash-none", "finished")
    hooks, mails = wait_for(lambda: all(notifications_for(receiver, smtp, "crash-none", "finished")) and
                            notifications_for(receiver, smtp, "crash-none", "finished"), 20, message="notifications")
    time.sleep(server.heartbeat_timeout + 0.5)  # a finished run never goes lost, so nothing more arrives
    assert server.run_named("crash-none")["status"] == "finished"
    assert len(notifications_for(receiver, smtp, "crash-none", "finished")[0]) == 1
    assert notifications_for(receiver, smtp, "crash-none", "lost") == ([], [])


@pytest.mark.parametrize("handler", ["custom", "ignored"])
def test_previous_signal_handlers_are_chained_or_left_alone(tmp_path, handler, child_environment):
    """A program's own SIGTERM handler still runs after the run is marked; an ignored signal kills nothing."""
    script = textwrap.dedent(f"""
        import os, signal, sys, time
        from glassbox.monitor import Monitor, Store
        if {handler!r} == "custom":
            signal.signal(signal.SIGTERM, lambda signum, frame: (print("own handler", flush=True), sys.exit(3)))
        else:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        run = Monitor("runs.db", heartbeat=0.2, flush_interval=0.05, system_metrics=False).start("chained")
        run.log(0, loss=1.0)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        print("status", run.status, flush=True)
        run.finish()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            env=child_environment(), timeout=60)
    status = Store(str(tmp_path / "runs.db")).runs()[0]["status"]
    if handler == "custom":
        assert result.returncode == 3 and "own handler" in result.stdout
        assert status == "killed"
    else:
        assert result.returncode == 0 and "status running" in result.stdout
        assert status == "finished"
