"""Webhook formats and secret URLs, against a real loopback receiver."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from loopback import SECRET, SECRET_ENV, WebhookReceiver, open_alert, settings_for

from monitoring.auth import User
from monitoring.config import ConfigError, parse_settings
from monitoring.escalation import channels_of, delivery_problems, escalate_alert
from monitoring.notify.outbox import deliver_due

T0 = datetime(2026, 3, 2, 10, 41)


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)


def _deliver(store, settings) -> None:
    alert_id = open_alert(store, T0)
    escalate_alert(store, settings, User("anna", "operator"), alert_id,
                   "contact:comms-director", "Serve una decisione", now=T0)
    store.reader().execute("DELETE FROM outbox WHERE channel = 'email'")
    deliver_due(store, settings, now=T0, rng=random.Random(0))


@pytest.mark.parametrize(("fmt", "check"), [
    ("json", lambda b: b["alert"]["kind"] == "reputation_crisis"
     and b["message"] == "Serve una decisione" and "/ack?token=" in b["ack_url"]),
    ("slack", lambda b: b["text"].startswith("Crisi reputazionale su lumea")
     and "/ack?token=" in b["blocks"][2]["elements"][0]["url"]
     and "vessani" in b["blocks"][1]["text"]["text"]),
    ("teams", lambda b: b["@type"] == "MessageCard" and "Serve una decisione" in b["text"]
     and "/ack?token=" in b["potentialAction"][0]["targets"][0]["uri"]),
])
def test_each_format_reaches_the_receiver_with_the_key_header(fresh_db, fmt, check):
    with WebhookReceiver() as hook:
        _deliver(fresh_db, settings_for(webhook_url=hook.url, webhook_format=fmt))
    (key, body), = hook.requests
    assert key.endswith("-webhook") and check(body)
    assert "333 123 4567" not in str(body)


def test_webhook_url_from_a_secret(fresh_db, monkeypatch):
    with WebhookReceiver() as hook:
        settings = settings_for()
        data = settings.model_dump()
        data["contacts"][0].update(webhook=None, webhook_env="DIRECTOR_HOOK_URL")
        settings = parse_settings(data)
        monkeypatch.setenv("DIRECTOR_HOOK_URL", hook.url)
        _deliver(fresh_db, settings)
    assert len(hook.requests) == 1
    assert hook.url not in fresh_db.reader().execute("SELECT payload FROM outbox"
                                                     ).fetchall()[0][0]


def test_missing_webhook_secret_is_a_named_failure(fresh_db, monkeypatch):
    settings = settings_for()
    data = settings.model_dump()
    data["contacts"][0].update(webhook=None, webhook_env="DIRECTOR_HOOK_URL")
    monkeypatch.delenv("DIRECTOR_HOOK_URL", raising=False)
    _deliver(fresh_db, parse_settings(data))
    error = delivery_problems(fresh_db)["last_error"][0]
    assert error == "webhook of comms-director: the secret DIRECTOR_HOOK_URL is not set"


@pytest.mark.parametrize(("section", "values", "message"), [
    ("smtp", {"password_env": "hunter2"}, "must name an environment variable"),
    ("smtp", {"security": "tls13"}, "security"),
    ("auth", {"token_secret_env": "my secret"}, "must name an environment variable"),
    ("notify", {"max_attempts": 0}, "max_attempts"),
    ("app", {"base_url": "dash.example"}, "must start with http"),
])
def test_bad_delivery_settings_fail_loudly(section, values, message):
    data = settings_for().model_dump()
    data[section].update(values)
    with pytest.raises(ConfigError, match=message):
        parse_settings(data)


def test_a_contact_reached_only_by_a_secret_webhook_has_that_channel():
    data = settings_for().model_dump()
    data["contacts"][0].update(email=None, webhook=None, webhook_env="HOOK")
    assert channels_of(parse_settings(data).contact("comms-director")) == ["webhook"]
    data["contacts"][0].update(webhook_env=None)
    with pytest.raises(ConfigError, match="needs an email, a webhook or a webhook_env"):
        parse_settings(data)
