"""SIGKILL ``python -m monitoring replay`` (ingest + detection) at random moments, then finish.

Whatever the moment of the kill, the final database must hold every mention once, a
rollup equal to a recount from the mentions, the cursor at the end of the file, and the
same alerts as an uninterrupted replay (never two open alerts of one stream and kind).
The outbox delivery job is not part of this check: ``monitoring/notify/outbox.py`` does
not exist yet on this branch.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitoring.store import Store
from tests.faults.feeds import write_replay_file

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


def _replay_cmd(src: Path, db: Path, batch: int) -> list[str]:
    return [sys.executable, "-m", "monitoring", "replay", str(src), "--db", str(db),
            "--stream", "lumea", "--batch", str(batch)]


def _kill_and_finish(cmd: list[str], kills: int, seed: int, window: tuple[float, float]) -> int:
    """Start ``cmd``, SIGKILL it after a random delay ``kills`` times, then run it to the end."""
    rng = random.Random(seed)
    killed = 0
    for _ in range(kills):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(*window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    subprocess.run(cmd, check=True, timeout=600, capture_output=True)
    return killed


def _check_exact(db: Path, rows: int) -> list[tuple]:
    store = Store(db)
    try:
        q = store.reader()
        assert q.execute("SELECT count(*), count(DISTINCT source_id) FROM mentions"
                         ).fetchall()[0] == (rows, rows)
        assert q.execute(SQL_ROLLUP_DIFF).fetchall()[0][0] == 0
        assert store.get_cursor("replay") == str(rows)
        assert q.execute(SQL_OPEN_PER_KIND).fetchall()[0][0] <= 1
        for alert_id, opens, closes, still_open in q.execute(SQL_EVENTS_PER_ALERT).fetchall():
            assert (opens, closes) == (1, 0 if still_open else 1), alert_id
        return q.execute(SQL_ALERT_KEYS).fetchall()
    finally:
        store.close()


def _run(tmp_path: Path, rows: int, kills: int, batch: int, window: tuple[float, float]) -> None:
    src = tmp_path / "feed.jsonl"
    assert write_replay_file(src, rows) == rows
    reference_db, killed_db = tmp_path / "reference.duckdb", tmp_path / "killed.duckdb"
    subprocess.run(_replay_cmd(src, reference_db, batch), check=True, timeout=600,
                   capture_output=True)
    reference = _check_exact(reference_db, rows)
    assert reference, "the feed should make detection open alerts"
    killed = _kill_and_finish(_replay_cmd(src, killed_db, batch), kills, seed=rows,
                              window=window)
    assert killed >= kills // 2
    assert _check_exact(killed_db, rows) == reference


def test_sigkill_during_replay_with_detection_is_exact(tmp_path):
    _run(tmp_path, rows=6_000, kills=5, batch=500, window=(2.0, 5.0))


@pytest.mark.long
def test_20_sigkills_during_50k_replay_with_detection_is_exact(tmp_path):
    _run(tmp_path, rows=50_000, kills=20, batch=1_000, window=(2.0, 9.0))
