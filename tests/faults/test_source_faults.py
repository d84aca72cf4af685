"""Source faults on a real loopback HTTP feed: the failing source is marked in the health
table and keeps its cursor, bad items are quarantined with the reason, the next collect
retries from the saved cursor, and the other source (a file) is unaffected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.config import load_settings
from monitoring.monitor import Clock, Monitor
from monitoring.sources.replay import ReplaySource
from monitoring.store import Store
from tests.faults.http_feed import Feed, HttpJsonSource, serve
from tests.faults.support import write_replay_file

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
SQL_QUARANTINE = "SELECT reason FROM quarantine WHERE source = ? ORDER BY id"
SQL_STORED = "SELECT count(*), count(DISTINCT source_id) FROM mentions WHERE source = ?"


def _items(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"p{i}", "ts": (NOW - timedelta(minutes=100 - i)).isoformat(), "author": "@a",
             "text": f"perché la bolletta {i} è sbagliata? @LumeaEnergia"}
            for i in range(start, start + n)]


@pytest.fixture
def rig(tmp_path):
    feed_file = tmp_path / "other.jsonl"
    write_replay_file(feed_file, 600, days=0.1)
    store = Store(tmp_path / "faults.duckdb")
    monitor = Monitor(load_settings(), store, clock=Clock(speed=1.0, start=NOW))
    feed = Feed(_items(40))
    with serve(feed) as url:
        monitor.sources = {"http": HttpJsonSource("http", url, "lumea", timeout=0.5),
                           "file": ReplaySource("file", feed_file, "lumea", batch=100)}
        yield monitor, feed
    store.close()


def _health(monitor: Monitor, source: str) -> dict:
    rows = monitor.store.source_health().set_index("source").to_dict("index")
    return rows[source]


def _later(monitor: Monitor, seconds: float) -> None:
    monitor.clock.start += timedelta(seconds=seconds)


@pytest.mark.parametrize("fault, state, error, wait", [
    ("timeout", "failing", "timed out", 60),
    ("reset", "failing", "feed unreachable", 60),
    ("429", "rate_limited", "retry after unknown", 60),
    ("429-retry-after", "rate_limited", "retry after 30 s", 30),
    ("503", "failing", "HTTP 503", 60),
])
def test_failed_fetch_keeps_cursor_backs_off_and_spares_other_sources(rig, fault, state, error,
                                                                      wait):
    monitor, feed = rig
    feed.faults = [fault]
    assert monitor.collect("http") is None
    assert monitor.store.get_cursor("http") is None
    health = _health(monitor, "http")
    assert health["state"] == state and error in health["last_error"]
    backoff = (monitor.not_before["http"] - monitor.clock.now()).total_seconds()
    assert wait - 5 < backoff <= wait  # Retry-After honoured, else the source's interval
    requests = feed.requests
    assert monitor.collect("http") is None and feed.requests == requests  # not yet
    assert monitor.collect("file").inserted == 100
    _later(monitor, wait)
    assert monitor.collect("http").inserted == 40  # the retry gets everything, once
    assert _health(monitor, "http")["state"] == "ok"
    assert monitor.store.get_cursor("http") == "40"


def test_5xx_storm_backs_off_exponentially_then_loses_and_duplicates_nothing(rig):
    monitor, feed = rig
    feed.faults = ["503"] * 5
    waits = []
    for _ in range(5):
        assert monitor.collect("http") is None
        waits.append(round((monitor.not_before["http"] - monitor.clock.now()).total_seconds()))
        monitor.collect("file")
        _later(monitor, waits[-1])
    assert waits == [60, 120, 240, 480, 960]
    assert monitor.store.get_cursor("file") == "500"
    assert monitor.catch_up("http") == 40
    feed.items += _items(10, start=35)  # re-delivered items p35..p39 and new p40..p44
    assert monitor.catch_up("http") == 5
    monitor.catch_up("file")
    q = monitor.store.reader()
    assert q.execute(SQL_STORED, ["http"]).fetchall()[0] == (45, 45)
    assert q.execute(SQL_STORED, ["file"]).fetchall()[0] == (600, 600)


def test_bad_items_are_quarantined_with_their_reason(rig):
    monitor, feed = rig
    feed.items = [*_items(3),
                  {"id": "x1", "ts": NOW.isoformat(), "author": "@b"},
                  {"id": "x2", "text": "senza data", "author": "@b"},
                  {"id": "x3", "ts": "ieri sera", "text": "data illeggibile"},
                  {"id": "x4", "ts": (NOW + timedelta(days=2)).isoformat(), "text": "dal futuro"},
                  {"id": "x5", "ts": (NOW - timedelta(days=3)).isoformat(), "text": "in ritardo"},
                  *_items(3)]  # the same three delivered twice in one response
    feed.faults = ["latin1"]
    outcome = monitor.collect("http")
    reasons = [r for (r,) in monitor.store.reader().execute(SQL_QUARANTINE, ["http"]).fetchall()]
    assert reasons[:4] == ["wrong encoding: not UTF-8", "missing text", "missing timestamp",
                           "unreadable timestamp 'ieri sera'"]
    assert reasons[4].startswith("timestamp in the future")
    # p1, p2, the late x5, and p0 from its second (well-encoded) delivery; once each
    assert (outcome.received, outcome.inserted) == (6, 4)
    assert monitor.store.reader().execute(SQL_STORED, ["http"]).fetchall()[0] == (4, 4)
    feed.items.append({"id": "y1", "ts": NOW.isoformat(), "text": "ultimo"})
    feed.faults = ["truncated"]
    monitor.collect("http")
    reasons = [r for (r,) in monitor.store.reader().execute(SQL_QUARANTINE, ["http"]).fetchall()]
    assert reasons[-1].startswith("malformed JSON") and len(reasons) == 6
    assert _health(monitor, "http")["state"] == "ok"
