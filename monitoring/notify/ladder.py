"""Chasing an escalation until someone owns it: acknowledgement, the ladder, automatic rules.

* :func:`acknowledge_escalation` — the signed link of a notification acknowledges the
  escalation (and the alert, if nobody has yet), in one transaction with its history and
  audit rows.  The link is the authority: the recipient needs no dashboard account.
* :func:`advance_ladders` — the ``ladder`` job: a ladder level whose deadline passed with
  nobody acknowledging is marked ``passed`` and the next level is notified (outbox rows
  written in the same transaction); an alert acknowledged, resolved or dismissed in the
  meantime stops its ladder (``closed``).
* :func:`auto_escalate` — the rules of ``[[escalation.rules]]``: called by the detect job
  inside the transaction that opens or updates an alert.

Escalation states: ``pending`` → ``acknowledged`` | ``passed`` (next level notified) |
``closed`` (the alert was handled otherwise).

Examples
--------
>>> from datetime import datetime
>>> from monitoring.auth import User
>>> from monitoring.config import load_settings
>>> from monitoring.escalation import escalate_alert
>>> from monitoring.store import Store
>>> settings, store = load_settings(), Store(":memory:")
>>> alert_id = store.reader().execute(
...     "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
...     "last_bin, updated_at, explanation) VALUES ('lumea', 'reputation_crisis', 'open', 8, "
...     "9.0, '2026-03-02 10:30', '2026-03-02 10:30', '2026-03-02 10:40', '2026-03-02 10:40', "
...     "'{}') RETURNING id").fetchall()[0][0]
>>> _ = escalate_alert(store, settings, User("anna", "operator"), alert_id, "ladder:crisis",
...                    "Please call me", now=datetime(2026, 3, 2, 10, 41))
>>> advance_ladders(store, settings, now=datetime(2026, 3, 2, 10, 50))
[]
>>> advance_ladders(store, settings, now=datetime(2026, 3, 2, 10, 57))
[(1, 2, ['ceo-office', 'duty-manager'])]
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import duckdb

from monitoring.actions import ActionError, transition_alert
from monitoring.auth import SYSTEM, User
from monitoring.config import Settings
from monitoring.escalation import alert_context, context_message, notify_level, resolve_target
from monitoring.i18n import Translator
from monitoring.store import SQL_INSERT_ALERT_EVENT, Store, naive_utc
from monitoring.tokens import TokenError, signer_from_settings

__all__ = ["AckResult", "acknowledge_escalation", "advance_ladders", "auto_escalate",
           "escalation_for_token"]

log = logging.getLogger("sentinella.notify")

SQL_ESCALATION = """
SELECT e.id, e.alert_id, e.level, e.contact, e.state, e.acknowledged_by, e.acknowledged_at,
       e.message, a.state AS alert_state, a.kind, a.stream, a.severity
FROM escalations e JOIN alerts a ON a.id = e.alert_id WHERE e.id = ?
"""
SQL_ACK_ESCALATIONS = """
UPDATE escalations SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?
WHERE alert_id = ? AND state IN ('pending', 'passed')
"""
SQL_OVERDUE_LEVELS = """
SELECT e.alert_id, e.target, e.level, min(e.message) AS message, a.state, a.closed_at
FROM escalations e JOIN alerts a ON a.id = e.alert_id
WHERE e.state = 'pending' AND e.ladder IS NOT NULL AND e.ack_deadline <= ?
GROUP BY e.alert_id, e.target, e.level, a.state, a.closed_at
ORDER BY e.alert_id, e.level
"""
SQL_SET_LEVEL_STATE = """
UPDATE escalations SET state = ?
WHERE alert_id = ? AND target = ? AND level = ? AND state = 'pending'
"""
SQL_ALERT_STATE = "SELECT state, closed_at FROM alerts WHERE id = ?"
SQL_TARGET_USED = "SELECT count(*) FROM escalations WHERE alert_id = ? AND target = ?"


@dataclass(frozen=True, slots=True)
class AckResult:
    """What an acknowledgement link did (or found)."""

    escalation_id: int
    alert_id: int
    contact: str
    acknowledged_by: str
    acknowledged_at: datetime
    already: bool


def _escalation_id(settings: Settings, token: str, now: datetime) -> int:
    subject = signer_from_settings(settings).verify(token, "ack", now=now)
    try:
        return int(subject)
    except ValueError:
        raise TokenError("this link is not valid") from None


def escalation_for_token(store: Store, settings: Settings, token: str, *,
                         now: datetime) -> dict:
    """The escalation (with its alert's kind, stream, state) a valid link points at.

    Raises :class:`~monitoring.tokens.TokenError` for a forged, expired or unknown link.
    """
    esc_id = _escalation_id(settings, token, now)
    cur = store.reader()
    rows = cur.execute(SQL_ESCALATION, [esc_id]).fetchall()
    if not rows:
        raise TokenError("this escalation no longer exists")
    return dict(zip([d[0] for d in cur.description], rows[0]))


def acknowledge_escalation(store: Store, settings: Settings, token: str, *, now: datetime,
                           note: str | None = None) -> AckResult:
    """Acknowledge the escalation of a signed link (idempotent: a second click reports it)."""
    esc_id = _escalation_id(settings, token, now)
    t = naive_utc(now)
    with store.transaction() as cur:
        rows = cur.execute(SQL_ESCALATION, [esc_id]).fetchall()
        if not rows:
            raise TokenError("this escalation no longer exists")
        row = dict(zip([d[0] for d in cur.description], rows[0]))
        if row["state"] == "acknowledged":
            return AckResult(esc_id, row["alert_id"], row["contact"], row["acknowledged_by"],
                             row["acknowledged_at"], True)
        actor = f"contact:{row['contact']}"
        cur.execute(SQL_ACK_ESCALATIONS, [t, actor, row["alert_id"]])
        detail = {"escalation_id": esc_id, "level": row["level"], "via": "link",
                  "note": (note or "").strip()[:4000] or None}
        if row["alert_state"] in ("open", "escalated"):
            transition_alert(cur, store, User(actor, "operator", row["contact"]),
                             row["alert_id"], "acknowledge", now, detail)
        else:
            cur.execute(SQL_INSERT_ALERT_EVENT, [row["alert_id"], t, "escalation_acknowledged",
                                                 actor, json.dumps(detail)])
            store.audit(cur, actor, "escalation.acknowledge", "escalation", esc_id, detail, now)
    return AckResult(esc_id, row["alert_id"], row["contact"], actor, t, False)


def advance_ladders(store: Store, settings: Settings, *, now: datetime
                    ) -> list[tuple[int, int, list[str]]]:
    """Notify the next level of every ladder whose deadline passed unacknowledged.

    Returns ``(alert id, level notified, contacts)`` for each level notified.
    """
    t = naive_utc(now)
    done: list[tuple[int, int, list[str]]] = []
    overdue = store.reader().execute(SQL_OVERDUE_LEVELS, [t]).fetchall()
    for alert_id, target_key, level, message, alert_state, closed_at in overdue:
        with store.transaction() as cur:
            if closed_at is not None or alert_state not in ("open", "escalated"):
                cur.execute(SQL_SET_LEVEL_STATE, ["closed", alert_id, target_key, level])
                continue
            cur.execute(SQL_SET_LEVEL_STATE, ["passed", alert_id, target_key, level])
            try:
                target = resolve_target(settings, target_key)
            except ActionError as exc:
                log.warning("ladder of alert %s stopped: %s", alert_id, exc)
                continue
            contacts = target.contacts(level + 1)
            if not contacts:
                cur.execute(SQL_INSERT_ALERT_EVENT, [alert_id, t, "ladder_exhausted", "system",
                                                     json.dumps({"target": target_key,
                                                                 "level": level})])
                continue
            transition_alert(cur, store, SYSTEM, alert_id, "escalate", now,
                             {"target": target_key, "level": level + 1, "contacts": contacts,
                              "reason": "not acknowledged in time"})
            notify_level(cur, settings, alert_id, target, level + 1, message or "",
                         SYSTEM.username, now)
        done.append((int(alert_id), level + 1, contacts))
    return done


def auto_escalate(cur: duckdb.DuckDBPyConnection, store: Store, settings: Settings,
                  alert_id: int, kind: str, severity: int, now: datetime) -> list[int]:
    """Apply the automatic rules to an alert inside the caller's transaction.

    Only an ``open`` alert is escalated (one an operator already took, escalated or
    dismissed is left to them), and never twice to the same ladder.
    """
    rows = cur.execute(SQL_ALERT_STATE, [alert_id]).fetchall()
    if not rows or rows[0][0] != "open" or rows[0][1] is not None:
        return []
    ids: list[int] = []
    tr = Translator(settings.app.language, settings.app.timezone)
    for i, rule in enumerate(settings.escalation.rules):
        if kind not in rule.kinds or severity < rule.min_severity:
            continue
        target = resolve_target(settings, f"ladder:{rule.ladder}")
        if cur.execute(SQL_TARGET_USED, [alert_id, target.key]).fetchall()[0][0]:
            continue
        message = context_message(alert_context(cur, alert_id), settings, tr)
        transition_alert(cur, store, SYSTEM, alert_id, "escalate", now,
                         {"target": target.key, "contacts": target.contacts(1),
                          "rule": i, "severity": severity})
        ids += notify_level(cur, settings, alert_id, target, 1, message, SYSTEM.username, now)
    return ids
