"""``bench latency``: a burst at a source until the alert is in the wall's data.

A real :class:`~monitoring.monitor.Monitor` runs with its APScheduler jobs on a DuckDB
file: one collect job for :class:`BurstSource` (a steady trickle of mentions plus bursts
on demand) and the detect job.  The database starts with a steady synthetic history
(``--history-hours``, so the detectors are past their warm-up), as after a restart.
Right after a bin boundary the benchmark injects a burst and times, from the moment the
first burst mention is posted:

1. ``stored``: the mention is in the ``mentions`` table;
2. ``alert``: an alert row of the stream covers the burst's bin (a new one, or one
   already open, e.g. after an unrelated blip, updated with that bin);
3. ``wall``: the wall's data query returns it (``monitoring.wall.wall_snapshot`` when
   present, otherwise the open-alerts query ``pages/wall.py`` on main issues).

A wall session shows it at its next refresh (``app.refresh_seconds``), reported apart.
With ``--speed S`` the clock runs S times faster (bins last ``60 / S`` s); times are
real seconds either way.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import math
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from monitoring.bench import Reporter
from monitoring.bench.synth import SynthSpec, generate, minute_floor
from monitoring.config import Settings, SourceConfig
from monitoring.models import Mention
from monitoring.monitor import Clock, Monitor
from monitoring.sources.base import FetchResult
from monitoring.store import SQL_OPEN_ALERTS, Store, naive_utc

SQL_MENTION_STORED = "SELECT count(*) FROM mentions WHERE source = ? AND source_id = ?"
#: An alert (opened, or already open and updated) that covers the burst's bin.
SQL_BURST_ALERT = "SELECT min(id) FROM alerts WHERE stream = ? AND last_bin >= ?"

BASELINE_TEXTS = (
    "info sulla bolletta di marzo @{s}", "what are the opening hours of the shop? @{s}",
    "grazie, tutto risolto @{s}", "nuova offerta luce e gas? @{s}",
)
BURST_TEXTS = (
    "siamo senza luce da un'ora in tutto il quartiere, quando torna? @{s} #blackout",
    "power outage again in my street, no answer from @{s} #blackout",
    "blackout totale, nessuno risponde al numero verde @{s}",
)


class BurstSource:
    """An in-memory source: ``rate`` mentions a minute, plus bursts on demand.

    Examples
    --------
    >>> clock = Clock(start=datetime(2026, 3, 2, 9, tzinfo=UTC))
    >>> src = BurstSource("bench", "lumea", rate=60, clock=clock)
    >>> first = src.burst(3)
    >>> r = src.fetch(None, clock.now())
    >>> len(r.mentions) >= 3, first.source_id
    (True, 'b0')
    """

    def __init__(self, name: str, stream: str, rate: float, clock: Clock):
        self.name = name
        self.stream = stream
        self.rate = rate
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: list[Mention] = []
        self._since = clock.now()
        self._owed = 0.0
        self._seq = 0

    def burst(self, n: int) -> Mention:
        """Post ``n`` burst mentions now; returns the first one."""
        now = self.clock.now()
        with self._lock:
            batch = [self._mention(f"b{self._seq + i}", BURST_TEXTS[i % len(BURST_TEXTS)], now)
                     for i in range(n)]
            self._seq += n
            self._pending += batch
        return batch[0]

    def _mention(self, ident: str, template: str, ts: datetime) -> Mention:
        return Mention(self.name, ident, self.stream, ts, f"@user{hash(ident) % 5000}",
                       template.format(s=self.stream), author_reach=100)

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        with self._lock:
            self._owed += (now - self._since).total_seconds() / 60.0 * self.rate
            self._since = now
            out, self._pending = self._pending, []
            while self._owed >= 1.0:
                self._owed -= 1.0
                text = BASELINE_TEXTS[self._seq % len(BASELINE_TEXTS)]
                out.append(self._mention(f"t{self._seq}", text, now))
                self._seq += 1
        return FetchResult(out, str(self._seq))


def wall_has_alert(store: Store, settings: Settings, stream: str, now: datetime,
                   alert_id: int) -> bool:
    """Whether the wall's data query (as the page issues it) returns the alert."""
    if importlib.util.find_spec("monitoring.wall") is not None:
        snapshot = importlib.import_module("monitoring.wall").wall_snapshot(
            store, settings, stream, now)
        return _mentions_id(snapshot, alert_id)
    frame = store.reader().execute(SQL_OPEN_ALERTS).df()
    return bool((frame["id"] == alert_id).any())


def _mentions_id(value: Any, alert_id: int) -> bool:
    """Search a snapshot (frames, mappings, sequences, dataclasses) for an alert id."""
    if isinstance(value, pd.DataFrame):
        for col in ("id", "alert_id"):
            if col in value.columns and (value[col] == alert_id).any():
                return True
        return False
    if isinstance(value, dict):
        if value.get("id") == alert_id or value.get("alert_id") == alert_id:
            return True
        return any(_mentions_id(v, alert_id) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_mentions_id(v, alert_id) for v in value)
    if hasattr(value, "__dict__") or hasattr(value, "__slots__"):
        if getattr(value, "id", None) == alert_id or getattr(value, "alert_id", None) == alert_id:
            return True
        fields = getattr(value, "__dataclass_fields__", None) or vars(value)
        return any(_mentions_id(getattr(value, f, None), alert_id) for f in fields)
    return False


def bench_settings(settings: Settings, stream: str, interval: float) -> Settings:
    """The settings with one source: the benchmark's, polled every ``interval`` seconds."""
    source = SourceConfig(name="bench", kind="demo", streams=[stream],
                          interval_seconds=interval)
    return settings.model_copy(update={"sources": [source]})


def with_speed(settings: Settings, speed: float) -> Settings:
    """The settings with ``app.speed`` matching the clock (the detect lateness scales by it)."""
    return settings.model_copy(update={"app": settings.app.model_copy(update={"speed": speed})})


def run(settings: Settings, reporter: Reporter, speed: float = 1.0, burst: int = 300,
        rate: float = 10.0, history_hours: float = 24.0, db: str | None = None,
        timeout: float = 300.0, interval: float = 1.0) -> dict[str, float]:
    """Run the benchmark once; returns the hop times (real seconds)."""
    stream = settings.streams[0].id
    settings = with_speed(bench_settings(settings, stream, interval), speed)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running"
    with tempfile.TemporaryDirectory(prefix="sentinella-latency-") as tmp:
        store = Store(Path(db) if db else Path(tmp) / "latency.duckdb")
        try:
            return _measure(settings, store, reporter, stream, speed, burst, rate,
                            history_hours, timeout)
        finally:
            store.close()


def _measure(settings: Settings, store: Store, reporter: Reporter, stream: str, speed: float,
             burst: int, rate: float, history_hours: float, timeout: float) -> dict[str, float]:
    clock = Clock(speed=speed)
    bin_real = 60.0 * settings.app.bin_minutes / speed
    end = minute_floor(clock.now())
    days = max(1, math.ceil(history_hours / 24))
    generate(store, SynthSpec(n=max(1, round(rate * 60 * 24 * days)), days=days,
                              streams=(stream,), end=end, with_spikes=False))
    monitor = Monitor(settings, store, clock=clock)
    source = BurstSource("bench", stream, rate, clock)
    monitor.sources = {"bench": source}
    reader = store.reader()
    deadline = time.monotonic() + timeout
    monitor.start()
    try:
        # Detection caught up with the history: wait for the first closed bin after start.
        while (store.last_detected_bin(stream) or datetime.min.replace(tzinfo=UTC)) < \
                minute_floor(clock.now()).replace(tzinfo=UTC) - 2 * monitor.bin:
            _sleep_until(deadline, 0.05)
        width = monitor.bin.total_seconds()
        now = clock.now()
        boundary = datetime.fromtimestamp((now.timestamp() // width + 1) * width, tz=UTC)
        time.sleep((boundary - now).total_seconds() / speed + 0.2)
        t0 = time.monotonic()
        first = source.burst(burst)
        burst_bin = naive_utc(datetime.fromtimestamp(
            first.ts.timestamp() // width * width, tz=UTC))
        hops: dict[str, float] = {}
        alert_id = None
        while "wall" not in hops:
            _sleep_until(deadline, 0.02)
            t = time.monotonic() - t0
            if "stored" not in hops and reader.execute(
                    SQL_MENTION_STORED, ["bench", first.source_id]).fetchall()[0][0]:
                hops["stored"] = t
            if alert_id is None:
                alert_id = reader.execute(SQL_BURST_ALERT, [stream, burst_bin]).fetchall()[0][0]
                if alert_id is not None:
                    hops["alert"] = time.monotonic() - t0
            if alert_id is not None and wall_has_alert(store, settings, stream, clock.now(),
                                                      int(alert_id)):
                hops["wall"] = time.monotonic() - t0
    finally:
        monitor.stop()
    target = bin_real + 10.0
    common = {"speed": speed, "bin_seconds": round(bin_real, 3), "burst": burst}
    reporter.emit("latency_to_stored", hops["stored"], "s", **common)
    reporter.emit("latency_to_alert_row", hops["alert"], "s",
                  hop=round(hops["alert"] - hops["stored"], 3), **common)
    reporter.emit("latency_to_wall_data", hops["wall"], "s",
                  hop=round(hops["wall"] - hops["alert"], 3), target=round(target, 3),
                  meets_target=hops["wall"] <= target, **common)
    reporter.emit("latency_wall_refresh", settings.app.refresh_seconds, "s",
                  note="a wall session shows the alert at its next refresh: up to this "
                       "much after latency_to_wall_data")
    return hops


def _sleep_until(deadline: float, step: float) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError("the burst did not reach the wall before --timeout")
    time.sleep(step)


