"""Corrections from the team: an operator's category, sentiment or department for a mention.

Labels are kept with who and when (``labels`` table, plus an audit row in the same
transaction); ``python -m monitoring train`` learns from them.  The mention itself is
updated too, so the queues show the corrected value at once.
"""

from __future__ import annotations

from datetime import datetime

from monitoring.store import Store, naive_utc

#: Fields an operator may correct, with the values each accepts (None = any non-empty).
FIELDS: dict[str, frozenset[str] | None] = {
    "category": frozenset({"request", "polemic", "praise", "other"}),
    "sentiment": frozenset({"negative", "neutral", "positive"}),
    "department": None,
}
_MENTION_COLUMN = {"category": "category", "sentiment": "sentiment_label",
                   "department": "department"}

SQL_MENTION_TEXT_FOR_LABEL = "SELECT text FROM mentions WHERE source = ? AND source_id = ?"
SQL_INSERT_LABEL = """
INSERT INTO labels (source, source_id, text, field, value, actor, created_at, origin)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
"""
SQL_UPDATE_MENTION_LABEL = {
    field: f"UPDATE mentions SET {column} = ? WHERE source = ? AND source_id = ?"
    for field, column in _MENTION_COLUMN.items()
}


class LabelError(ValueError):
    """A label that cannot be recorded (unknown field, bad value, unknown mention)."""


def record_label(store: Store, source: str, source_id: str, field: str, value: str,
                 actor: str, now: datetime, origin: str = "operator") -> int:
    """Record one correction and apply it to the mention; returns the label id.

    >>> from monitoring.store import Store
    >>> record_label(Store(), "x", "1", "mood", "sad", "anna", datetime(2026, 1, 1))
    Traceback (most recent call last):
    ...
    monitoring.labels.LabelError: cannot label field 'mood' (category, sentiment, department)
    """
    allowed = FIELDS.get(field, ())
    if allowed == ():
        raise LabelError(f"cannot label field {field!r} ({', '.join(FIELDS)})")
    value = (value or "").strip()
    if not value or (allowed is not None and value not in allowed):
        raise LabelError(f"{field} cannot be {value!r}"
                         + (f" ({', '.join(sorted(allowed))})" if allowed else ""))
    with store.transaction() as cur:
        row = cur.execute(SQL_MENTION_TEXT_FOR_LABEL, [source, source_id]).fetchone()
        if row is None:
            raise LabelError(f"no mention {source}/{source_id}")
        label_id = cur.execute(SQL_INSERT_LABEL, [source, source_id, row[0], field, value, actor,
                                                  naive_utc(now), origin]).fetchone()[0]
        cur.execute(SQL_UPDATE_MENTION_LABEL[field], [value, source, source_id])
        store.audit(cur, actor, f"label.{field}", "mention", f"{source}/{source_id}",
                    {"value": value, "origin": origin}, now)
    return int(label_id)
