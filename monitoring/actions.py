"""What people do to alerts: acknowledge, resolve, dismiss as a false alarm, add a note.

Every function here is a state change made by a user (or :data:`monitoring.auth.SYSTEM`):
it checks the user's role on the server side first, then, in **one transaction**, checks
the alert's current state, changes it, appends an ``alert_events`` row (the alert's own
history, drawn on the timeline) and an ``audit_log`` row (who did what, when).  A
forbidden transition raises :class:`ActionError` with a message for the user, and
changes nothing.

The alert states::

    open ──► acknowledged ──► resolved
      │  ╲         │
      │   ╲──► escalated ──► resolved
      └──────────► dismissed  (a false alarm, kept as feedback for the detectors)

Examples
--------
>>> from datetime import datetime
>>> from monitoring.auth import User
>>> from monitoring.store import Store
>>> store = Store(":memory:")
>>> alert_id = store.reader().execute(
...     "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
...     "last_bin, updated_at) VALUES ('s', 'service_incident', 'open', 6, 5.0, "
...     "'2026-03-02 10:00', '2026-03-02 10:00', '2026-03-02 10:00', '2026-03-02 10:00') "
...     "RETURNING id").fetchall()[0][0]
>>> anna = User("anna", "operator")
>>> acknowledge_alert(store, anna, alert_id, now=datetime(2026, 3, 2, 10, 3))
'acknowledged'
>>> resolve_alert(store, anna, alert_id, now=datetime(2026, 3, 2, 11, 0), note="fixed")
'resolved'
>>> acknowledge_alert(store, anna, alert_id, now=datetime(2026, 3, 2, 11, 1))
Traceback (most recent call last):
...
monitoring.actions.ActionError: alert ... is resolved: it cannot be acknowledged
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from monitoring.auth import User, require
from monitoring.store import SQL_INSERT_ALERT_EVENT, Store, naive_utc

__all__ = [
    "ALERT_STATES",
    "ActionError",
    "acknowledge_alert",
    "add_alert_note",
    "dismiss_alert",
    "resolve_alert",
    "transition_alert",
]

ALERT_STATES = ("open", "acknowledged", "escalated", "resolved", "dismissed")

#: action -> (states it may start from, resulting state or None = unchanged, event name)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None, str]] = {
    "acknowledge": (frozenset({"open", "escalated"}), "acknowledged", "acknowledged"),
    "escalate": (frozenset({"open", "acknowledged", "escalated"}), "escalated", "escalated"),
    "resolve": (frozenset({"open", "acknowledged", "escalated"}), "resolved", "resolved"),
    "dismiss": (frozenset({"open", "acknowledged", "escalated"}), "dismissed", "dismissed"),
    "note": (frozenset(ALERT_STATES), None, "note"),
}

#: Longest note or reason kept (characters).
MAX_NOTE_CHARS = 4_000

SQL_ALERT_STATE_FOR_UPDATE = "SELECT state FROM alerts WHERE id = ?"
SQL_SET_STATE = "UPDATE alerts SET state = ?, updated_at = ? WHERE id = ?"
# A human resolution or dismissal also ends the episode on the wall.
SQL_SET_STATE_CLOSED = """
UPDATE alerts SET state = ?, updated_at = ?, closed_at = coalesce(closed_at, ?) WHERE id = ?
"""


class ActionError(ValueError):
    """The action is not possible now (unknown alert, wrong state, empty note...)."""


def transition_alert(
    cur: duckdb.DuckDBPyConnection,
    store: Store,
    user: User,
    alert_id: int,
    action: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> str:
    """Apply ``action`` to an alert inside the caller's transaction; return the new state.

    For modules that change more than the alert in the same transaction (escalation
    writes its outbox rows with it).  The caller has already checked the role.
    """
    allowed, target, event = TRANSITIONS[action]
    rows = cur.execute(SQL_ALERT_STATE_FOR_UPDATE, [alert_id]).fetchall()
    if not rows:
        raise ActionError(f"alert {alert_id} does not exist")
    state = rows[0][0]
    if state not in allowed:
        verb = {"acknowledge": "acknowledged", "escalate": "escalated", "resolve": "resolved",
                "dismiss": "dismissed"}.get(action, action)
        raise ActionError(f"alert {alert_id} is {state}: it cannot be {verb}")
    t = naive_utc(now)
    new_state = target or state
    if target in ("resolved", "dismissed"):
        cur.execute(SQL_SET_STATE_CLOSED, [target, t, t, alert_id])
    elif target:
        cur.execute(SQL_SET_STATE, [target, t, alert_id])
    payload = json.dumps(detail or {}, ensure_ascii=False, default=str)
    cur.execute(SQL_INSERT_ALERT_EVENT, [alert_id, t, event, user.username, payload])
    store.audit(cur, user.username, f"alert.{action}", "alert", alert_id, detail, now)
    return new_state


def _act(store: Store, user: User, alert_id: int, action: str, now: datetime,
         detail: dict[str, Any] | None = None) -> str:
    require(user, "operator")
    with store.transaction() as cur:
        return transition_alert(cur, store, user, int(alert_id), action, now, detail)


def _text(value: str | None, what: str, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ActionError(f"{what} must not be empty")
    return text[:MAX_NOTE_CHARS] or None


def acknowledge_alert(store: Store, user: User, alert_id: int, *, now: datetime,
                      note: str | None = None) -> str:
    """The user takes charge of the alert."""
    return _act(store, user, alert_id, "acknowledge", now,
                {"note": _text(note, "note", False)})


def resolve_alert(store: Store, user: User, alert_id: int, *, now: datetime,
                  note: str | None = None) -> str:
    """The event is handled; the alert leaves the queue."""
    return _act(store, user, alert_id, "resolve", now, {"note": _text(note, "note", False)})


def dismiss_alert(store: Store, user: User, alert_id: int, *, now: datetime,
                  reason: str) -> str:
    """A false alarm: closed, and kept (with the reason) as feedback on the detectors."""
    return _act(store, user, alert_id, "dismiss", now,
                {"reason": _text(reason, "the reason of a dismissal", True)})


def add_alert_note(store: Store, user: User, alert_id: int, *, now: datetime, text: str) -> str:
    """A note on the alert's history (shown on the timeline); the state is unchanged."""
    return _act(store, user, alert_id, "note", now, {"note": _text(text, "a note", True)})
