"""The ladder on a test clock, automatic escalation rules, and acknowledgement links."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from loopback import SECRET, SECRET_ENV, SmtpSink, open_alert, settings_for

from monitoring.actions import acknowledge_alert
from monitoring.auth import User
from monitoring.escalation import escalate_alert
from monitoring.notify.ladder import acknowledge_escalation, advance_ladders, auto_escalate
from monitoring.notify.outbox import deliver_due
from monitoring.tokens import TokenError, TokenSigner

T0 = datetime(2026, 3, 2, 10, 41)
ANNA = User("anna", "operator")


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)


def _one_minute_ladder(smtp_port: int):
    return settings_for(smtp_port, escalation={"ladders": [
        {"id": "crisis", "name": "Crisis", "ack_minutes": 1,
         "levels": [["comms-director"], ["ceo-office", "duty-manager"]]}],
        "rules": [{"kinds": ["reputation_crisis"], "min_severity": 8, "ladder": "crisis"}]})


def test_level_two_is_notified_when_level_one_stays_silent(fresh_db):
    with SmtpSink() as smtp:
        settings = _one_minute_ladder(smtp.port)
        alert_id = open_alert(fresh_db, T0)
        escalate_alert(fresh_db, settings, ANNA, alert_id, "ladder:crisis", "Decidere", now=T0)
        clock = T0
        deliver_due(fresh_db, settings, now=clock)
        assert [m["To"] for m in smtp.messages] == ["director@lumea.example"]
        clock += timedelta(seconds=59)
        assert advance_ladders(fresh_db, settings, now=clock) == []
        clock += timedelta(seconds=2)
        assert advance_ladders(fresh_db, settings, now=clock) == [
            (alert_id, 2, ["ceo-office", "duty-manager"])]
        assert advance_ladders(fresh_db, settings, now=clock) == []  # once only
        deliver_due(fresh_db, settings, now=clock)
        assert sorted(m["To"] for m in smtp.messages[1:]) == [
            "ceo.office@lumea.example", "duty@lumea.example"]
        assert "Livello 2" in smtp.messages[1].get_body(("plain",)).get_content()
    states = fresh_db.reader().execute(
        "SELECT level, state FROM escalations ORDER BY id").fetchall()
    assert states == [(1, "passed"), (2, "pending"), (2, "pending")]
    events = [e for (e,) in fresh_db.reader().execute(
        "SELECT event FROM alert_events ORDER BY id").fetchall()]
    assert events == ["escalated", "notified", "escalated", "notified", "notified"]
    # level 2 silent too: the ladder ends, recorded on the alert
    advance_ladders(fresh_db, settings, now=clock + timedelta(minutes=2))
    assert fresh_db.reader().execute(
        "SELECT count(*) FROM alert_events WHERE event = 'ladder_exhausted'").fetchall()[0][0] == 1


@pytest.mark.parametrize("handled", ["link", "dashboard"])
def test_an_acknowledged_alert_stops_its_ladder(fresh_db, handled):
    settings = _one_minute_ladder(1)
    alert_id = open_alert(fresh_db, T0)
    (esc_id,) = escalate_alert(fresh_db, settings, ANNA, alert_id, "ladder:crisis", "x", now=T0)
    t = T0 + timedelta(seconds=30)
    if handled == "link":
        token = TokenSigner(SECRET.encode()).sign("ack", str(esc_id), t + timedelta(hours=1))
        acknowledge_escalation(fresh_db, settings, token, now=t)
    else:
        acknowledge_alert(fresh_db, ANNA, alert_id, now=t)
    assert advance_ladders(fresh_db, settings, now=T0 + timedelta(minutes=5)) == []
    assert fresh_db.reader().execute("SELECT count(*) FROM escalations").fetchall()[0][0] == 1


@pytest.mark.parametrize(("make", "message"), [
    (lambda s: s.sign("ack", "1", T0 - timedelta(seconds=1)), "expired"),
    (lambda s: TokenSigner(b"forged-secret-0123456789").sign("ack", "1", T0 + timedelta(1)),
     "not valid"),
    (lambda s: s.sign("kiosk", "1", T0 + timedelta(days=1)), "not valid here"),
    (lambda s: s.sign("ack", "999", T0 + timedelta(days=1)), "no longer exists"),
])
def test_bad_links_acknowledge_nothing(fresh_db, make, message):
    settings = _one_minute_ladder(1)
    alert_id = open_alert(fresh_db, T0)
    escalate_alert(fresh_db, settings, ANNA, alert_id, "ladder:crisis", "x", now=T0)
    with pytest.raises(TokenError, match=message):
        acknowledge_escalation(fresh_db, settings, make(TokenSigner(SECRET.encode())), now=T0)
    assert fresh_db.reader().execute("SELECT state FROM alerts").fetchall() == [("escalated",)]


@pytest.mark.parametrize(("kind", "severity", "state", "escalated"), [
    ("reputation_crisis", 8, "open", True),
    ("reputation_crisis", 10, "open", True),
    ("reputation_crisis", 7, "open", False),
    ("service_incident", 9, "open", False),
    ("reputation_crisis", 9, "acknowledged", False),
    ("reputation_crisis", 9, "dismissed", False),
])
def test_automatic_rules(fresh_db, kind, severity, state, escalated):
    settings = _one_minute_ladder(1)
    alert_id = open_alert(fresh_db, T0, severity=severity, kind=kind)
    fresh_db.reader().execute("UPDATE alerts SET state = ?", [state])
    with fresh_db.transaction() as cur:
        ids = auto_escalate(cur, fresh_db, settings, alert_id, kind, severity, T0)
        again = auto_escalate(cur, fresh_db, settings, alert_id, kind, severity, T0)
    assert bool(ids) is escalated and again == []
    rows = fresh_db.reader().execute("SELECT channel, target, payload FROM outbox").fetchall()
    assert len(rows) == escalated
    if escalated:
        assert rows[0][1] == "comms-director" and "Crisi reputazionale" in rows[0][2]
        actor = fresh_db.reader().execute("SELECT actor FROM audit_log").fetchall()
        assert actor == [("system",)]


def test_a_viewer_cannot_escalate_even_calling_the_function(fresh_db):
    from monitoring.auth import PermissionDenied

    settings = _one_minute_ladder(1)
    alert_id = open_alert(fresh_db, T0)
    with pytest.raises(PermissionDenied):
        escalate_alert(fresh_db, settings, User("wall", "viewer"), alert_id, "ladder:crisis",
                       "x", now=T0)
    assert fresh_db.reader().execute("SELECT count(*) FROM outbox").fetchall()[0][0] == 0
    assert deliver_due(fresh_db, settings, now=T0, rng=random.Random(0)).sent == 0
