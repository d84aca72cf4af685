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

ROWS = 4_000
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
    write_replay_file(feed, ROWS, days=1.0)
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


def _disk_full_after(limit: int):
    def apply() -> None:  # runs in the child before exec
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return apply


@pytest.mark.long
def test_replay_command_stops_clearly_on_a_full_disk_and_resumes(tmp_path, reference):
    feed, alerts = reference
    db = tmp_path / "replay.duckdb"
    cmd = [sys.executable, "-m", "monitoring", "replay", str(feed), "--db", str(db),
           "--name", "feed", "--stream", "lumea", "--batch", "400"]
    full = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=False,
                          preexec_fn=_disk_full_after(1_500_000))
    assert full.returncode == 2, full.stderr[-2000:]
    assert "refused a write" in full.stderr and "Traceback" not in full.stderr
    store = Store(db)
    saved = int(store.get_cursor("feed") or 0)
    assert saved < ROWS and store.count_mentions() == saved
    store.close()
    subprocess.run(cmd, capture_output=True, timeout=240, check=True)
    assert check_exact(db, ROWS, source="feed") == alerts
