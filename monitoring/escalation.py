"""Escalating an alert to decision makers: the escalation rows and their outbox, atomically.

Pressing *Escalate* (or an automatic rule) writes, in **one transaction** with the alert's
state change: one ``escalations`` row per contact of the first level (with its
acknowledgement deadline) and one ``outbox`` row per channel of each contact (e-mail,
webhook).  Nothing is sent here: the delivery job (:mod:`monitoring.notify`) sends what
the outbox holds, so a crash after the commit delays a notification but never loses it,
and the deterministic idempotency key ``esc-<escalation id>-<channel>`` makes a retry
recognisable downstream.

Outbox rows name the contact, not its address or webhook URL (a webhook URL is a
secret); the delivery job resolves them from the settings at send time.  The payload is
a JSON snapshot of the alert's context (kind, stream, severity, observed vs. expected,
top terms, sample posts with personal data masked) and the operator's message.

A target is either ``"ladder:<id>"`` (level 1 now, the next level when nobody
acknowledges within the ladder's ``ack_minutes``) or ``"contact:<id>"`` (that person
only).

Examples
--------
>>> from datetime import datetime
>>> from monitoring.auth import User
>>> from monitoring.config import load_settings
>>> from monitoring.store import Store
>>> settings, store = load_settings(), Store(":memory:")
>>> alert_id = store.reader().execute(
...     "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
...     "last_bin, updated_at, observed, expected, explanation) VALUES ('lumea', "
...     "'reputation_crisis', 'open', 8, 9.0, '2026-03-02 10:30', '2026-03-02 10:30', "
...     "'2026-03-02 10:40', '2026-03-02 10:40', 40, 6.5, '{}') RETURNING id").fetchall()[0][0]
>>> ids = escalate_alert(store, settings, User("anna", "operator"), alert_id, "ladder:crisis",
...                      "Please call me", now=datetime(2026, 3, 2, 10, 41))
>>> len(ids), store.reader().execute("SELECT channel, target, state FROM outbox").fetchall()
(1, [('email', 'comms-director', 'pending')])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from monitoring.actions import ActionError, transition_alert
from monitoring.auth import User, require
from monitoring.config import Contact, Settings
from monitoring.enrich.pii import mask_pii
from monitoring.i18n import Translator
from monitoring.store import Store, naive_utc

__all__ = [
    "EscalationTarget",
    "alert_context",
    "context_message",
    "default_message",
    "escalate_alert",
    "notify_level",
    "resolve_target",
]

#: Sample posts put in a notification.
SAMPLE_POSTS = 3
#: Characters of each sample post in a notification.
SAMPLE_CHARS = 280

SQL_ALERT_ROW = """
SELECT id, stream, kind, state, severity, score, opened_at, first_bin, last_bin, closed_at,
       observed, expected, explanation
FROM alerts WHERE id = ?
"""
SQL_MENTION_TEXT = """
SELECT author, text, ts FROM mentions WHERE source = ? AND source_id = ?
"""
SQL_PENDING_TARGET = """
SELECT created_at FROM escalations
WHERE alert_id = ? AND target = ? AND state = 'pending' ORDER BY created_at LIMIT 1
"""
SQL_INSERT_ESCALATION = """
INSERT INTO escalations (alert_id, level, contact, created_at, created_by, message, state,
                         ack_deadline, target, ladder)
VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id
"""
SQL_INSERT_OUTBOX = """
INSERT INTO outbox (escalation_id, channel, target, idempotency_key, payload, state,
                    attempts, next_attempt_at, created_at)
VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)
"""


@dataclass(frozen=True, slots=True)
class EscalationTarget:
    """Who an escalation goes to: a ladder or a single contact."""

    key: str
    ladder: str | None
    levels: list[list[str]]
    ack_minutes: float | None

    def contacts(self, level: int) -> list[str]:
        """Contact ids of ``level`` (1-based); empty beyond the last level."""
        return list(self.levels[level - 1]) if 1 <= level <= len(self.levels) else []


def resolve_target(settings: Settings, target: str) -> EscalationTarget:
    """Parse ``ladder:<id>`` / ``contact:<id>`` against the settings.

    >>> from monitoring.config import load_settings
    >>> resolve_target(load_settings(), "ladder:crisis").contacts(2)
    ['ceo-office', 'duty-manager']
    >>> resolve_target(load_settings(), "contact:nobody")
    Traceback (most recent call last):
    ...
    monitoring.actions.ActionError: unknown contact 'nobody'
    """
    kind, _, ident = target.partition(":")
    if kind == "ladder":
        try:
            ladder = settings.ladder(ident)
        except KeyError:
            raise ActionError(f"unknown escalation ladder {ident!r}") from None
        return EscalationTarget(target, ladder.id, ladder.levels, ladder.ack_minutes)
    if kind == "contact":
        try:
            settings.contact(ident)
        except KeyError:
            raise ActionError(f"unknown contact {ident!r}") from None
        return EscalationTarget(target, None, [[ident]], None)
    raise ActionError(f"escalation target must be 'ladder:<id>' or 'contact:<id>', not {target!r}")


def channels_of(contact: Contact) -> list[str]:
    """The channels a contact is reached on (``email``, ``webhook``)."""
    return [name for name, value in (("email", contact.email),
                                     ("webhook", contact.webhook or contact.webhook_env))
            if value]


def alert_context(cur: duckdb.DuckDBPyConnection, alert_id: int) -> dict[str, Any]:
    """A JSON-ready snapshot of an alert for notifications (personal data masked)."""
    rows = cur.execute(SQL_ALERT_ROW, [alert_id]).fetchall()
    if not rows:
        raise ActionError(f"alert {alert_id} does not exist")
    row = dict(zip([d[0] for d in cur.description], rows[0]))
    try:
        explanation = json.loads(row["explanation"] or "{}")
    except (TypeError, ValueError):
        explanation = {}
    samples = []
    for ref in list(explanation.get("sample_ids") or [])[:SAMPLE_POSTS]:
        source, _, source_id = str(ref).partition(":")
        found = cur.execute(SQL_MENTION_TEXT, [source, source_id]).fetchall()
        if found:
            author, text, ts = found[0]
            samples.append({"author": author, "ts": ts.isoformat(),
                             "text": mask_pii(text or "")[:SAMPLE_CHARS]})
    return {
        "alert_id": int(row["id"]), "stream": row["stream"], "kind": row["kind"],
        "state": row["state"], "severity": int(row["severity"]),
        "first_bin": row["first_bin"].isoformat(), "last_bin": row["last_bin"].isoformat(),
        "observed": row["observed"], "expected": row["expected"],
        "top_terms": list(explanation.get("top_terms") or [])[:10],
        "negative_share": explanation.get("negative_share"),
        "request_share": explanation.get("request_share"),
        "opinion_share": explanation.get("opinion_share"),
        "authors": explanation.get("authors"), "reach": explanation.get("reach"),
        "samples": samples,
    }


def default_message(store: Store, settings: Settings, alert_id: int, tr: Translator) -> str:
    """The message prefilled in the escalation dialog, in the operator's language."""
    return context_message(alert_context(store.reader(), alert_id), settings, tr)


def context_message(ctx: dict[str, Any], settings: Settings, tr: Translator) -> str:
    """The escalation message of an :func:`alert_context` (also used by automatic rules)."""
    try:
        stream = settings.stream(ctx["stream"]).name
    except KeyError:
        stream = ctx["stream"]
    parts = [tr("escalation.message_head", kind=tr(f"kind.{ctx['kind']}"), stream=stream,
                since=tr.time(datetime.fromisoformat(ctx["first_bin"])),
                severity=ctx["severity"])]
    if ctx["observed"] is not None and ctx["expected"] is not None:
        parts.append(tr("escalation.message_volume", observed=tr.number(ctx["observed"], 0),
                        expected=tr.number(ctx["expected"], 1)))
    if ctx["negative_share"] is not None:
        parts.append(tr("escalation.message_negative", share=tr.percent(ctx["negative_share"])))
    if ctx["top_terms"]:
        parts.append(tr("escalation.message_terms", terms=", ".join(ctx["top_terms"][:5])))
    parts.append(tr("escalation.message_ask"))
    return "\n".join(parts)


def notify_level(
    cur: duckdb.DuckDBPyConnection,
    settings: Settings,
    alert_id: int,
    target: EscalationTarget,
    level: int,
    message: str,
    actor: str,
    now: datetime,
) -> list[int]:
    """Write the escalation and outbox rows of one level, in the caller's transaction."""
    contacts = target.contacts(level)
    deadline = (naive_utc(now) + timedelta(minutes=target.ack_minutes)
                if target.ack_minutes else None)
    context = alert_context(cur, alert_id)
    t = naive_utc(now)
    ids: list[int] = []
    for contact_id in contacts:
        contact = settings.contact(contact_id)
        esc_id = int(cur.execute(SQL_INSERT_ESCALATION, [
            alert_id, level, contact_id, t, actor, message, deadline, target.key,
            target.ladder]).fetchall()[0][0])
        payload = json.dumps({"escalation_id": esc_id, "level": level, "contact": contact_id,
                              "contact_name": contact.name, "message": message,
                              "ack_deadline": deadline.isoformat() if deadline else None,
                              "lang": settings.app.language, "alert": context},
                             ensure_ascii=False, default=str)
        for channel in channels_of(contact):
            cur.execute(SQL_INSERT_OUTBOX, [esc_id, channel, contact_id,
                                            f"esc-{esc_id}-{channel}", payload, t, t])
        ids.append(esc_id)
    return ids


def escalate_alert(
    store: Store,
    settings: Settings,
    user: User,
    alert_id: int,
    target: str,
    message: str,
    *,
    now: datetime,
) -> list[int]:
    """Escalate an alert to a ladder or a contact; return the new escalation ids.

    Refused (:class:`~monitoring.actions.ActionError`) when the same target already has
    an unacknowledged escalation of this alert: pressing the button twice must not
    notify a director twice.
    """
    require(user, "operator")
    message = (message or "").strip()
    if not message:
        raise ActionError("the escalation message must not be empty")
    resolved = resolve_target(settings, target)
    with store.transaction() as cur:
        pending = cur.execute(SQL_PENDING_TARGET, [int(alert_id), resolved.key]).fetchall()
        if pending:
            raise ActionError(f"alert {alert_id} was already escalated to {resolved.key} at "
                              f"{pending[0][0]:%H:%M} and is waiting for acknowledgement")
        transition_alert(cur, store, user, int(alert_id), "escalate", now,
                         {"target": resolved.key, "contacts": resolved.contacts(1)})
        return notify_level(cur, settings, int(alert_id), resolved, 1, message[:4000],
                            user.username, now)


SQL_DELIVERY_PROBLEMS = """
SELECT o.id AS outbox_id, e.alert_id, e.contact, o.channel, o.attempts, o.last_error,
       o.next_attempt_at
FROM outbox o JOIN escalations e ON e.id = o.escalation_id
WHERE o.state = 'failed'
ORDER BY o.id DESC
LIMIT ?
"""


def delivery_problems(store: Store, limit: int = 20) -> pd.DataFrame:
    """Notifications that reached the terminal ``failed`` state (the wall shows them red).

    >>> from monitoring.store import Store
    >>> delivery_problems(Store()).empty
    True
    """
    return store.reader().execute(SQL_DELIVERY_PROBLEMS, [limit]).df()
