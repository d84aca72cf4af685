"""Child process of ``test_store_faults``: a Monitor ingesting and detecting while the
database refuses writes, then after the condition clears.

``python -m tests.faults.store_child MODE FEED DB``; MODE is ``none``, ``readonly``
(the database file, its WAL and its folder made immutable with ``chattr +i``) or ``full``
(``RLIMIT_FSIZE`` lowered: every file write past the current end fails with EFBIG, as on
a full disk).  One JSON line per step on stdout.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from monitoring.config import load_settings
from monitoring.models import utc
from monitoring.monitor import Clock, Monitor
from monitoring.sources.replay import ReplaySource
from monitoring.store import Store
from tests.faults.support import ANCHOR

SQL_LATEST = "SELECT max(ts) FROM mentions"


def _database_files(db: Path) -> list[str]:
    return [str(p) for p in (db, db.with_name(db.name + ".wal"), db.parent) if p.exists()]


def fault(mode: str, db: Path, on: bool) -> None:
    if mode == "readonly":
        subprocess.run(["chattr", "+i" if on else "-i", *_database_files(db)], check=True)
    elif mode == "full":
        wal = db.with_name(db.name + ".wal")
        end = wal.stat().st_size if wal.exists() else 0
        soft = end + 512 if on else resource.RLIM_INFINITY
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, resource.RLIM_INFINITY))


def main(mode: str, feed: str, db_path: str) -> int:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    db = Path(db_path)
    store = Store(db)
    monitor = Monitor(load_settings(), store, clock=Clock(start=ANCHOR))
    monitor.sources = {"feed": ReplaySource("feed", feed, "lumea", batch=400)}
    last_line = Path(feed).read_text(encoding="utf-8").splitlines()[-1]
    feed_end = datetime.fromisoformat(json.loads(last_line)["ts"])

    def step(label: str, *, detect: bool = True) -> None:
        monitor.clock.start = feed_end  # collecting: every row is in the past
        outcome = monitor.collect("feed")
        monitor.clock.start = utc(store.reader().execute(SQL_LATEST).fetchall()[0][0])
        if detect:
            monitor.detect()
        status = monitor.status()
        mark = store.last_detected_bin("lumea")
        print(json.dumps({
            "step": label, "inserted": outcome.inserted if outcome else None,
            "cursor": store.get_cursor("feed"), "paused": status.store_paused,
            "error": status.store_error, "failures": status.store_failures,
            "mark": mark.isoformat() if mark else None}), flush=True)

    step("before", detect=False)
    step("before", detect=False)
    fault(mode, db, True)
    try:
        step("fault")
        step("fault")
    finally:
        fault(mode, db, False)
    step("after")
    monitor.clock.start = feed_end
    monitor.catch_up("feed")
    monitor.detect()
    print(json.dumps({"step": "done", "paused": monitor.status().store_paused}), flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
