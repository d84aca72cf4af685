"""The benchmark commands: real data generation, real subprocesses, small sizes.

No timing assertion here: only that each command runs, prints well-formed JSON lines and
plausible values (positive rates, hops in order, counts that match what was asked).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from monitoring.bench import Reporter, percentile
from monitoring.bench.latency import BurstSource, _mentions_id
from monitoring.bench.query import BenchDatabaseError, open_synth
from monitoring.bench.synth import SynthSpec, generate, stored_spec
from monitoring.monitor import Clock
from monitoring.store import Store

ROOT = Path(__file__).resolve().parents[1]
END = datetime(2026, 3, 2)


def bench(*args: str, timeout: float = 300) -> list[dict]:
    """Run ``python -m monitoring bench ARGS``; its stdout JSON lines."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "monitoring", "bench", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    for row in rows:
        assert {"name", "value", "unit"} <= set(row), row
    return rows


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["name"]: r for r in rows}


@pytest.mark.parametrize("n,days,streams", [
    (3_000, 1, ("lumea",)),
    (20_000, 12, ("lumea", "acqua", "treni")),
    (50_000, 30, ("a", "b", "c", "d", "e")),
])
def test_synth_is_consistent(n, days, streams):
    store = Store(":memory:")
    spec = SynthSpec(n=n, days=days, streams=streams, end=END)
    generate(store, spec)
    q = store.reader()
    assert store.count_mentions() == n
    lo, hi = q.execute("SELECT min(ts), max(ts) FROM mentions").fetchall()[0]
    assert spec.start <= lo and hi < spec.end
    # The rollup matches the mentions, per stream, minute and category.
    from_mentions = """
        SELECT stream, date_trunc('minute', ts), category, count(*),
               count(*) FILTER (WHERE sentiment_label = 'negative'),
               count(*) FILTER (WHERE sentiment_label = 'positive'), sum(author_reach)
        FROM mentions GROUP BY ALL"""
    from_bins = "SELECT stream, bin_start, category, n, n_negative, n_positive, reach FROM bins"
    for a, b in ((from_mentions, from_bins), (from_bins, from_mentions)):
        assert q.execute(f"SELECT count(*) FROM ({a} EXCEPT {b})").fetchall()[0][0] == 0
    assert q.execute("SELECT sum(n) FROM bins").fetchall()[0][0] == n
    requests = q.execute("SELECT count(*) FROM mentions WHERE category = 'request'").fetchall()
    assert q.execute("SELECT count(*) FROM tickets").fetchall() == requests
    assert sorted(r[0] for r in q.execute("SELECT DISTINCT stream FROM mentions").fetchall()) \
        == sorted(streams)
    alerts = store.alerts_since(datetime(1970, 1, 1))
    assert len(alerts) == len(spec.spikes())
    assert list(store.open_alerts()["stream"]) == [streams[0]]
    bands = q.execute("SELECT count(*), count(*) FILTER (WHERE low <= expected AND "
                      "expected <= high) FROM bin_band").fetchall()[0]
    assert bands[0] > 0 and bands[0] == bands[1]
    assert stored_spec(store) == spec
    langs = dict(q.execute("SELECT lang, count(*) FROM mentions GROUP BY 1").fetchall())
    assert set(langs) == {"it", "en"}


def test_synth_without_spikes_has_no_alerts():
    store = Store(":memory:")
    generate(store, SynthSpec(n=2_000, days=1, streams=("lumea",), end=END, with_spikes=False))
    assert store.alerts_since(datetime(1970, 1, 1)).empty
    assert store.count_mentions() == 2_000


def test_open_synth_reuses_and_never_overwrites_a_real_database(tmp_path):
    spec = SynthSpec(n=2_000, days=2, streams=("lumea",), end=END)
    path = tmp_path / "bench.duckdb"
    store, seconds = open_synth(path, spec, progress=False)
    store.close()
    assert seconds is not None and seconds > 0
    store, seconds = open_synth(path, spec, progress=False)
    assert seconds is None and store.count_mentions() == 2_000
    store.close()
    bigger = SynthSpec(n=3_000, days=2, streams=("lumea",), end=END)
    store, seconds = open_synth(path, bigger, progress=False)
    assert seconds is not None and store.count_mentions() == 3_000
    store.close()
    real = tmp_path / "real.duckdb"
    Store(real).close()
    with pytest.raises(BenchDatabaseError, match="not a benchmark database"):
        open_synth(real, spec, progress=False)
    assert real.exists()


@pytest.mark.parametrize("sub", ["query", "latency", "sessions", "backfill", "ingest"])
def test_help(sub):
    done = subprocess.run([sys.executable, "-m", "monitoring", "bench", sub, "--help"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0 and "usage:" in done.stdout


def test_query_command(tmp_path):
    db = tmp_path / "q.duckdb"
    rows = by_name(bench("query", "-n", "20000", "--days", "3", "--refreshes", "5",
                         "--db", str(db), "--quiet"))
    assert rows["query_generate"]["mentions"] == 20_000
    p50, p95 = rows["query_refresh_p50"], rows["query_refresh_p95"]
    assert 0 < p50["value"] <= p95["value"]
    assert p95["target"] == 50 and isinstance(p95["meets_target"], bool)
    assert p95["timed"] in ("pages/wall.py (main)", "monitoring.wall.wall_snapshot")
    assert rows["query_raw_volume_p95"]["value"] > 0
    assert rows["query_refresh_vs_raw_volume"]["unit"] == "ratio"
    again = by_name(bench("query", "-n", "20000", "--days", "3", "--refreshes", "3",
                          "--db", str(db), "--quiet"))
    assert "query_generate" not in again  # reused


def test_backfill_command(tmp_path):
    file = tmp_path / "m.jsonl"
    rows = by_name(bench("backfill", "-n", "3000", "--batch", "1000", "--file", str(file),
                         "--quiet"))
    assert sum(1 for _ in file.open()) == 3000
    assert rows["backfill_rate"]["stored"] == 3000 and rows["backfill_rate"]["value"] > 0
    assert rows["backfill_seconds"]["value"] > 0
    assert rows["backfill_cpu_rate"]["value"] > 0 and rows["backfill_cpu_rate"]["cpu_seconds"] > 0
    assert 30 < rows["backfill_peak_rss"]["value"] < 4096
    again = by_name(bench("backfill", "-n", "3000", "--file", str(file), "--quiet"))
    assert "backfill_file" not in again and again["backfill_rate"]["stored"] == 3000


def test_latency_command():
    rows = by_name(bench("latency", "--speed", "30", "--burst", "200", "--timeout", "120"))
    stored, alert, wall = (rows[k]["value"] for k in
                           ("latency_to_stored", "latency_to_alert_row", "latency_to_wall_data"))
    assert 0 < stored <= alert <= wall
    # The alert can only come once the burst's bin has closed (2 s bins at speed 30).
    assert alert >= rows["latency_to_alert_row"]["bin_seconds"] * 0.5
    assert rows["latency_to_wall_data"]["target"] == pytest.approx(12.0)


def test_sessions_command():
    rows = by_name(bench("sessions", "--sessions", "2", "--minutes", "0.25", "-n", "20000",
                         "--refresh", "2", "--warmup", "5", "--idle", "3", timeout=400))
    cpu = rows["sessions_server_cpu"]
    assert 0 < cpu["value"] < 2.5 and cpu["sessions"] == 2
    assert rows["sessions_refresh_p95"]["runs"] >= 2
    assert 0 < rows["sessions_refresh_p50"]["value"] <= rows["sessions_refresh_p95"]["value"]
    assert rows["sessions_server_rss"]["value"] > 50
    assert 0 <= rows["sessions_server_cpu_idle"]["value"] < 2.5
    assert rows["sessions_server_cpu_per_refresh"]["value"] >= 0
    assert rows["sessions_server_cpu_full_rate"]["value"] >= rows["sessions_server_cpu_idle"][
        "value"]


@pytest.mark.parametrize("values,q,expected", [
    ([5.0], 95, 5.0),
    ([1.0, 2.0, 3.0], 50, 2.0),
    ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
    ([10.0, 0.0], 100, 10.0),
])
def test_percentile(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_reporter_keeps_results(capsys):
    rep = Reporter()
    rep.emit("x", 1.23456, "ms", target=2)
    assert json.loads(capsys.readouterr().out) == {"name": "x", "value": 1.235, "unit": "ms",
                                                   "target": 2}
    assert rep.results[0]["target"] == 2


def test_burst_source_trickle_and_burst():
    clock = Clock(start=datetime(2026, 3, 2, 9, tzinfo=UTC))
    src = BurstSource("bench", "lumea", rate=60, clock=clock)
    first = src.burst(5)
    got = src.fetch(None, clock.now())
    ids = [m.source_id for m in got.mentions]
    assert ids[:5] == ["b0", "b1", "b2", "b3", "b4"] and first.source_id == "b0"
    assert all("blackout" in m.text for m in got.mentions[:5])
    later = clock.start + timedelta(minutes=2)
    trickle = src.fetch(got.cursor, later)
    assert trickle.mentions and all(m.source_id.startswith("t") for m in trickle.mentions)
    assert int(trickle.cursor) > int(got.cursor)


@pytest.mark.parametrize("snapshot,found", [
    ({"alerts": pd.DataFrame({"id": [3, 7]})}, True),
    ({"alerts": pd.DataFrame({"id": [3]})}, False),
    ([{"alert_id": 7}], True),
    ({"panels": [{"rows": ({"id": 7},)}]}, True),
    ({"alerts": pd.DataFrame({"alert_id": [1]}), "n": 7}, False),
])
def test_alert_found_in_wall_snapshot(snapshot, found):
    assert _mentions_id(snapshot, 7) is found
