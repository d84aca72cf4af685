from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitoring.config import load_settings
from monitoring.monitor import Clock, Monitor
from monitoring.store import Store

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_demo_outage_opens_service_incident_within_one_bin(tmp_path):
    store = Store(tmp_path / "m.duckdb")
    clock = Clock(speed=1, start=START)
    monitor = Monitor(load_settings(), store, clock=clock)
    monitor.collect_all()
    monitor.detect()
    opened = []
    for k in range(1, 120):
        clock.start = START + timedelta(minutes=k)
        opened += [c for c in monitor.tick() if c.action == "open"]
    incident = [c for c in opened if c.kind == "service_incident"]
    crisis = [c for c in opened if c.kind == "reputation_crisis"]
    assert incident and incident[0].bin_start <= START + timedelta(minutes=21)
    assert crisis and crisis[0].bin_start < START + timedelta(minutes=90 + 15)
    # restart: same database, nothing duplicated
    count = store.count_mentions()
    store.close()
    store = Store(tmp_path / "m.duckdb")
    again = Monitor(load_settings(), store, clock=clock)
    again.collect_all()
    assert store.count_mentions() == count


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


def test_detection_waits_for_a_source_still_catching_up(tmp_path):
    """A running monitor closes no bin before its sources have delivered their backlog."""
    store = Store(tmp_path / "m.duckdb")
    monitor = Monitor(load_settings(), store, clock=Clock(speed=1, start=START))
    monitor._awaiting_first = set(monitor.sources)  # as start() does
    assert monitor.detect() == []
    assert store.last_detected_bin("lumea") is None  # nothing learnt from empty bins
    monitor.catch_up("demo")
    assert not monitor._awaiting_first
    monitor.detect()
    assert store.last_detected_bin("lumea") is not None
    since = START.replace(tzinfo=None) - timedelta(hours=6)
    expected, bins = store.reader().execute(
        "SELECT avg(expected), count(*) FROM bin_band WHERE bin_start >= ?", [since]).fetchone()
    observed = store.reader().execute(
        "SELECT sum(n) FROM bins WHERE stream = 'lumea' AND bin_start >= ?", [since]
    ).fetchone()[0] / bins
    # A real baseline follows the traffic; one learnt from empty bins stays near zero.
    assert observed > 0.5 and expected > 0.6 * observed
