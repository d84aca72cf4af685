"""SIGKILL a headless ingest process several times; every mention must be stored exactly once."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from monitoring.config import DEFAULT_CONFIG
from monitoring.sources.demo import DemoScenario
from monitoring.store import Store


def _config(tmp_path: Path) -> Path:
    text = DEFAULT_CONFIG.read_text().replace("backfill_days = 7", "backfill_days = 1")
    p = tmp_path / "crash.toml"
    p.write_text(text)
    return p


def test_sigkill_mid_ingest_loses_and_duplicates_nothing(tmp_path):
    cfg, db = _config(tmp_path), tmp_path / "crash.duckdb"
    rng = random.Random(3)
    cmd = [sys.executable, "-m", "monitoring", "demo", "--config", str(cfg), "--db", str(db),
           "--minutes", "30", "--speed", "60"]
    for _ in range(4):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.5, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    subprocess.run(cmd[:-4] + ["--minutes", "1", "--speed", "60"], check=True, timeout=120,
                   capture_output=True)
    store = Store(db)
    cursor = json.loads(store.get_cursor("demo"))
    anchor, until = (datetime.fromisoformat(cursor[k]) for k in ("anchor", "until"))
    scenario = DemoScenario(stream="lumea", seed=7, anchor=anchor, cycle_hours=6)
    from datetime import timedelta
    expected = {m.source_id for m in scenario.generate(anchor - timedelta(days=1), until)}
    stored = {r[0] for r in store.reader().execute(
        "SELECT source_id FROM mentions WHERE source = 'demo'").fetchall()}
    assert expected and stored == expected
    rolled = store.reader().execute("SELECT sum(n) FROM bins").fetchall()[0][0]
    assert rolled == len(stored)


def test_sigkill_mid_replay_stores_every_row_exactly_once(tmp_path):
    from datetime import UTC, timedelta

    start = datetime(2026, 3, 2, 6, tzinfo=UTC)
    mentions = DemoScenario(seed=5).generate(start, start + timedelta(days=2))
    src = tmp_path / "in.jsonl"
    with src.open("w") as fh:
        for m in mentions:
            fh.write(json.dumps({"id": m.source_id, "ts": m.ts.isoformat(), "author": m.author,
                                 "text": m.text, "lang": m.lang_hint}) + "\n")
    db = tmp_path / "replay.duckdb"
    cmd = [sys.executable, "-m", "monitoring", "replay", str(src), "--db", str(db),
           "--stream", "lumea", "--batch", "400"]
    rng = random.Random(11)
    for _ in range(4):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    subprocess.run(cmd, check=True, timeout=300, capture_output=True)
    store = Store(db)
    stored = store.reader().execute(
        "SELECT count(*), count(DISTINCT source_id) FROM mentions").fetchall()[0]
    assert stored == (len(mentions), len(mentions))
    assert store.reader().execute("SELECT sum(n) FROM bins").fetchall()[0][0] == len(mentions)
    assert store.get_cursor("replay") == str(len(mentions))
