"""Enrichment in worker processes: the same frames, in order; failures named; no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from monitoring.config import load_settings
from monitoring.enrich.workers import EnrichPool, WorkerError
from monitoring.sources.demo import DemoScenario
from monitoring.store import Store

START = datetime(2026, 3, 2, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def settings():
    return load_settings(None)


@pytest.fixture(scope="module")
def batches():
    mentions = DemoScenario(seed=3).generate(START, START + timedelta(hours=8))
    size = len(mentions) // 5 + 1
    return [mentions[i:i + size] for i in range(0, len(mentions), size)]


def test_workers_return_the_frames_one_process_would_in_submission_order(settings, batches):
    with EnrichPool(settings, jobs=0) as local:
        expected = []
        for batch in batches:
            local.submit(batch)
            expected.append(local.result())
    with EnrichPool(settings, jobs=2) as pool:
        for batch in batches:  # all submitted before any is taken: the pipes must not jam
            pool.submit(batch)
        assert pool.pending == len(batches)
        got = [pool.result() for _ in batches]
    assert len(got) == len(expected) == len(batches) > 1
    for frame, want in zip(got, expected):
        pd.testing.assert_frame_equal(frame, want)


def test_a_failure_inside_a_worker_is_raised_with_its_traceback(settings, batches):
    with EnrichPool(settings, jobs=1) as pool:
        pool.submit(["not a mention"])
        with pytest.raises(WorkerError, match="AttributeError"):
            pool.result()
        pool.submit(batches[0])  # the worker survives a bad batch
        assert len(pool.result()) == len(batches[0])


def test_a_dead_worker_is_reported_not_waited_for(settings, batches):
    with EnrichPool(settings, jobs=1) as pool:
        os.kill(pool._procs[0].pid, signal.SIGKILL)
        pool._procs[0].wait(timeout=10)
        with pytest.raises(WorkerError, match="died|gone"):
            pool.submit(batches[0])
            pool.result()


PARENT = """
import sys, time
from monitoring.config import load_settings
from monitoring.enrich.workers import EnrichPool
pool = EnrichPool(load_settings(None), jobs=2)
print(" ".join(str(p.pid) for p in pool._procs), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def _dump(db: Path) -> dict[str, list]:
    store = Store(db, read_only=True)
    try:
        q = store.reader().execute
        return {
            "mentions": q("SELECT * EXCLUDE (ingested_at) FROM mentions ORDER BY source_id").fetchall(),
            "bins": q("SELECT * FROM bins ORDER BY ALL").fetchall(),
            "alerts": q("SELECT stream, kind, severity, score, first_bin, last_bin, observed, "
                        "expected, state, explanation FROM alerts ORDER BY ALL").fetchall(),
            "cursor": [store.get_cursor("replay")],
        }
    finally:
        store.close()


def test_replay_with_workers_stores_exactly_what_one_process_stores(tmp_path):
    mentions = DemoScenario(seed=5).generate(START, START + timedelta(hours=10))
    src = tmp_path / "in.jsonl"
    with src.open("w") as fh:
        for m in mentions:
            fh.write(json.dumps({"id": m.source_id, "ts": m.ts.isoformat(), "author": m.author,
                                 "text": m.text}) + "\n")
        fh.write("{broken\n")
    dumps = []
    for jobs in ("0", "2"):
        db = tmp_path / f"jobs{jobs}.duckdb"
        subprocess.run([sys.executable, "-m", "monitoring", "replay", str(src), "--db", str(db),
                        "--stream", "lumea", "--batch", "500", "--jobs", jobs],
                       check=True, timeout=300, capture_output=True,
                       cwd=Path(__file__).resolve().parents[1])
        dumps.append(_dump(db))
    assert len(dumps[0]["mentions"]) == len(mentions)
    assert dumps[0]["cursor"] == [str(len(mentions) + 1)]
    assert dumps[0] == dumps[1]


def test_workers_do_not_run_the_callers_main_script(settings, batches, tmp_path, monkeypatch):
    """A Streamlit page or any script as ``__main__`` is not run again in the workers."""
    import types

    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('the main script ran in a worker')\n")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    with EnrichPool(settings, jobs=1) as pool:
        pool.submit(batches[0])
        assert len(pool.result()) == len(batches[0])
