"""SIGTERM while a fast clock keeps the collect job catching up: the monitor stops after the
batch in progress instead of waiting for the catch-up to end, and loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from monitoring.config import DEFAULT_CONFIG
from monitoring.store import Store


def test_sigterm_stops_a_catching_up_monitor_promptly(tmp_path):
    cfg, db = tmp_path / "run.toml", tmp_path / "run.duckdb"
    cfg.write_text(DEFAULT_CONFIG.read_text().replace("backfill_days = 7", "backfill_days = 2"))
    proc = subprocess.Popen([sys.executable, "-m", "monitoring", "run", "--config", str(cfg),
                             "--db", str(db), "--speed", "3000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # "monitoring N source(s) …" once the handler is installed
            if line.startswith("monitoring "):
                break
        time.sleep(4)
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=120)
        stop_seconds = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-2000:]
    # One batch takes about a second; the whole catch-up (without the stop flag) took ~45 s.
    assert stop_seconds < 20, f"took {stop_seconds:.0f} s to stop"
    store = Store(db)
    try:
        cursor = json.loads(store.get_cursor("demo"))
        assert store.count_mentions() > 0 and cursor["until"]
        rolled = store.reader().execute("SELECT sum(n) FROM bins").fetchall()[0][0]
        assert rolled == store.count_mentions()
    finally:
        store.close()
