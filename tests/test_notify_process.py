"""Real processes: the demo delivers to the servers in its CONFIG; a SIGKILL loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from loopback import SECRET, SECRET_ENV, SmtpSink, WebhookReceiver, open_alert

from monitoring.auth import User
from monitoring.config import DEFAULT_CONFIG, load_settings
from monitoring.escalation import escalate_alert
from monitoring.store import Store

pytestmark = pytest.mark.slow
MIN_SEVERITY = 5


def _config(tmp_path: Path, smtp_port: int, webhook_url: str, extra: str = "",
            sources: bool = True, min_severity: int = 8) -> Path:
    text = DEFAULT_CONFIG.read_text().replace("backfill_days = 7", "backfill_days = 1")
    text = text[:text.index("\n[smtp]")]  # the demo's own SMTP server is replaced below
    text = text.replace('email = "comms.director@lumea.example"',
                        f'email = "comms.director@lumea.example"\nwebhook = "{webhook_url}"')
    if not sources:
        text = text.replace('kind = "demo"', 'kind = "demo"\nenabled = false')
    text += f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
sender = "sentinella@lumea.example"

[auth]
token_secret_env = "{SECRET_ENV}"

[[escalation.rules]]
kinds = ["reputation_crisis", "service_incident", "request_surge", "negative_shift",
         "emerging_topic"]
min_severity = {min_severity}
ladder = "crisis"
{extra}"""
    path = tmp_path / "escalate.toml"
    path.write_text(text)
    return path


def _env() -> dict[str, str]:
    return dict(os.environ, **{SECRET_ENV: SECRET})


def test_demo_auto_escalates_critical_alerts_to_the_configured_servers(tmp_path):
    with SmtpSink() as smtp, WebhookReceiver() as hook:
        cfg = _config(tmp_path, smtp.port, hook.url, min_severity=MIN_SEVERITY)
        done = subprocess.run(
            [sys.executable, "-m", "monitoring", "demo", "--minutes", "150", "--speed", "240",
             "--config", str(cfg), "--db", str(tmp_path / "demo.duckdb")],
            check=False, capture_output=True, text=True, timeout=300, env=_env())
        assert done.returncode == 0, done.stderr[-2000:]
    changes = [json.loads(line) for line in done.stdout.splitlines()]
    # the demo's severities depend on the time of day it runs (the baseline follows the
    # hour), so the rule here escalates from "warning" (5) up; the default is 8, critical
    rule = {c["alert_id"] for c in changes if c["action"] in ("open", "update")
            and c["severity"] >= MIN_SEVERITY}
    assert rule  # the scripted outage is at least a warning at any hour
    notified = {body["alert"]["alert_id"] for _, body in hook.requests}
    assert notified == rule  # every alert matching the rule, and no other
    mail = smtp.messages[0]
    assert mail["To"] == "comms.director@lumea.example"
    # only the crisis ladder's people (level 2 too, when an alert stays open 15 minutes)
    assert {m["To"] for m in smtp.messages} <= {
        "comms.director@lumea.example", "ceo.office@lumea.example", "duty@lumea.example"}
    assert "/ack?token=" in mail.get_body(("plain",)).get_content()
    key, body = hook.requests[0]
    assert key == body["idempotency_key"] and key.endswith("-webhook")
    assert body["alert"]["severity"] >= MIN_SEVERITY and body["alert"]["top_terms"]
    assert body["ack_url"].startswith("http://localhost:8501/ack?token=")
    assert len(hook.effects) == len({k for k, _ in hook.requests})
    assert "notification(s) sent, 0 failed" in done.stderr
    assert SECRET not in done.stderr + done.stdout and hook.url not in done.stderr


def test_sigkill_between_outbox_write_and_delivery_delivers_after_restart(tmp_path):
    db = tmp_path / "kill.duckdb"
    with SmtpSink() as smtp, WebhookReceiver(["stall"], hang_seconds=20) as hook:
        cfg = _config(tmp_path, smtp.port, hook.url, sources=False, extra="""
[notify]
backoff_seconds = 1
interval_seconds = 0.2
timeout_seconds = 15
""")
        settings = load_settings(cfg)
        store = Store(db)
        now = datetime.now(UTC)
        alert_id = open_alert(store, now)
        escalate_alert(store, settings, User("anna", "operator"), alert_id,
                       "contact:comms-director", "Decidere subito", now=now)
        store.close()
        cmd = [sys.executable, "-m", "monitoring", "run", "--config", str(cfg), "--db", str(db)]
        first = subprocess.Popen(cmd, env=_env(), stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not hook.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        assert hook.requests, "the first process never tried to deliver"
        first.send_signal(signal.SIGKILL)  # killed while the webhook is in flight
        first.wait()
        second = subprocess.Popen(cmd, env=_env(), stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while (len(hook.requests) < 2 or not smtp.messages) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=60)
    assert len(smtp.messages) == 1
    assert [k for k, _ in hook.requests] == ["esc-1-webhook", "esc-1-webhook"]
    assert hook.accepted == {"esc-1-webhook": 1}
    store = Store(db)
    rows = store.reader().execute(
        "SELECT channel, state, attempts FROM outbox ORDER BY id").fetchall()
    store.close()
    assert rows[0][:2] == ("email", "sent") and rows[1] == ("webhook", "sent", 2)


def test_outbox_cli_lists_and_requeues_failed_notifications(tmp_path, monkeypatch):
    from monitoring.escalation import delivery_problems
    from monitoring.notify.outbox import deliver_due

    monkeypatch.setenv(SECRET_ENV, SECRET)
    db = tmp_path / "outbox.duckdb"
    cfg = _config(tmp_path, 1, "http://127.0.0.1:1/hook/secret-part")
    settings = load_settings(cfg)
    store = Store(db)
    now = datetime.now(UTC)
    escalate_alert(store, settings, User("anna", "operator"), open_alert(store, now),
                   "contact:comms-director", "x", now=now)
    for _ in range(settings.notify.max_attempts):
        deliver_due(store, settings, now=now)
        now += timedelta(hours=2)
    assert len(delivery_problems(store)) == 2
    store.close()
    base = [sys.executable, "-m", "monitoring", "outbox"]
    listed = subprocess.run([*base, "list", "--config", str(cfg), "--db", str(db)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert "comms-director" in listed.stdout and "secret-part" not in listed.stdout
    retried = subprocess.run([*base, "retry", "--config", str(cfg), "--db", str(db)],
                             capture_output=True, text=True, timeout=120, check=True)
    assert "2 failed notification(s) queued again" in retried.stdout
    store = Store(db)
    states = store.reader().execute("SELECT state, attempts FROM outbox").fetchall()
    store.close()
    assert states == [("pending", 0), ("pending", 0)]
