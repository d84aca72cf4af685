"""The request inbox: queues per department with SLA timers, ticket actions, customer panel.

Every ordinary request opens a ticket at ingest (see :data:`monitoring.store.SQL_TICKETS_FROM_BATCH`)
with its department and the moments its first response and its resolution are due.  This
module reads the queues (time left or overdue, in business hours when configured), and
changes tickets: **assign**, **mark responded**, **resolve**, and **correct** a mention's
category, department or sentiment (kept as a label).  Each change checks the user's role
on the server side and writes the ticket and its ``audit_log`` row in one transaction.

The ticket states::

    open ──► responded ──► resolved
      └──────────────────────▲      (resolving also counts as the first response)

Examples
--------
>>> from datetime import datetime
>>> from monitoring.auth import User
>>> from monitoring.store import Store
>>> store = Store(":memory:")
>>> ticket_id = store.reader().execute(
...     "INSERT INTO tickets (source, source_id, stream, department, state, created_at, "
...     "author, first_response_due, resolution_due) VALUES ('x', '1', 's', 'billing', "
...     "'open', '2026-03-02 10:00', '@bob', '2026-03-02 11:00', '2026-03-02 18:00') "
...     "RETURNING id").fetchall()[0][0]
>>> anna = User("anna", "operator")
>>> assign_ticket(store, anna, ticket_id, "marco", now=datetime(2026, 3, 2, 10, 5))
'open'
>>> mark_responded(store, anna, ticket_id, now=datetime(2026, 3, 2, 10, 20))
'responded'
>>> resolve_ticket(store, anna, ticket_id, now=datetime(2026, 3, 2, 12, 0))
'resolved'
>>> mark_responded(store, anna, ticket_id, now=datetime(2026, 3, 2, 12, 1))
Traceback (most recent call last):
...
monitoring.inbox.TicketError: ticket ... is resolved: it cannot be marked responded
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from monitoring.auth import User, require
from monitoring.enrich.pii import mask_pii, private_channel_reply
from monitoring.labels import record_label
from monitoring.models import utc
from monitoring.sla import SlaCalendar, TicketDue
from monitoring.store import Store, naive_utc

__all__ = [
    "TICKET_STATES",
    "CustomerPanel",
    "TicketDetail",
    "TicketError",
    "assign_ticket",
    "correct_ticket",
    "customer_panel",
    "format_left",
    "mark_responded",
    "queue",
    "queue_summary",
    "resolve_ticket",
    "ticket_detail",
]

TICKET_STATES = ("open", "responded", "resolved")
#: Longest text shown for a post in a queue or panel (characters, after masking).
SHOWN_CHARS = 500
#: Longest assignee name or note kept.
MAX_NAME_CHARS = 80
MAX_NOTE_CHARS = 2_000

_TICKET_COLUMNS = """
t.id, t.source, t.source_id, t.stream, t.department, t.state, t.assignee, t.author,
t.priority, t.created_at, t.first_response_due, t.resolution_due, t.first_response_at,
t.resolved_at, m.text, m.lang, m.sentiment, m.sentiment_label, m.category, m.pii_kinds
"""
SQL_QUEUE = f"""
SELECT {_TICKET_COLUMNS}
FROM tickets t LEFT JOIN mentions m ON m.source = t.source AND m.source_id = t.source_id
WHERE (? IS NULL OR t.department = ?) AND (? OR t.state <> 'resolved')
ORDER BY t.state = 'resolved', coalesce(t.first_response_at IS NULL, true) DESC,
         t.first_response_due NULLS LAST, t.priority DESC NULLS LAST, t.id
LIMIT ?
"""
SQL_TICKET = f"""
SELECT {_TICKET_COLUMNS}
FROM tickets t LEFT JOIN mentions m ON m.source = t.source AND m.source_id = t.source_id
WHERE t.id = ?
"""
SQL_OPEN_TICKETS_BY_DEPARTMENT = """
SELECT department, count(*) AS waiting,
       count(*) FILTER (WHERE first_response_at IS NULL AND first_response_due < ?)
           AS first_response_breached,
       count(*) FILTER (WHERE resolution_due < ?) AS resolution_breached
FROM tickets WHERE state <> 'resolved' GROUP BY department ORDER BY department
"""
SQL_TICKET_STATE = "SELECT state, first_response_at FROM tickets WHERE id = ?"
SQL_ASSIGN = "UPDATE tickets SET assignee = ?, updated_at = ? WHERE id = ?"
SQL_RESPOND = """
UPDATE tickets SET state = 'responded', first_response_at = coalesce(first_response_at, ?),
    updated_at = ? WHERE id = ?
"""
SQL_RESOLVE = """
UPDATE tickets SET state = 'resolved', first_response_at = coalesce(first_response_at, ?),
    resolved_at = ?, closed_reason = ?, updated_at = ? WHERE id = ?
"""
SQL_SET_DEPARTMENT = """
UPDATE tickets SET department = ?, first_response_due = ?, resolution_due = ?, updated_at = ?
WHERE id = ?
"""
# The same person across sources: handles compared without '@' and case.
SQL_AUTHOR_MENTIONS = """
SELECT ts, source, source_id, stream, text, lang, sentiment, sentiment_label, category,
       department, pii_kinds
FROM mentions WHERE lower(ltrim(author, '@')) = ? ORDER BY ts DESC LIMIT ?
"""
SQL_AUTHOR_TICKETS = """
SELECT id, source, source_id, stream, department, state, assignee, created_at,
       first_response_at, resolved_at
FROM tickets WHERE lower(ltrim(author, '@')) = ? ORDER BY created_at DESC LIMIT ?
"""


class TicketError(ValueError):
    """The ticket action is not possible (unknown ticket, wrong state, bad value)."""


# ----------------------------------------------------------------------------- reading
def _sla_columns(frame: pd.DataFrame, now: datetime, calendar: SlaCalendar | None) -> pd.DataFrame:
    """Add the SLA timers: seconds left (negative = overdue) and breach flags."""
    calendar = calendar or SlaCalendar(None, "UTC")
    now_u = utc(now)

    def left(due: Any, done: Any) -> float | None:
        if due is None or pd.isna(due):
            return None
        due_u = utc(pd.Timestamp(due).to_pydatetime())
        end = now_u if done is None or pd.isna(done) else utc(pd.Timestamp(done).to_pydatetime())
        if end <= due_u:
            return calendar.elapsed(end, due_u).total_seconds()
        return -(end - due_u).total_seconds()

    out = frame.copy()
    out["first_response_left_s"] = [left(d, r) for d, r in
                                    zip(out["first_response_due"], out["first_response_at"])]
    out["resolution_left_s"] = [left(d, r) for d, r in
                                zip(out["resolution_due"], out["resolved_at"])]
    out["first_response_breached"] = out["first_response_left_s"].map(
        lambda s: s is not None and not pd.isna(s) and s < 0)
    out["resolution_breached"] = out["resolution_left_s"].map(
        lambda s: s is not None and not pd.isna(s) and s < 0)
    return out


def _masked(frame: pd.DataFrame) -> pd.DataFrame:
    """Post texts with personal data masked and bounded (never rendered as markup)."""
    out = frame.copy()
    out["text"] = out["text"].map(lambda t: mask_pii(str(t or ""))[:SHOWN_CHARS])
    out["pii_kinds"] = out["pii_kinds"].map(
        lambda k: [str(x) for x in k] if hasattr(k, "__len__") and not isinstance(k, str) else [])
    return out


def queue(store: Store, department: str | None, *, now: datetime,
          calendar: SlaCalendar | None = None, include_resolved: bool = False,
          limit: int = 200) -> pd.DataFrame:
    """The tickets of a department (``None``: every department), most urgent first.

    Unanswered tickets come first, by first-response due time.  Columns: the ticket's,
    the post's (``text`` masked), and the timers ``first_response_left_s`` /
    ``resolution_left_s`` (working seconds left; negative = seconds overdue) with
    ``first_response_breached`` / ``resolution_breached``.
    """
    frame = store.reader().execute(
        SQL_QUEUE, [department, department, include_resolved, int(limit)]).df()
    return _sla_columns(_masked(frame), now, calendar)


def queue_summary(store: Store, *, now: datetime) -> pd.DataFrame:
    """Per department: tickets waiting, first-response and resolution SLA breaches."""
    t = naive_utc(now)
    return store.reader().execute(SQL_OPEN_TICKETS_BY_DEPARTMENT, [t, t]).df()


@dataclass(slots=True)
class TicketDetail:
    """One ticket with its post (masked) and, if it exposes personal data, the advice."""

    ticket: dict[str, Any]
    private_channel_warning: bool
    suggested_reply: str | None


def ticket_detail(store: Store, ticket_id: int, *, now: datetime,
                  calendar: SlaCalendar | None = None) -> TicketDetail:
    """The ticket, its masked post and the "move to a private channel" advice."""
    frame = store.reader().execute(SQL_TICKET, [int(ticket_id)]).df()
    if frame.empty:
        raise TicketError(f"ticket {ticket_id} does not exist")
    row = _sla_columns(_masked(frame), now, calendar).iloc[0].to_dict()
    kinds = row["pii_kinds"]
    reply = private_channel_reply(str(row.get("lang") or "it"), kinds) if kinds else None
    return TicketDetail(row, bool(kinds), reply)


@dataclass(slots=True)
class CustomerPanel:
    """An author's previous mentions and tickets across sources, with sentiment over time.

    >>> from monitoring.store import Store
    >>> panel = customer_panel(Store(), "@nobody")
    >>> panel.mentions.empty, panel.tickets.empty, panel.sentiment.empty
    (True, True, True)
    """

    author: str
    mentions: pd.DataFrame
    tickets: pd.DataFrame
    sentiment: pd.DataFrame = field(default_factory=pd.DataFrame)


def customer_panel(store: Store, author: str, limit: int = 100) -> CustomerPanel:
    """What this customer said before (any source, masked) and their tickets.

    ``sentiment`` has one row per day: ``day``, ``mean_sentiment``, ``mentions``.
    """
    handle = (author or "").strip().lstrip("@").lower()
    cur = store.reader()
    mentions = _masked(cur.execute(SQL_AUTHOR_MENTIONS, [handle, int(limit)]).df())
    tickets = cur.execute(SQL_AUTHOR_TICKETS, [handle, int(limit)]).df()
    if mentions.empty:
        series = pd.DataFrame(columns=["day", "mean_sentiment", "mentions"])
    else:
        days = pd.to_datetime(mentions["ts"]).dt.floor("D")
        series = (mentions.assign(day=days).groupby("day")
                  .agg(mean_sentiment=("sentiment", "mean"), mentions=("ts", "size"))
                  .reset_index())
    return CustomerPanel(author, mentions, tickets, series)


# ----------------------------------------------------------------------------- actions
def _state(cur: duckdb.DuckDBPyConnection, ticket_id: int) -> str:
    row = cur.execute(SQL_TICKET_STATE, [ticket_id]).fetchone()
    if row is None:
        raise TicketError(f"ticket {ticket_id} does not exist")
    return str(row[0])


def _bounded(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


#: action -> (states it may start from, what the refusal says it cannot be)
TICKET_ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({"open", "responded"}), "assigned"),
    "respond": (frozenset({"open"}), "marked responded"),
    "resolve": (frozenset({"open", "responded"}), "resolved"),
}


def _act(store: Store, user: User, ticket_id: int, action: str, sql: str,
         params: list[Any], detail: dict[str, Any], now: datetime) -> str:
    """Check role and state, update the ticket and audit it in one transaction."""
    require(user, "operator")
    allowed, verb = TICKET_ACTIONS[action]
    with store.transaction() as cur:
        state = _state(cur, int(ticket_id))
        if state not in allowed:
            raise TicketError(f"ticket {ticket_id} is {state}: it cannot be {verb}")
        cur.execute(sql, [*params, int(ticket_id)])
        store.audit(cur, user.username, f"ticket.{action}", "ticket", ticket_id, detail, now)
    return state


def assign_ticket(store: Store, user: User, ticket_id: int, assignee: str, *,
                  now: datetime) -> str:
    """Give the ticket to a person (empty name: unassign); returns the ticket state."""
    name = _bounded(assignee, MAX_NAME_CHARS) or None
    return _act(store, user, ticket_id, "assign", SQL_ASSIGN, [name, naive_utc(now)],
                {"assignee": name}, now)


def mark_responded(store: Store, user: User, ticket_id: int, *, now: datetime,
                   note: str | None = None) -> str:
    """The customer got a first response (stops the first-response timer)."""
    t = naive_utc(now)
    _act(store, user, ticket_id, "respond", SQL_RESPOND, [t, t],
         {"note": _bounded(note, MAX_NOTE_CHARS) or None}, now)
    return "responded"


def resolve_ticket(store: Store, user: User, ticket_id: int, *, now: datetime,
                   note: str | None = None) -> str:
    """The request is handled (stops both timers)."""
    t, reason = naive_utc(now), _bounded(note, MAX_NOTE_CHARS) or None
    _act(store, user, ticket_id, "resolve", SQL_RESOLVE, [t, t, reason, t], {"note": reason},
         now)
    return "resolved"


def correct_ticket(store: Store, user: User, ticket_id: int, field_name: str, value: str, *,
                   now: datetime, due: TicketDue | None = None) -> int:
    """Correct the category, sentiment or department of a ticket's post; returns the label id.

    The correction is recorded as a label (:func:`monitoring.labels.record_label`, with
    its own audit row).  A department correction also moves the ticket to that queue,
    with due times recomputed from ``due`` (the department's SLA targets), audited as
    ``ticket.move``.
    """
    require(user, "operator")
    row = store.reader().execute(SQL_TICKET, [int(ticket_id)]).fetchone()
    if row is None:
        raise TicketError(f"ticket {ticket_id} does not exist")
    source, source_id, created_at = row[1], row[2], row[9]
    if field_name == "department" and due is not None and value not in due.targets:
        raise TicketError(f"unknown department {value!r} ({', '.join(sorted(due.targets))})")
    label_id = record_label(store, source, source_id, field_name, value, user.username, now)
    if field_name == "department":
        first, resolve = (due.due(created_at, value) if due is not None else (row[10], row[11]))
        with store.transaction() as cur:
            cur.execute(SQL_SET_DEPARTMENT, [value, naive_utc(first), naive_utc(resolve),
                                             naive_utc(now), int(ticket_id)])
            store.audit(cur, user.username, "ticket.move", "ticket", ticket_id,
                        {"department": value, "label_id": label_id}, now)
    return label_id


def format_left(seconds: float | None, duration: Any) -> str:
    """A timer for display: ``duration`` formats a :class:`~datetime.timedelta`.

    >>> format_left(-120, lambda d: f"{d.total_seconds():.0f}s")
    '-120s'
    >>> format_left(None, str)
    '—'
    """
    if seconds is None or pd.isna(seconds):
        return "—"
    text = duration(timedelta(seconds=abs(float(seconds))))
    return f"-{text}" if seconds < 0 else text
