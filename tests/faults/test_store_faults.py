"""The database refuses writes (read-only file, full disk): the monitor pauses writing
without advancing cursors or detector marks, shows it in ``Monitor.status()``, and resumes
when the condition clears, with nothing lost or duplicated (same result as no fault)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.store import Store
from tests.faults.support import check_exact, write_replay_file

ROWS = 2_400
SQL_RESUMED = "SELECT detail FROM audit_log WHERE action = 'store_resumed'"


def _child(mode: str, feed: Path, db: Path) -> list[dict]:
    db.parent.mkdir()
    try:
        out = subprocess.run([sys.executable, "-m", "tests.faults.store_child", mode, str(feed),
                              str(db)], check=False, capture_output=True, text=True,
                             timeout=240)
    finally:
        subprocess.run(["chattr", "-R", "-i", str(db.parent)], check=False, capture_output=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return [json.loads(line) for line in out.stdout.splitlines()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, list[tuple]]:
    tmp = tmp_path_factory.mktemp("store_reference")
    feed = tmp / "feed.jsonl"
    write_replay_file(feed, ROWS, days=0.25)
    steps = _child("none", feed, tmp / "db" / "ref.duckdb")
    assert not any(s["paused"] for s in steps)
    alerts = check_exact(tmp / "db" / "ref.duckdb", ROWS, source="feed")
    assert alerts, "the feed should make detection open alerts"
    return feed, alerts


@pytest.mark.parametrize("mode, error", [
    ("readonly", "Operation not permitted"),
    ("full", "File too large"),
])
def test_store_refusing_writes_pauses_then_resumes_exactly(tmp_path, reference, mode, error):
    feed, alerts = reference
    db = tmp_path / "db" / f"{mode}.duckdb"
    steps = _child(mode, feed, db)
    before, faults, after = steps[1], steps[2:4], steps[4]
    assert before["cursor"] == "800" and not before["paused"]
    for s in faults:
        assert s["inserted"] is None and s["paused"] and error in s["error"]
        assert s["cursor"] == before["cursor"] and s["mark"] == before["mark"]
    assert faults[-1]["failures"] > faults[0]["failures"] >= 1
    assert after["inserted"] == 400 and not after["paused"] and after["cursor"] == "1200"
    assert steps[-1] == {"step": "done", "paused": False}
    assert check_exact(db, ROWS, source="feed") == alerts
    store = Store(db)
    try:
        (detail,), = store.reader().execute(SQL_RESUMED).fetchall()
        assert error in json.loads(detail)["error"]
    finally:
        store.close()
