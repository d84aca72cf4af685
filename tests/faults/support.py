"""Generated input files and exactness checks shared by the fault-injection suite."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitoring.sources.demo import DemoScenario
from monitoring.store import Store

#: The demo's scripted events start at this moment (after ``days`` of clean history).
ANCHOR = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def write_replay_file(path: Path, n: int, days: float = 9.0, seed: int = 5) -> int:
    """Write the first ``n`` demo mentions from ``ANCHOR - days`` on as JSONL; rows written.

    The demo's outage and polemic (every six hours from ``ANCHOR``) make detection open
    and close alerts during the replay.
    """
    scenario = DemoScenario(stream="lumea", seed=seed, anchor=ANCHOR, cycle_hours=6)
    t, rows = ANCHOR - timedelta(days=days), 0
    with path.open("w", encoding="utf-8") as fh:
        while rows < n:
            for m in scenario.generate(t, t + timedelta(hours=6)):
                if rows == n:
                    break
                fh.write(json.dumps({"id": m.source_id, "ts": m.ts.isoformat(),
                                     "author": m.author, "text": m.text,
                                     "author_reach": m.author_reach, "lang": m.lang_hint},
                                    ensure_ascii=False) + "\n")
                rows += 1
            t += timedelta(hours=6)
    return rows


SQL_ROLLUP_DIFF = """
WITH recount AS (
    SELECT stream, date_trunc('minute', ts) AS bin_start, category, count(*) AS n,
           count(*) FILTER (WHERE sentiment_label = 'negative') AS n_negative,
           count(*) FILTER (WHERE sentiment_label = 'positive') AS n_positive,
           sum(author_reach) AS reach
    FROM mentions GROUP BY ALL)
SELECT count(*) FROM (
    (SELECT stream, bin_start, category, n, n_negative, n_positive, reach FROM bins
     EXCEPT ALL SELECT * FROM recount)
    UNION ALL
    (SELECT * FROM recount
     EXCEPT ALL SELECT stream, bin_start, category, n, n_negative, n_positive, reach FROM bins))
"""
SQL_OPEN_PER_KIND = """
SELECT coalesce(max(c), 0) FROM (
    SELECT count(*) AS c FROM alerts WHERE closed_at IS NULL GROUP BY stream, kind)
"""
SQL_ALERT_KEYS = "SELECT stream, kind, first_bin, closed_at IS NULL FROM alerts ORDER BY ALL"
SQL_EVENTS_PER_ALERT = """
SELECT a.id, count(*) FILTER (WHERE e.event = 'open'), count(*) FILTER (WHERE e.event = 'close'),
       a.closed_at IS NULL
FROM alerts a LEFT JOIN alert_events e ON e.alert_id = a.id GROUP BY a.id, a.closed_at
"""


def check_exact(db: Path, rows: int, source: str = "replay") -> list[tuple]:
    """Assert every row stored once, rollup = recount, cursor at the end, alerts coherent.

    Returns the alerts as ``(stream, kind, first_bin, open)`` rows for comparison.
    """
    store = Store(db)
    try:
        q = store.reader()
        assert q.execute("SELECT count(*), count(DISTINCT source_id) FROM mentions"
                         ).fetchall()[0] == (rows, rows)
        assert q.execute(SQL_ROLLUP_DIFF).fetchall()[0][0] == 0
        assert store.get_cursor(source) == str(rows)
        assert q.execute(SQL_OPEN_PER_KIND).fetchall()[0][0] <= 1
        for alert_id, opens, closes, still_open in q.execute(SQL_EVENTS_PER_ALERT).fetchall():
            assert (opens, closes) == (1, 0 if still_open else 1), alert_id
        return q.execute(SQL_ALERT_KEYS).fetchall()
    finally:
        store.close()
