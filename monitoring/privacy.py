"""Personal data kept only as long as allowed: retention and erasure of one author.

* :func:`apply_retention` erases the text, raw payload, URL, reply reference and author of
  mentions older than ``privacy.retention_days``, the author of their tickets and the
  rejected payloads of the quarantine of that age.  The rows themselves stay (their keys
  keep a re-delivered old post from being counted twice) and so do the per-minute
  aggregates (``bins``, ``bin_band``) that the charts and the timeline need.
* :func:`forget_author` erases everything about one author on request (a GDPR erasure):
  their mentions' personal content across every source, their tickets' author, the text of
  labels made on their posts, their posts quoted in notification payloads and quarantined
  items naming them.  The audit log records the erasure with a hash of the handle, never
  the handle itself.

Both run in one transaction each: an erasure is complete or not done at all.

Examples
--------
>>> from datetime import datetime
>>> from monitoring.auth import User
>>> from monitoring.store import Store
>>> store = Store(":memory:")
>>> _ = store.reader().execute(
...     "INSERT INTO mentions (source, source_id, stream, ts, author, text, batch_id, "
...     "ingested_at) VALUES ('x', '1', 's', '2026-01-01', '@Mario_R', 'my IBAN is ...', 0, "
...     "'2026-01-01')")
>>> report = forget_author(store, User("root", "admin"), "mario_r", now=datetime(2026, 3, 1))
>>> report.mentions, store.reader().execute("SELECT author, text FROM mentions").fetchall()
(1, [('[erased]', None)])
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from monitoring.auth import User, require
from monitoring.store import Store, naive_utc

__all__ = ["ERASED", "ForgetReport", "RetentionReport", "apply_retention", "forget_author"]

#: What an erased author becomes.
ERASED = "[erased]"

# -- retention ---------------------------------------------------------------------
SQL_RETAIN_TICKETS = """
UPDATE tickets SET author = ? WHERE created_at < ? AND author IS DISTINCT FROM ?
"""
SQL_RETAIN_MENTIONS = """
UPDATE mentions SET text = NULL, raw = NULL, url = NULL, reply_to = NULL, author = ?
WHERE ts < ? AND (text IS NOT NULL OR raw IS NOT NULL OR author <> ?)
"""
SQL_RETAIN_QUARANTINE = "DELETE FROM quarantine WHERE received_at < ?"

# -- erasure of one author -----------------------------------------------------------
#: An author's posts: handles compared without a leading '@' and case-insensitively.
_AUTHOR_MATCH = "lower(ltrim(author, '@')) = ?"
SQL_FORGET_LABELS = f"""
UPDATE labels SET text = NULL
WHERE text IS NOT NULL AND (source, source_id) IN (
    SELECT source, source_id FROM mentions WHERE {_AUTHOR_MATCH})
"""
SQL_FORGET_TICKETS = f"UPDATE tickets SET author = ? WHERE {_AUTHOR_MATCH}"
SQL_FORGET_MENTIONS = f"""
UPDATE mentions SET text = NULL, raw = NULL, url = NULL, reply_to = NULL, author = ?
WHERE {_AUTHOR_MATCH}
"""
SQL_FORGET_QUARANTINE = "DELETE FROM quarantine WHERE regexp_matches(payload, ?)"
SQL_OUTBOX_NAMING = "SELECT id, payload FROM outbox WHERE contains(lower(payload), ?)"
SQL_SET_OUTBOX_PAYLOAD = "UPDATE outbox SET payload = ? WHERE id = ?"

#: Shortest handle an erasure accepts (shorter ones would match unrelated text).
MIN_HANDLE_CHARS = 3


@dataclass(slots=True)
class RetentionReport:
    """Rows whose personal data :func:`apply_retention` erased."""

    cutoff: datetime
    mentions: int
    tickets: int
    quarantined: int


@dataclass(slots=True)
class ForgetReport:
    """Rows :func:`forget_author` changed, per table."""

    author_sha256: str
    mentions: int
    tickets: int
    labels: int
    notifications: int
    quarantined: int


def _count(cur, sql: str, params: list) -> int:
    rows = cur.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0


def apply_retention(store: Store, retention_days: int, *, now: datetime,
                    user: User | None = None) -> RetentionReport:
    """Erase the personal data of everything older than ``retention_days``.

    Runs as the monitor's daily job (``user`` None = the monitor itself) or by an admin.
    """
    if user is not None:
        require(user, "admin")
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = naive_utc(now) - timedelta(days=retention_days)
    with store.transaction() as cur:
        tickets = _count(cur, SQL_RETAIN_TICKETS, [ERASED, cutoff, ERASED])
        mentions = _count(cur, SQL_RETAIN_MENTIONS, [ERASED, cutoff, ERASED])
        quarantined = _count(cur, SQL_RETAIN_QUARANTINE, [cutoff])
        report = RetentionReport(cutoff, mentions, tickets, quarantined)
        if mentions or tickets or quarantined:
            store.audit(cur, user.username if user else "system", "privacy.retention", None,
                        None, asdict(report), now)
    return report


def _handle(author: str) -> str:
    handle = author.strip().lstrip("@").lower()
    if len(handle) < MIN_HANDLE_CHARS:
        raise ValueError(f"author {author!r} is too short to erase safely "
                         f"(at least {MIN_HANDLE_CHARS} characters without '@')")
    return handle


def _scrub_payload(payload: str, handle: str) -> str | None:
    """The outbox payload without the author's quoted posts (None if unchanged)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    samples = (data.get("alert") or {}).get("samples")
    if not isinstance(samples, list):
        return None
    kept = [s for s in samples
            if str(s.get("author", "")).lstrip("@").lower() != handle]
    if len(kept) == len(samples):
        return None
    data["alert"]["samples"] = kept
    return json.dumps(data, ensure_ascii=False)


def forget_author(store: Store, user: User, author: str, *, now: datetime) -> ForgetReport:
    """Erase everything about ``author`` (admin only; audited with a hash of the handle)."""
    require(user, "admin")
    handle = _handle(author)
    digest = hashlib.sha256(handle.encode("utf-8")).hexdigest()
    pattern = rf"(?i)(^|[^\w]){re.escape(handle)}([^\w]|$)"
    with store.transaction() as cur:
        labels = _count(cur, SQL_FORGET_LABELS, [handle])
        tickets = _count(cur, SQL_FORGET_TICKETS, [ERASED, handle])
        notifications = 0
        for row_id, payload in cur.execute(SQL_OUTBOX_NAMING, [handle]).fetchall():
            scrubbed = _scrub_payload(payload, handle)
            if scrubbed is not None:
                cur.execute(SQL_SET_OUTBOX_PAYLOAD, [scrubbed, row_id])
                notifications += 1
        quarantined = _count(cur, SQL_FORGET_QUARANTINE, [pattern])
        mentions = _count(cur, SQL_FORGET_MENTIONS, [ERASED, handle])
        report = ForgetReport(digest, mentions, tickets, labels, notifications, quarantined)
        store.audit(cur, user.username, "privacy.forget", "author", digest[:16], asdict(report),
                    now)
    return report
