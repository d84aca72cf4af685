from __future__ import annotations

import json
from datetime import datetime

import pytest

from monitoring.actions import (
    ActionError,
    acknowledge_alert,
    add_alert_note,
    dismiss_alert,
    resolve_alert,
)
from monitoring.auth import PermissionDenied, User

T0 = datetime(2026, 3, 2, 10, 0)
ANNA = User("anna", "operator")


def _alert(store, state="open") -> int:
    return store.reader().execute(
        "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
        "last_bin, updated_at) VALUES ('lumea', 'service_incident', ?, 6, 5.0, ?, ?, ?, ?) "
        "RETURNING id", [state, T0, T0, T0, T0]).fetchall()[0][0]


def _do(name, store, user, alert_id):
    kw = {"now": datetime(2026, 3, 2, 10, 5)}
    if name == "dismiss":
        return dismiss_alert(store, user, alert_id, reason="a competitor's ad", **kw)
    if name == "note":
        return add_alert_note(store, user, alert_id, text="called the NOC", **kw)
    return {"acknowledge": acknowledge_alert, "resolve": resolve_alert}[name](
        store, user, alert_id, **kw)


@pytest.mark.parametrize(("start", "action", "result"), [
    ("open", "acknowledge", "acknowledged"),
    ("escalated", "acknowledge", "escalated->acknowledged"),
    ("open", "resolve", "resolved"),
    ("acknowledged", "resolve", "resolved"),
    ("escalated", "resolve", "resolved"),
    ("open", "dismiss", "dismissed"),
    ("acknowledged", "dismiss", "dismissed"),
    ("resolved", "note", "resolved"),
    ("open", "note", "open"),
    ("acknowledged", "acknowledge", ActionError),
    ("resolved", "acknowledge", ActionError),
    ("dismissed", "resolve", ActionError),
    ("resolved", "dismiss", ActionError),
])
def test_alert_transitions(fresh_db, start, action, result):
    alert_id = _alert(fresh_db, start)
    events_before = len(fresh_db.alert_events(alert_id))
    if result is ActionError:
        with pytest.raises(ActionError, match=f"is {start}"):
            _do(action, fresh_db, ANNA, alert_id)
        state = fresh_db.reader().execute("SELECT state FROM alerts WHERE id = ?",
                                          [alert_id]).fetchall()[0][0]
        assert state == start and len(fresh_db.alert_events(alert_id)) == events_before
        return
    expected = result.split("->")[-1]
    assert _do(action, fresh_db, ANNA, alert_id) == expected
    row = fresh_db.reader().execute("SELECT state, closed_at FROM alerts WHERE id = ?",
                                    [alert_id]).fetchall()[0]
    assert row[0] == expected
    assert (row[1] is not None) == (expected in ("resolved", "dismissed") and action != "note")
    events = fresh_db.alert_events(alert_id)
    assert len(events) == events_before + 1 and events.iloc[-1]["actor"] == "anna"
    audit = fresh_db.reader().execute(
        "SELECT actor, action, target_type, target_id FROM audit_log").fetchall()
    assert audit == [("anna", f"alert.{action}", "alert", str(alert_id))]


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "dismiss", "note"])
def test_a_viewer_cannot_act_even_calling_the_function(fresh_db, action):
    alert_id = _alert(fresh_db)
    with pytest.raises(PermissionDenied):
        _do(action, fresh_db, User("wall", "viewer"), alert_id)
    with pytest.raises(PermissionDenied):
        _do(action, fresh_db, None, alert_id)
    assert fresh_db.reader().execute("SELECT count(*) FROM audit_log").fetchall()[0][0] == 0
    assert len(fresh_db.alert_events(alert_id)) == 0


def test_dismissal_keeps_the_reason_as_feedback(fresh_db):
    alert_id = _alert(fresh_db)
    dismiss_alert(fresh_db, ANNA, alert_id, now=T0, reason="  a competitor's ad  ")
    detail = json.loads(fresh_db.alert_events(alert_id).iloc[-1]["detail"])
    assert detail == {"reason": "a competitor's ad"}


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_note_or_reason_is_refused(fresh_db, text):
    alert_id = _alert(fresh_db)
    with pytest.raises(ActionError, match="must not be empty"):
        add_alert_note(fresh_db, ANNA, alert_id, now=T0, text=text)
    with pytest.raises(ActionError, match="must not be empty"):
        dismiss_alert(fresh_db, ANNA, alert_id, now=T0, reason=text)


def test_unknown_alert(fresh_db):
    with pytest.raises(ActionError, match="does not exist"):
        acknowledge_alert(fresh_db, ANNA, 999, now=T0)
