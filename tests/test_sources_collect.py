"""The Monitor's collection path: rate-limit waits, backoff, budgets, health colours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sources_support import settings_with

from monitoring.models import Mention
from monitoring.monitor import Clock, Monitor, backoff_seconds
from monitoring.sources.base import FetchResult, SourceError
from monitoring.sources.health import freshness
from monitoring.store import Store

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ScriptedSource:
    """A source answering from a script: FetchResult values or exceptions to raise."""

    def __init__(self, name: str, script: list):
        self.name = name
        self.script = script
        self.calls: list[datetime] = []

    def fetch(self, cursor, now):
        self.calls.append(now)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def ok(n: int = 1, cursor: str = "c") -> FetchResult:
    return FetchResult([Mention("s", f"{cursor}{i}", "lumea", START, "@a", "Lumea ok")
                        for i in range(n)], cursor)


def monitor_with(tmp_path, script, interval: float = 60.0):
    settings = settings_with({"name": "s", "kind": "file", "interval_seconds": interval,
                              "enabled": False})
    clock = Clock(speed=1e-9, start=START)  # frozen unless moved by the test
    monitor = Monitor(settings, Store(tmp_path / "db.duckdb"), clock=clock)
    monitor.source_configs = {c.name: c for c in settings.sources}
    source = ScriptedSource("s", script)
    monitor.sources = {"s": source}
    return monitor, clock, source


def at(clock: Clock, seconds: float) -> None:
    clock.start = START + timedelta(seconds=seconds)


def colour(monitor: Monitor, silent_after: float = 15) -> tuple[str, str, str]:
    f = freshness(monitor.store.source_status(), monitor.clock.now(), silent_after, ["s"])[0]
    return f.state, f.colour, f.detail


@pytest.mark.parametrize("error,state,wait,col", [
    (SourceError("rate limited (HTTP 429)", retry_after=120, state="rate_limited"),
     "rate_limited", 120, "orange"),
    (SourceError("rate limited (HTTP 429)", retry_after=0, state="rate_limited"),
     "rate_limited", 0, "orange"),
    (SourceError("access refused (HTTP 401)"), "failing", 60, "red"),
    (ConnectionError("connection reset"), "failing", 60, "red"),
])
def test_a_failure_waits_before_the_next_attempt(tmp_path, error, state, wait, col):
    monitor, clock, source = monitor_with(tmp_path, [error, ok()])
    assert monitor.collect("s") is None
    assert colour(monitor)[:2] == (state, col)
    if wait:
        at(clock, wait - 1)
        assert monitor.collect("s") is None and len(source.calls) == 1
    at(clock, wait + 1)
    assert monitor.collect("s").inserted == 1 and len(source.calls) == 2
    assert colour(monitor)[:2] == ("ok", "green")
    assert monitor.store.consecutive_failures("s") == 0


def test_backoff_doubles_with_each_failure_and_resets_on_success(tmp_path):
    monitor, clock, _ = monitor_with(tmp_path, [OSError("down")] * 3 + [ok()])
    t = 0.0
    for expected in (60, 120, 240):
        at(clock, t)
        assert monitor.collect("s") is None
        assert monitor.not_before["s"] - clock.now() == pytest.approx(
            timedelta(seconds=expected), abs=timedelta(seconds=1))
        t += expected + 1
    assert monitor.store.consecutive_failures("s") == 3
    at(clock, t)
    assert monitor.collect("s") is not None
    assert "s" not in monitor.not_before and monitor.store.consecutive_failures("s") == 0


@pytest.mark.parametrize("failures,expected", [(1, 30.0), (4, 240.0), (12, 3600.0)])
def test_backoff_seconds(failures, expected):
    assert backoff_seconds(failures, 30) == expected


def test_a_rate_limit_wait_survives_a_restart(tmp_path):
    monitor, clock, _ = monitor_with(tmp_path, [
        SourceError("429", retry_after=600, state="rate_limited")])
    monitor.collect("s")
    monitor.store.close()
    again, clock, source = monitor_with(tmp_path, [ok()])
    at(clock, 300)
    assert again.collect("s") is None and source.calls == []
    at(clock, 601)
    assert again.collect("s") is not None


def test_budget_exhausted_keeps_the_batch_and_turns_red_with_the_budget(tmp_path):
    stop = FetchResult(ok(2).mentions, "c", state="budget_exhausted", retry_after=3600,
                       detail="X read budget reached for 2026-03-02", budget=(500, 500))
    monitor, clock, source = monitor_with(tmp_path, [stop, ok(1, "d")])
    assert monitor.collect("s").inserted == 2
    state, col, detail = colour(monitor)
    assert (state, col) == ("budget_exhausted", "red")
    assert detail == "X read budget reached for 2026-03-02 (read budget 500/500)"
    at(clock, 1800)
    assert monitor.collect("s") is None and len(source.calls) == 1
    at(clock, 3601)
    assert monitor.collect("s").inserted == 1 and colour(monitor)[1] == "green"


def test_a_silent_source_turns_red(tmp_path):
    monitor, clock, _ = monitor_with(tmp_path, [ok(), ok(0, "e"), OSError("x")])
    monitor.collect("s")
    at(clock, 14 * 60)
    assert colour(monitor)[:2] == ("ok", "green")
    at(clock, 16 * 60)
    assert colour(monitor)[:2] == ("silent", "red")


def test_a_rate_limit_long_over_without_success_turns_red(tmp_path):
    monitor, clock, _ = monitor_with(tmp_path, [
        SourceError("429", retry_after=60, state="rate_limited")])
    monitor.collect("s")
    at(clock, 60 + 10 * 60)
    assert colour(monitor)[1] == "orange"
    at(clock, 60 + 16 * 60)
    assert colour(monitor)[:2] == ("silent", "red")


def test_last_item_time_is_kept(tmp_path):
    monitor, _, _ = monitor_with(tmp_path, [ok(), ok(0, "e")])
    monitor.collect("s")
    monitor.collect("s")
    row = monitor.store.source_status().iloc[0]
    assert row["last_item_at"].to_pydatetime() == START.replace(tzinfo=None)
    assert row["items_fetched"] == 1


def test_the_example_settings_load_and_every_source_is_built_or_not_configured(tmp_path,
                                                                                 monkeypatch):
    from pathlib import Path

    from monitoring.config import load_settings
    from monitoring.sources import SOURCE_MODULES

    for env in ("X_BEARER_TOKEN", "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "IMAP_USER",
                "IMAP_PASSWORD"):
        monkeypatch.delenv(env, raising=False)
    settings = load_settings(Path(__file__).parent.parent / "data" / "sources.example.toml")
    assert {s.kind for s in settings.sources} <= set(SOURCE_MODULES)
    monitor = Monitor(settings, Store(tmp_path / "db.duckdb"))
    assert sorted(monitor.sources) == ["bluesky", "callcentre", "forum", "mastodon"]
    states = {f.source: f.state for f in freshness(monitor.store.source_status(), START, 15,
                                                   settings.sources)}
    assert states == {"x": "not_configured", "reddit": "not_configured",
                      "mailbox": "not_configured", "mastodon": "waiting", "bluesky": "waiting",
                      "forum": "waiting", "callcentre": "waiting"}


@pytest.mark.parametrize("lang,state,failures", [
    ("it", "in pausa (limite di richieste)", 1),
    ("en", "paused (rate limit)", 1),
])
def test_status_table_for_the_settings_page(tmp_path, lang, state, failures):
    from monitoring.i18n import Translator
    from monitoring.sources.health import status_table

    monitor, _, _ = monitor_with(tmp_path, [
        SourceError("rate limited (HTTP 429)", retry_after=120, state="rate_limited")])
    monitor.collect("s")
    tr = Translator(lang, "UTC")
    table = status_table(monitor.store.source_status(), monitor.clock.now(), 15, ["s", "x"], tr)
    first = table.iloc[0].tolist()
    assert first[:2] == ["s", state] and first[3] == "rate limited (HTTP 429)"
    assert first[5] == failures and first[6] == tr.datetime(START.replace(minute=2))
    assert table.iloc[1, 1] == tr("source.state.waiting")
    assert table.columns[0] == tr("source.col.source")
