from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitoring.config import load_settings
from monitoring.monitor import Clock, Monitor
from monitoring.store import Store

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_restart_on_the_same_database_stores_nothing_twice(tmp_path):
    # (the demo's alert types and their latency: tests/test_alerts.py::test_demo_events_...)
    store = Store(tmp_path / "m.duckdb")
    clock = Clock(speed=1, start=START)
    monitor = Monitor(load_settings(), store, clock=clock)
    monitor.collect_all()
    clock.start = START + timedelta(minutes=45)  # into the scripted outage
    monitor.collect_all()
    count = store.count_mentions()
    assert count > 0
    store.close()
    store = Store(tmp_path / "m.duckdb")
    again = Monitor(load_settings(), store, clock=clock)
    again.collect_all()  # re-reads the sources' overlap window
    assert store.count_mentions() == count
    store.close()


def test_cooldown_keeps_a_closed_kind_from_reopening_at_once():
    from monitoring.alerts import StreamDetectors
    from monitoring.models import BinStats

    det = StreamDetectors(bin_minutes=1, close_after_quiet_bins=2, cooldown_bins=10)
    t = START - timedelta(days=2)
    for _ in range(2 * 1440):  # two quiet days of ~4 mentions per minute
        det.step(BinStats("s", t, n=4, n_request=2))
        t += timedelta(minutes=1)
    spike = BinStats("s", t, n=60, n_negative=50, n_request=50)
    assert [d.action for d in det.step(spike)] == ["open"]
    for _ in range(2):
        t += timedelta(minutes=1)
        det.step(BinStats("s", t, n=4, n_request=2))
    assert "service_incident" not in det.open_kinds and det.cooling["service_incident"] == 10
    t += timedelta(minutes=1)
    assert det.step(spike.replace(bin_start=t)) == []


def test_old_requests_open_no_ticket_when_a_maximum_age_is_set(tmp_path):
    from monitoring.models import Mention
    from monitoring.sources.base import FetchResult

    base = load_settings()
    settings = base.model_copy(update={"app": base.app.model_copy(
        update={"ticket_max_age_hours": 3})})
    store = Store(tmp_path / "m.duckdb")
    monitor = Monitor(settings, store, clock=Clock(speed=1, start=START))
    text = "@LumeaEnergia la bolletta di marzo è sbagliata, mi aiutate? Ho pagato due volte"
    old = Mention("demo", "old", "lumea", START - timedelta(hours=5), "@anna", text)
    new = Mention("demo", "new", "lumea", START - timedelta(minutes=5), "@bruno", text)
    monitor.store_fetch("demo", FetchResult([old, new], "c1"), START)
    cur = store.reader()
    assert cur.execute("SELECT count(*) FROM mentions WHERE category = 'request'"
                       ).fetchone()[0] == 2
    assert [r[0] for r in cur.execute("SELECT source_id FROM tickets").fetchall()] == ["new"]


def test_detection_waits_for_a_source_still_catching_up(tmp_path, monkeypatch):
    """A running monitor closes no bin before its sources have delivered their backlog,
    and its status says how far the catch-up has come (the wall shows it)."""
    from monitoring.alerts import StreamDetectors
    from monitoring.monitor import CatchUp

    store = Store(tmp_path / "m.duckdb")
    monitor = Monitor(load_settings(), store, clock=Clock(speed=1, start=START))
    monitor._awaiting_first = set(monitor.sources)  # as start() does
    assert monitor.status().catch_up == CatchUp("collect", ("demo",), None)
    assert monitor.detect() == []
    assert store.last_detected_bin("lumea") is None  # nothing learnt from empty bins
    seen = []
    collect = Monitor.collect

    def collect_and_look(self, name):
        outcome = collect(self, name)
        seen.append(self.status().catch_up)
        return outcome

    monkeypatch.setattr(Monitor, "collect", collect_and_look)
    monitor.catch_up("demo")
    assert not monitor._awaiting_first
    assert {c.phase for c in seen} == {"collect"}
    reached = [c.reached for c in seen]
    assert len(reached) >= 2 and None not in reached
    assert reached == sorted(reached) and reached[0] < reached[-1] <= START
    assert monitor.status().catch_up is None
    analysed = []
    step = StreamDetectors.step

    def step_and_look(self, stats):
        analysed.append((stats.bin_start, monitor.status().catch_up))
        return step(self, stats)

    monkeypatch.setattr(StreamDetectors, "step", step_and_look)
    monitor.detect()
    assert len(analysed) > 100
    assert all(c == CatchUp("detect", (), t) for t, c in analysed)
    assert monitor.status().catch_up is None
    assert store.last_detected_bin("lumea") is not None
    since = START.replace(tzinfo=None) - timedelta(hours=6)
    expected, bins = store.reader().execute(
        "SELECT avg(expected), count(*) FROM bin_band WHERE bin_start >= ?", [since]).fetchone()
    observed = store.reader().execute(
        "SELECT sum(n) FROM bins WHERE stream = 'lumea' AND bin_start >= ?", [since]
    ).fetchone()[0] / bins
    # A real baseline follows the traffic; one learnt from empty bins stays near zero.
    assert observed > 0.5 and expected > 0.6 * observed
