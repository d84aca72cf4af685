from __future__ import annotations

import json
from datetime import datetime

import pytest
from loopback import open_alert

from monitoring.actions import ActionError
from monitoring.auth import PermissionDenied, User
from monitoring.config import load_settings
from monitoring.escalation import default_message, escalate_alert, resolve_target
from monitoring.i18n import Translator

T0 = datetime(2026, 3, 2, 10, 41)
ANNA = User("anna", "operator")
SETTINGS = load_settings()


def _alert(store, state="open") -> int:
    return open_alert(store, T0, severity=8, state=state)


@pytest.mark.parametrize(("target", "contacts", "deadline"), [
    ("ladder:crisis", ["comms-director"], datetime(2026, 3, 2, 10, 56)),
    ("contact:duty-manager", ["duty-manager"], None),
])
def test_escalation_writes_rows_and_outbox_in_one_go(fresh_db, target, contacts, deadline):
    alert_id = _alert(fresh_db)
    ids = escalate_alert(fresh_db, SETTINGS, ANNA, alert_id, target, "Chiamami", now=T0)
    rows = fresh_db.reader().execute(
        "SELECT id, level, contact, state, ack_deadline, target FROM escalations ORDER BY id"
    ).fetchall()
    assert [r[0] for r in rows] == ids
    assert [r[2] for r in rows] == contacts
    assert all(r[1] == 1 and r[3] == "pending" and r[4] == deadline and r[5] == target
               for r in rows)
    outbox = fresh_db.reader().execute(
        "SELECT escalation_id, channel, target, idempotency_key, payload FROM outbox").fetchall()
    assert [(o[1], o[2]) for o in outbox] == [("email", c) for c in contacts]
    assert outbox[0][3] == f"esc-{ids[0]}-email"
    payload = json.loads(outbox[0][4])
    assert payload["message"] == "Chiamami" and payload["alert"]["top_terms"][0] == "vessani"
    sample = payload["alert"]["samples"][0]["text"]
    assert "333 123 4567" not in sample and "Vergogna" in sample  # personal data masked
    state = fresh_db.reader().execute("SELECT state FROM alerts").fetchall()[0][0]
    assert state == "escalated"
    assert fresh_db.reader().execute(
        "SELECT action FROM audit_log").fetchall() == [("alert.escalate",)]


def test_pressing_escalate_twice_does_not_notify_twice(fresh_db):
    alert_id = _alert(fresh_db)
    escalate_alert(fresh_db, SETTINGS, ANNA, alert_id, "ladder:crisis", "x", now=T0)
    with pytest.raises(ActionError, match="already escalated"):
        escalate_alert(fresh_db, SETTINGS, ANNA, alert_id, "ladder:crisis", "x", now=T0)
    assert fresh_db.reader().execute("SELECT count(*) FROM outbox").fetchall()[0][0] == 1
    # another target is a deliberate second escalation
    escalate_alert(fresh_db, SETTINGS, ANNA, alert_id, "contact:ceo-office", "x", now=T0)
    assert fresh_db.reader().execute("SELECT count(*) FROM outbox").fetchall()[0][0] == 2


@pytest.mark.parametrize(("user", "target", "message", "state", "error"), [
    (User("wall", "viewer"), "ladder:crisis", "x", "open", PermissionDenied),
    (ANNA, "ladder:nope", "x", "open", ActionError),
    (ANNA, "group:crisis", "x", "open", ActionError),
    (ANNA, "ladder:crisis", "  ", "open", ActionError),
    (ANNA, "ladder:crisis", "x", "resolved", ActionError),
    (ANNA, "ladder:crisis", "x", "dismissed", ActionError),
])
def test_refused_escalations_change_nothing(fresh_db, user, target, message, state, error):
    alert_id = _alert(fresh_db, state)
    with pytest.raises(error):
        escalate_alert(fresh_db, SETTINGS, user, alert_id, target, message, now=T0)
    for table in ("escalations", "outbox", "audit_log", "alert_events"):
        assert fresh_db.reader().execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == 0


def test_resolve_target_levels():
    t = resolve_target(SETTINGS, "ladder:crisis")
    assert t.contacts(1) == ["comms-director"] and t.contacts(3) == [] and t.ack_minutes == 15


@pytest.mark.parametrize(("lang", "head", "terms"), [
    ("it", "Crisi reputazionale su Lumea Energia dalle 11:41", "Termini principali: vessani"),
    ("en", "Reputation crisis on Lumea Energia since 11:41", "Top terms: vessani"),
])
def test_default_message_in_the_operator_language(fresh_db, lang, head, terms):
    alert_id = _alert(fresh_db)
    text = default_message(fresh_db, SETTINGS, alert_id, Translator(lang, "Europe/Rome"))
    assert text.startswith(head) and terms in text and "71%" in text
