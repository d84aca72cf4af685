"""Mentions and tickets for the inbox, timeline and settings tests (real DuckDB ingest)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from monitoring.config import load_settings
from monitoring.sla import TicketDue
from monitoring.store import Store, naive_utc

DEFAULTS: dict[str, Any] = {
    "source": "x", "stream": "lumea", "author": "@bob", "author_reach": 100, "url": None,
    "lang_hint": None, "reply_to": None, "raw": None, "lang": "it", "sentiment": -0.5,
    "sentiment_label": "negative", "category": "request", "department": "billing",
    "pii_kinds": [], "priority": 50.0, "priority_reasons": [],
}


def seed(store: Store, rows: Iterable[Mapping[str, Any]], now: datetime,
         due: TicketDue | None = None) -> None:
    """Ingest mentions (``source_id``, ``ts``, ``text`` required); requests open tickets."""
    records = []
    for i, row in enumerate(rows):
        rec = dict(DEFAULTS, **row)
        rec["source_id"] = str(rec.get("source_id", i))
        rec["ts"] = naive_utc(rec["ts"])
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    frame["ts"] = pd.to_datetime(frame["ts"])
    due = due or TicketDue.from_settings(load_settings())
    frame = due.add_columns(frame)
    for source, part in frame.groupby("source"):
        store.ingest(str(source), part.reset_index(drop=True), cursor="c", now=now)
