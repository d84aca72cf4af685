"""The audit log: who did what, when, to which alert, ticket, user or setting.

Rows are appended by the action functions in the transaction of the change they record
(:meth:`monitoring.store.Store.audit`); nothing in the product updates or deletes them.
This module reads them back, filtered, and exports them as CSV for a report — with
cells that a spreadsheet would run as a formula neutralised.

Examples
--------
>>> from datetime import datetime
>>> from monitoring.store import Store
>>> store = Store(":memory:")
>>> with store.transaction() as cur:
...     store.audit(cur, "anna", "alert.acknowledge", "alert", 7, {"note": "=1+1"},
...                 datetime(2026, 3, 2, 10, 3))
>>> audit_rows(store)[["actor", "action", "target_id"]].values.tolist()
[['anna', 'alert.acknowledge', '7']]
>>> print(audit_csv(audit_rows(store)).splitlines()[1])
1,2026-03-02 10:03:00,anna,alert.acknowledge,alert,7,"{""note"": ""=1+1""}"
>>> _cell("=HYPERLINK(1)")
"'=HYPERLINK(1)"
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pandas as pd

from monitoring.store import Store, naive_utc

__all__ = ["audit_csv", "audit_rows"]

SQL_AUDIT_ROWS = """
SELECT id, ts, actor, action, target_type, target_id, detail FROM audit_log
WHERE ts >= ? AND ts < ?
  AND (CAST(? AS VARCHAR) IS NULL OR actor = ?)
  AND (CAST(? AS VARCHAR) IS NULL OR target_type = ?)
  AND (CAST(? AS VARCHAR) IS NULL OR target_id = ?)
ORDER BY id
LIMIT ?
"""
#: Characters that make a spreadsheet cell a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def audit_rows(store: Store, *, since: datetime | None = None, until: datetime | None = None,
               actor: str | None = None, target_type: str | None = None,
               target_id: str | int | None = None, limit: int = 10_000) -> pd.DataFrame:
    """Audit rows in ``[since, until)``, optionally of one actor and/or one target."""
    lo = naive_utc(since) if since else datetime(1970, 1, 1)
    hi = naive_utc(until) if until else datetime(9999, 1, 1)
    tid = None if target_id is None else str(target_id)
    return store.reader().execute(SQL_AUDIT_ROWS, [
        lo, hi, actor, actor, target_type, target_type, tid, tid, int(limit)]).df()


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def audit_csv(rows: pd.DataFrame) -> str:
    """CSV text of :func:`audit_rows` (formula-like cells prefixed with ``'``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows.columns))
    for record in rows.itertuples(index=False):
        writer.writerow([_cell(v) for v in record])
    return out.getvalue()
