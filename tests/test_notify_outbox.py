"""Delivery of the outbox to real loopback servers: e-mail, webhooks, retries, failures."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
from loopback import SECRET, SECRET_ENV, SmtpSink, WebhookReceiver, open_alert, settings_for

from monitoring.auth import User
from monitoring.escalation import delivery_problems, escalate_alert
from monitoring.notify.ladder import acknowledge_escalation
from monitoring.notify.outbox import backoff_seconds, deliver_due, scrub

T0 = datetime(2026, 3, 2, 10, 41)
ANNA = User("anna", "operator")


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)


def _escalate(store, settings, target="ladder:crisis") -> int:
    alert_id = open_alert(store, T0)
    escalate_alert(store, settings, ANNA, alert_id, target, "Serve una decisione", now=T0)
    return alert_id


def _outbox(store) -> list[tuple]:
    return store.reader().execute(
        "SELECT channel, state, attempts, last_error FROM outbox ORDER BY id").fetchall()


def test_email_and_webhook_arrive_with_context_and_the_link_acknowledges(fresh_db):
    with SmtpSink() as smtp, WebhookReceiver() as hook:
        settings = settings_for(smtp.port, hook.url)
        alert_id = _escalate(fresh_db, settings)
        report = deliver_due(fresh_db, settings, now=T0, rng=random.Random(1))
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert [(c, s) for c, s, *_ in _outbox(fresh_db)] == [("email", "sent"), ("webhook", "sent")]
    (mail,) = smtp.messages
    assert mail["To"] == "director@lumea.example" and "Crisi reputazionale" in mail["Subject"]
    assert mail["Message-ID"] == "<esc-1-email@localhost>"  # the same on every attempt
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "vessani" in body and "Serve una decisione" in body and "Vergogna" in body
        assert "333 123 4567" not in body  # personal data masked
    assert "<script>" not in html and "&lt;script&gt;" in html  # mention text escaped
    (key, body), = hook.requests
    assert key == body["idempotency_key"] and key.startswith("esc-") and key.endswith("-webhook")
    assert body["alert"]["observed"] == 40 and body["alert"]["top_terms"][0] == "vessani"
    link = body["ack_url"]
    assert link.startswith("http://dash.example:8501/ack?token=") and link in text
    token = parse_qs(urlparse(link).query)["token"][0]
    result = acknowledge_escalation(fresh_db, settings, token, now=T0 + timedelta(minutes=3))
    assert result.alert_id == alert_id and not result.already
    state = fresh_db.reader().execute("SELECT state FROM alerts").fetchall()[0][0]
    esc = fresh_db.reader().execute("SELECT state, acknowledged_by FROM escalations").fetchall()
    assert state == "acknowledged" and esc == [("acknowledged", "contact:comms-director")]
    again = acknowledge_escalation(fresh_db, settings, token, now=T0 + timedelta(minutes=4))
    assert again.already and again.acknowledged_by == "contact:comms-director"


def test_webhook_500s_and_timeouts_then_recovery_delivers_once_per_key(fresh_db):
    # 500, 500, a timeout after the receiver processed it, a stall without processing, 502
    script = [500, 500, "hang", "stall", 502]
    with WebhookReceiver(script, hang_seconds=1.5) as hook:
        settings = settings_for(webhook_url=hook.url, notify={"max_attempts": 10})
        fresh_db.reader().execute("DELETE FROM outbox")
        _escalate(fresh_db, settings, "contact:comms-director")
        fresh_db.reader().execute("DELETE FROM outbox WHERE channel = 'email'")
        now, rng = T0, random.Random(2)
        for _ in range(12):
            deliver_due(fresh_db, settings, now=now, rng=rng)
            now += timedelta(hours=2)  # past any backoff
        keys = {k for k, _ in hook.requests}
    assert len(hook.requests) == 6  # five failures, then one success, then nothing more
    assert len(keys) == 1  # the same idempotency key on every attempt
    (key,) = keys
    assert hook.accepted[key] == 2  # the timed-out attempt had been processed...
    assert len(hook.effects) == 1  # ...and the receiver recognised the retry by its key
    (row,) = _outbox(fresh_db)
    assert row[:3] == ("webhook", "sent", 6) and row[3] is None
    events = fresh_db.reader().execute(
        "SELECT count(*) FROM alert_events WHERE event = 'notified'").fetchall()[0][0]
    assert events == 1


def test_failed_after_max_attempts_shows_on_the_wall_without_the_secret_url(fresh_db):
    with WebhookReceiver([500] * 10) as hook:
        settings = settings_for(webhook_url=hook.url, notify={"max_attempts": 3})
        _escalate(fresh_db, settings, "contact:comms-director")
        fresh_db.reader().execute("DELETE FROM outbox WHERE channel = 'email'")
        now = T0
        for _ in range(5):
            deliver_due(fresh_db, settings, now=now, rng=random.Random(3))
            now += timedelta(hours=2)
    assert len(hook.requests) == 3
    problems = delivery_problems(fresh_db)
    assert list(problems["channel"]) == ["webhook"] and list(problems["attempts"]) == [3]
    error = problems["last_error"][0]
    assert "HTTP 500" in error and "s3cr3t-path" not in error and "127.0.0.1" not in error


def _smtp_login(store, monkeypatch, password: str):
    """Escalate and deliver once through an SMTP server that wants ``right-pass``."""
    monkeypatch.setenv("SMTP_TEST_USER", "sentinella")
    monkeypatch.setenv("SMTP_TEST_PASSWORD", password)
    with SmtpSink(password="right-pass") as smtp:
        settings = settings_for(smtp.port, smtp={"username_env": "SMTP_TEST_USER",
                                                 "password_env": "SMTP_TEST_PASSWORD"})
        _escalate(store, settings)
        report = deliver_due(store, settings, now=T0, rng=random.Random(4))
    return smtp, report


def test_smtp_refusing_login_is_a_clear_error_without_the_password(fresh_db, monkeypatch,
                                                                     caplog):
    smtp, report = _smtp_login(fresh_db, monkeypatch, "wrong-pass-9f8e")
    assert smtp.logins == [("sentinella", False)] and not smtp.messages
    assert report.failed == 1  # not retried: a refused login needs a configuration change
    error = delivery_problems(fresh_db)["last_error"][0]
    assert f"127.0.0.1:{smtp.port}" in error and "refused the login of 'sentinella'" in error
    assert "535" in error
    assert "wrong-pass-9f8e" not in error and "wrong-pass-9f8e" not in caplog.text
    assert "refused the login" in caplog.text


def test_smtp_with_the_right_login_delivers(fresh_db, monkeypatch):
    smtp, report = _smtp_login(fresh_db, monkeypatch, "right-pass")
    assert report.sent == 1
    assert smtp.logins == [("sentinella", True)] and len(smtp.messages) == 1


@pytest.mark.parametrize(("env", "expected"), [
    ({}, ("no acknowledgement link: no token secret: set the environment variable or secret "
          "SENTINELLA_TEST_TOKEN_SECRET")),
    ({SECRET_ENV: SECRET, "smtp": "down"}, "SMTP server 127.0.0.1:"),
])
def test_configuration_problems_are_recorded_not_raised(fresh_db, monkeypatch, env, expected):
    if SECRET_ENV not in env:
        monkeypatch.delenv(SECRET_ENV)
    settings = settings_for()  # nobody listens on the SMTP port
    _escalate(fresh_db, settings)
    report = deliver_due(fresh_db, settings, now=T0)
    (row,) = _outbox(fresh_db)
    assert expected in row[3]
    assert (report.failed, report.retried) == ((1, 0) if not env else (0, 1))
    assert row[1] == ("failed" if not env else "pending")


def test_nothing_is_sent_before_it_is_due(fresh_db):
    with WebhookReceiver([500]) as hook:
        settings = settings_for(webhook_url=hook.url)
        _escalate(fresh_db, settings, "contact:comms-director")
        fresh_db.reader().execute("DELETE FROM outbox WHERE channel = 'email'")
        deliver_due(fresh_db, settings, now=T0, rng=random.Random(5))
        deliver_due(fresh_db, settings, now=T0 + timedelta(seconds=5), rng=random.Random(5))
        assert len(hook.requests) == 1  # the retry waits for its backoff (10 s ± 20%)
        deliver_due(fresh_db, settings, now=T0 + timedelta(seconds=13), rng=random.Random(5))
        assert len(hook.requests) == 2
    assert _outbox(fresh_db)[0][1] == "sent"


@pytest.mark.parametrize(("attempts", "low", "high"), [
    (1, 24, 36), (2, 48, 72), (3, 96, 144), (20, 2880, 4320),
])
def test_backoff_grows_exponentially_with_jitter(attempts, low, high):
    from monitoring.config import Notify

    cfg = Notify(backoff_seconds=30, backoff_max_seconds=3600, jitter=0.2)
    values = [backoff_seconds(cfg, attempts, random.Random(seed)) for seed in range(50)]
    assert all(low <= v <= high for v in values) and len(set(values)) > 1


def test_scrub_removes_every_secret():
    assert scrub("url https://h/x/abc123 pwd p4ss", ["https://h/x/abc123", "p4ss"]) == \
        "url *** pwd ***"
