"""The wall's data: one named, parameterised, time-bounded query per panel.

:func:`wall_snapshot` is everything the wall page reads on a refresh, in one
:class:`WallSnapshot` (plain data: it pickles, so ``st.cache_data`` can share it across
sessions).  Each panel has its own function and its own SQL constant; those queries are
the only ones the wall issues (:data:`WALL_QUERIES` lists them for the benchmark), and the
heavier ones run concurrently:

* volume per bin of one stream with the detector's expected band — from the per-minute
  rollup ``bins`` joined to ``bin_band``, never from raw mentions;
* one query on ``alerts`` for three panels: the stream's alert markers in the window,
  every open alert (cards, takeover), and the emerging terms — the top terms the detect
  job recorded on the stream's alerts of the window, weighted by severity;
* requests waiting and SLA breaches per department (``tickets``, last ``TICKET_DAYS``);
* the latest high-priority mentions (a ``LIMIT`` query on an indexed time range), with
  personal data masked and text bounded;
* source freshness and failed notifications.

Examples
--------
>>> from datetime import datetime, timezone
>>> from monitoring.config import load_settings
>>> from monitoring.store import Store
>>> snap = wall_snapshot(Store(":memory:"), load_settings(), "lumea",
...                      datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc))
>>> snap.crisis, len(snap.volume), snap.rate
(False, 0, 0.0)
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from monitoring.enrich.pii import mask_pii
from monitoring.escalation import SQL_DELIVERY_PROBLEMS
from monitoring.sources.health import Freshness, freshness
from monitoring.store import SQL_SOURCE_STATUS, naive_utc

if TYPE_CHECKING:
    from monitoring.config import Settings
    from monitoring.store import Store

__all__ = [
    "WALL_QUERIES",
    "WallSnapshot",
    "alert_panels",
    "department_queues",
    "failed_notifications",
    "priority_mentions",
    "source_freshness",
    "volume_series",
    "wall_snapshot",
]

#: Hours of history on the wall's charts.
WINDOW_HOURS = 6
#: Bins averaged for the headline rate and negative share.
RECENT_BINS = 15
#: Days of tickets counted in the queues (older open tickets are the inbox's business).
TICKET_DAYS = 14
#: Characters of a mention shown on the wall.
WALL_TEXT_CHARS = 220
#: Rows of the panels with a list.
MENTIONS_SHOWN = 6
ALERTS_SHOWN = 6
TERMS_SHOWN = 12
FAILED_SHOWN = 5

SQL_WALL_VOLUME = """
SELECT b.bin_start, b.n, b.n_negative, b.n_request, b.n_polemic,
       band.expected, band.low, band.high
FROM (
    SELECT bin_start, sum(n) AS n, sum(n_negative) AS n_negative,
           coalesce(sum(n) FILTER (WHERE category = 'request'), 0) AS n_request,
           coalesce(sum(n) FILTER (WHERE category = 'polemic'), 0) AS n_polemic
    FROM bins WHERE stream = ? AND bin_start >= ? AND bin_start < ?
    GROUP BY bin_start
) b
LEFT JOIN (
    SELECT bin_start, expected, low, high FROM bin_band
    WHERE stream = ? AND bin_start >= ? AND bin_start < ?
) band ON band.bin_start = b.bin_start
ORDER BY b.bin_start
"""
SQL_WALL_ALERTS = """
SELECT id, stream, kind, state, severity, opened_at, first_bin, last_bin, observed, expected,
       explanation, closed_at IS NULL AS is_open
FROM alerts
WHERE (stream = ? AND last_bin >= ? AND first_bin < ?)
   OR (closed_at IS NULL AND opened_at >= ?)
"""
SQL_WALL_QUEUES = """
SELECT department,
       count(*) AS waiting,
       count(*) FILTER (WHERE first_response_at IS NULL AND first_response_due < ?)
           AS first_response_breached,
       count(*) FILTER (WHERE resolution_due < ?) AS resolution_breached,
       count(*) FILTER (WHERE (first_response_at IS NULL AND first_response_due < ?)
                           OR resolution_due < ?) AS breached
FROM tickets
WHERE created_at >= ? AND resolved_at IS NULL AND state NOT IN ('resolved', 'closed')
GROUP BY department
ORDER BY breached DESC, waiting DESC, department
"""
SQL_WALL_MENTIONS = """
SELECT ts, source, author, text, sentiment_label, category, priority
FROM mentions WHERE stream = ? AND ts >= ? AND ts < ?
ORDER BY priority DESC, ts DESC LIMIT ?
"""

#: Every query the wall issues on a refresh (what the performance benchmark times).
WALL_QUERIES: dict[str, str] = {
    "volume": SQL_WALL_VOLUME,
    "alerts": SQL_WALL_ALERTS,
    "queues": SQL_WALL_QUEUES,
    "mentions": SQL_WALL_MENTIONS,
    "freshness": SQL_SOURCE_STATUS,
    "failed_notifications": SQL_DELIVERY_PROBLEMS,
}


@dataclass(frozen=True)
class WallSnapshot:
    """Everything one wall refresh shows, for one stream at one moment.

    Parameters
    ----------
    stream : str
        The stream of the charts, markers, terms and mentions.
    now, start : datetime
        The moment (naive UTC) and the start of the charts' window.
    volume : pd.DataFrame
        ``bin_start, n, n_negative, n_request, n_polemic, expected, low, high`` per bin.
    markers : pd.DataFrame
        The stream's alerts overlapping the window (``id, kind, state, severity,
        first_bin, last_bin, observed``).
    alerts : pd.DataFrame
        Open alerts of every stream, most severe first, with ``top_terms`` (a list).
    queues : pd.DataFrame
        ``department, waiting, first_response_breached, resolution_breached, breached``
        (``breached``: tickets past either target).
    terms : list[tuple[str, float]]
        Emerging terms with their weight.
    mentions : pd.DataFrame
        Latest high-priority mentions, ``text`` masked and bounded.
    sources : list[Freshness]
        One entry per source.
    failed : pd.DataFrame
        Notifications that could not be delivered.
    critical_severity : int
        Severity from which an open alert takes the wall over.

    Examples
    --------
    >>> snap = WallSnapshot("s", datetime(2026, 1, 1), datetime(2026, 1, 1),
    ...                     alerts=pd.DataFrame({"severity": [9]}))
    >>> snap.crisis
    True
    """

    stream: str
    now: datetime
    start: datetime
    volume: pd.DataFrame = field(default_factory=pd.DataFrame)
    markers: pd.DataFrame = field(default_factory=pd.DataFrame)
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    queues: pd.DataFrame = field(default_factory=pd.DataFrame)
    terms: list[tuple[str, float]] = field(default_factory=list)
    mentions: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: list[Freshness] = field(default_factory=list)
    failed: pd.DataFrame = field(default_factory=pd.DataFrame)
    critical_severity: int = 8

    @property
    def crisis(self) -> bool:
        """Whether a critical alert is open (the wall switches to its takeover state)."""
        return bool(len(self.alerts)) and int(self.alerts["severity"].max()) >= \
            self.critical_severity

    @property
    def rate(self) -> float:
        """Mentions per minute over the last ``RECENT_BINS`` closed minutes."""
        return _recent_mean(self.volume, self.now, "n")

    @property
    def negative_share(self) -> float:
        """Share of negative mentions over the last ``RECENT_BINS`` closed minutes."""
        recent = _recent(self.volume, self.now)
        total = float(recent["n"].sum()) if len(recent) else 0.0
        return float(recent["n_negative"].sum()) / total if total else 0.0

    @property
    def expected_rate(self) -> float | None:
        """What the detector expected for the same bins (None before it has learnt)."""
        recent = _recent(self.volume, self.now)
        if not len(recent) or recent["expected"].isna().all():
            return None
        return float(recent["expected"].dropna().mean())


def _recent(volume: pd.DataFrame, now: datetime) -> pd.DataFrame:
    if not len(volume):
        return volume
    end = pd.Timestamp(now).floor("min")  # the bin still filling is left out
    start = end - pd.Timedelta(minutes=RECENT_BINS)
    return volume[(volume["bin_start"] >= start) & (volume["bin_start"] < end)]


def _recent_mean(volume: pd.DataFrame, now: datetime, column: str) -> float:
    recent = _recent(volume, now)
    return float(recent[column].sum()) / RECENT_BINS if len(recent) else 0.0


def _explanation(raw: object) -> dict:
    try:
        value = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------------- panels
def _small_frame(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    """A result of a few rows as a DataFrame.

    ``fetchall`` plus the DataFrame constructor costs a fraction of ``.df()``'s fixed
    conversion overhead for a handful of rows (``bench query`` shows the difference).
    """
    result = cur.execute(sql, params)
    return pd.DataFrame(result.fetchall(), columns=[d[0] for d in result.description])


def _records(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    """A result as one dict per row (column name -> value)."""
    result = cur.execute(sql, params)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def volume_series(cur: duckdb.DuckDBPyConnection, stream: str, start: datetime,
                  end: datetime) -> pd.DataFrame:
    """Mentions per bin with negatives, requests, polemic and the expected band."""
    return cur.execute(SQL_WALL_VOLUME, [stream, start, end, stream, start, end]).df()


_MARKER_COLUMNS = ["id", "kind", "state", "severity", "first_bin", "last_bin", "observed"]
_CARD_COLUMNS = ["id", "stream", "kind", "state", "severity", "opened_at", "first_bin",
                 "last_bin", "observed", "expected"]


def alert_panels(cur: duckdb.DuckDBPyConnection, stream: str, start: datetime,
                 end: datetime, since: datetime, limit: int = ALERTS_SHOWN,
                 k: int = TERMS_SHOWN
                 ) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, float]]]:
    """The three alert panels from one query on ``alerts``.

    Returns the stream's alerts overlapping ``[start, end)`` (chart markers, oldest
    first), the open alerts of every stream opened since ``since`` (cards, most severe
    first, with ``top_terms``), and the emerging terms: the terms of the stream's alerts
    in the window, each weighted by the alert's severity and its rank among that alert's
    top terms.

    >>> from monitoring.store import Store
    >>> cur = Store(":memory:").reader()
    >>> _ = cur.execute("INSERT INTO alerts (stream, kind, state, severity, score, opened_at, "
    ...     "first_bin, last_bin, updated_at, explanation) VALUES ('s', 'service_incident', "
    ...     "'open', 6, 5, '2026-01-01 10:00', '2026-01-01 10:00', '2026-01-01 10:05', "
    ...     "'2026-01-01 10:05', '{\\"top_terms\\": [\\"blackout\\", \\"milano\\"]}')")
    >>> markers, cards, terms = alert_panels(cur, "s", datetime(2026, 1, 1, 9),
    ...                                      datetime(2026, 1, 1, 11), datetime(2026, 1, 1))
    >>> markers["kind"].tolist(), cards["top_terms"].tolist(), terms
    (['service_incident'], [['blackout', 'milano']], [('blackout', 6.0), ('milano', 3.0)])
    """
    rows = _records(cur, SQL_WALL_ALERTS, [stream, start, end, since])
    explained = {r["id"]: _explanation(r["explanation"]) for r in rows}
    window = sorted((r for r in rows if r["stream"] == stream and r["last_bin"] >= start
                     and r["first_bin"] < end), key=lambda r: (r["first_bin"], r["id"]))
    cards = sorted((r for r in rows if r["is_open"] and r["opened_at"] >= since),
                   key=lambda r: (-r["severity"], r["opened_at"], r["id"]))[:limit]
    markers = pd.DataFrame([[r[c] for c in _MARKER_COLUMNS] for r in window],
                           columns=_MARKER_COLUMNS)
    alerts = pd.DataFrame([[r[c] for c in _CARD_COLUMNS] for r in cards],
                          columns=_CARD_COLUMNS)
    alerts["top_terms"] = [list(explained[r["id"]].get("top_terms") or [])[:5] for r in cards]
    weights: Counter[str] = Counter()
    for r in window:
        for rank, term in enumerate(list(explained[r["id"]].get("top_terms") or [])[:k]):
            weights[str(term)[:40]] += float(r["severity"]) / (rank + 1)
    terms = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return markers, alerts, terms


def department_queues(cur: duckdb.DuckDBPyConnection, now: datetime,
                      days: int = TICKET_DAYS) -> pd.DataFrame:
    """Requests waiting and SLA breaches per department (tickets of the last ``days``)."""
    return _small_frame(cur, SQL_WALL_QUEUES, [now, now, now, now, now - timedelta(days=days)])


def priority_mentions(cur: duckdb.DuckDBPyConnection, stream: str, start: datetime,
                      end: datetime, limit: int = MENTIONS_SHOWN,
                      max_chars: int = WALL_TEXT_CHARS) -> pd.DataFrame:
    """The highest-priority mentions of the window, personal data masked, text bounded."""
    frame = _small_frame(cur, SQL_WALL_MENTIONS, [stream, start, end, limit])
    frame["text"] = [mask_pii(str(t or "")[:4 * max_chars])[:max_chars] for t in frame["text"]]
    frame["author"] = [mask_pii(str(a or ""))[:40] for a in frame["author"]]
    return frame


def source_freshness(cur: duckdb.DuckDBPyConnection, settings: Settings,
                     now: datetime) -> list[Freshness]:
    """One freshness indicator per source (red when silent, failing or out of budget)."""
    return freshness(_records(cur, SQL_SOURCE_STATUS, []), now,
                     settings.app.silent_after_minutes, settings.sources)


def failed_notifications(cur: duckdb.DuckDBPyConnection,
                         limit: int = FAILED_SHOWN) -> pd.DataFrame:
    """Escalation notifications that could not be delivered (shown red)."""
    return _small_frame(cur, SQL_DELIVERY_PROBLEMS, [limit])


#: Threads that run the heavier panels on their own cursors.  DuckDB releases the GIL
#: while a query runs, so on a multi-core server a refresh takes about as long as its
#: slowest panel instead of the sum of all of them.
PANEL_THREADS = 3
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _panel_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(PANEL_THREADS, thread_name_prefix="wall-panel")
        return _executor


def wall_snapshot(store: Store, settings: Settings, stream: str,
                  now: datetime) -> WallSnapshot:
    """Run every panel's query for ``stream`` at ``now`` and return the wall's data.

    Volume, mentions and queues run concurrently in :data:`PANEL_THREADS` threads (each
    on its thread's cursor); the small alert, source and notification panels run meanwhile
    on the caller's cursor.
    """
    end = naive_utc(now)
    start = end - timedelta(hours=WINDOW_HOURS)
    pool = _panel_executor()
    volume = pool.submit(lambda: volume_series(store.reader(), stream, start, end))
    mentions = pool.submit(lambda: priority_mentions(store.reader(), stream, start, end))
    queues = pool.submit(lambda: department_queues(store.reader(), end))
    cur = store.reader()
    markers, alerts, terms = alert_panels(cur, stream, start, end,
                                          end - timedelta(days=TICKET_DAYS))
    sources = source_freshness(cur, settings, end)
    failed = failed_notifications(cur)
    return WallSnapshot(
        stream=stream, now=end, start=start,
        volume=volume.result(), markers=markers, alerts=alerts, queues=queues.result(),
        terms=terms, mentions=mentions.result(), sources=sources, failed=failed,
        critical_severity=settings.thresholds.critical_severity,
    )
