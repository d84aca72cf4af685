"""The Monitor: one object owning the store, the sources, the detectors and the scheduler.

Each collect job: fetch since the saved cursor -> normalise (by the source) -> enrich in
batch -> insert mentions + cursor in one transaction.  The detect job feeds every closed
bin to the stream's detectors once (a mark per stream is saved with the alert changes)
and opens, updates or closes alerts.
"""

from __future__ import annotations

import json
import logging
import time as _time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from apscheduler.schedulers.background import BackgroundScheduler

from monitoring.alerts import Decision, StreamDetectors, top_terms
from monitoring.config import Settings
from monitoring.enrich.pipeline import Enricher
from monitoring.models import BinStats, utc
from monitoring.notify.ladder import advance_ladders, auto_escalate
from monitoring.notify.outbox import DeliveryReport, deliver_due
from monitoring.sla import TicketDue
from monitoring.sources import build_source
from monitoring.sources.base import FetchResult, Source, SourceError
from monitoring.store import (
    SQL_CLOSE_ALERT,
    SQL_INSERT_ALERT,
    SQL_INSERT_ALERT_EVENT,
    SQL_UPDATE_ALERT,
    IngestResult,
    Store,
    naive_utc,
)
from monitoring.tokens import TokenError, signer_from_settings

log = logging.getLogger("sentinella")


class Clock:
    """Wall clock, optionally running ``speed`` times faster from ``start`` (demos).

    >>> from datetime import datetime, timedelta, timezone
    >>> c = Clock(speed=60, start=datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> (c.now() - datetime(2026, 1, 1, tzinfo=timezone.utc)).total_seconds() < 60
    True
    """

    def __init__(self, speed: float = 1.0, start: datetime | None = None):
        self.speed = speed
        self.start = utc(start) if start else datetime.now(UTC)
        self._t0 = _time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(_time.monotonic() - self._t0) * self.speed)


@dataclass(slots=True)
class AlertChange:
    """An alert opened, updated or closed by the detect job (also printed by ``demo``)."""

    alert_id: int
    stream: str
    kind: str
    action: str
    severity: int
    score: float
    bin_start: datetime
    observed: float
    expected: float
    explanation: dict

    def as_json(self) -> str:
        return json.dumps({
            "alert_id": self.alert_id, "stream": self.stream, "kind": self.kind,
            "action": self.action, "severity": self.severity, "score": round(self.score, 2),
            "bin_start": self.bin_start.isoformat(), "observed": round(self.observed, 3),
            "expected": round(self.expected, 3), "explanation": self.explanation,
        }, ensure_ascii=False)


#: Longest wait between two attempts of a failing source.
MAX_BACKOFF_SECONDS = 3_600.0


def backoff_seconds(failures: int, interval: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Wait after ``failures`` consecutive failures: the interval, doubled each time, capped.

    >>> [backoff_seconds(n, 60) for n in (1, 2, 3)], backoff_seconds(30, 60)
    ([60.0, 120.0, 240.0], 3600.0)
    """
    return float(min(cap, interval * 2 ** min(max(failures - 1, 0), 30)))


def _saved_waits(store: Store) -> dict[str, datetime]:
    """Waits recorded before a restart (a rate limit outlives the process)."""
    waits: dict[str, datetime] = {}
    for row in store.source_status().to_dict("records"):
        t = row.get("next_attempt_at")
        if t is not None and not pd.isna(t):
            waits[row["source"]] = utc(pd.Timestamp(t).to_pydatetime())
    return waits


class Monitor:
    """Run the pipeline for a configuration.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> from monitoring.config import load_settings
    >>> m = Monitor(load_settings(), Store(":memory:"),
    ...             clock=Clock(start=datetime(2026, 3, 2, 9, tzinfo=timezone.utc)))
    >>> sorted(m.sources)
    ['demo']
    """

    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None,
                 on_alert: Callable[[AlertChange], None] | None = None,
                 secrets: Mapping[str, Any] | None = None):
        self.settings = settings
        self.store = store
        self.clock = clock or Clock(settings.app.speed)
        self.enricher = Enricher(settings)
        self.ticket_due = TicketDue.from_settings(settings)
        self.on_alert = on_alert
        self.bin = timedelta(minutes=settings.app.bin_minutes)
        self.sources: dict[str, Source] = {}
        self.source_configs = {s.name: s for s in settings.sources if s.enabled}
        #: Source name -> earliest next fetch (rate-limit waits and failure backoff).
        self.not_before: dict[str, datetime] = _saved_waits(store)
        for cfg in self.source_configs.values():
            try:
                self.sources[cfg.name] = build_source(cfg, settings, secrets)
            except SourceError as exc:
                store.record_failure(cfg.name, str(exc), self.clock.now(), state=exc.state)
        self.detectors = {s.id: self._make_detectors(s.id) for s in settings.streams}
        self._warm: set[str] = set()
        self.scheduler: BackgroundScheduler | None = None

    def _make_detectors(self, stream_id: str) -> StreamDetectors:
        settings = self.settings
        return StreamDetectors(
            bin_minutes=settings.app.bin_minutes,
            sensitivity=settings.stream(stream_id).sensitivity,
            min_bin_mentions=settings.thresholds.min_bin_mentions,
            close_after_quiet_bins=settings.thresholds.close_after_quiet_bins,
            request_share_incident=settings.thresholds.request_share_incident,
            cooldown_bins=round(settings.thresholds.cooldown_minutes / settings.app.bin_minutes))

    # ------------------------------------------------------------------ reload
    def reload(self, settings: Settings) -> None:
        """Apply saved settings without a restart (see :mod:`monitoring.settings_store`).

        Enrichment (stream terms, routing), SLA targets, detector knobs and sources take
        the new values; detectors of a changed stream re-learn their baseline from the
        rollup.  ``app.bin_minutes`` and ``app.database`` keep their running values.
        """
        old = self.settings
        settings = settings.model_copy(update={"app": settings.app.model_copy(update={
            "bin_minutes": old.app.bin_minutes, "database": old.app.database})})
        self.settings = settings
        self.enricher = Enricher(settings)
        self.ticket_due = TicketDue.from_settings(settings)
        knobs_changed = old.thresholds != settings.thresholds
        detectors = {}
        for s in settings.streams:
            keep = s.id in self.detectors and not knobs_changed and \
                any(o.id == s.id and o.sensitivity == s.sensitivity for o in old.streams)
            detectors[s.id] = self.detectors[s.id] if keep else self._make_detectors(s.id)
            if not keep:
                self._warm.discard(s.id)
        self.detectors = detectors
        previous = self.source_configs
        configs = self.source_configs = {c.name: c for c in settings.sources if c.enabled}
        for name in sorted(set(previous) | set(configs)):
            if previous.get(name) == configs.get(name) and name in self.sources:
                continue
            self.sources.pop(name, None)
            if self.scheduler is not None and self.scheduler.get_job(f"collect:{name}"):
                self.scheduler.remove_job(f"collect:{name}")
            cfg = configs.get(name)
            if cfg is None:
                continue
            try:
                self.sources[name] = build_source(cfg, settings)
            except SourceError as exc:
                self.store.record_failure(name, str(exc), self.clock.now(), state=exc.state)
                continue
            if self.scheduler is not None:
                self._schedule_collect(name)

    def _schedule_collect(self, name: str) -> None:
        assert self.scheduler is not None
        self.scheduler.add_job(self._safe(self.catch_up), "interval", args=[name],
                               seconds=self.source_configs[name].interval_seconds,
                               id=f"collect:{name}", max_instances=1, coalesce=True,
                               next_run_time=datetime.now(UTC), replace_existing=True)

    # ------------------------------------------------------------------ collect
    def collect(self, name: str) -> IngestResult | None:
        """Fetch, enrich and store one batch of a source; record its health."""
        source = self.sources[name]
        now = self.clock.now()
        wait = self.not_before.get(name)
        if wait is not None and now < wait:
            return None  # rate limited, out of budget or backing off: not yet
        cursor = self.store.get_cursor(name)
        try:
            result = source.fetch(cursor, now)
        except SourceError as exc:
            self._record_failure(name, str(exc), now, exc.state, exc.retry_after)
            return None
        except Exception as exc:  # noqa: BLE001 - a broken source must not stop the monitor
            log.error("source %s failed: %s", name, type(exc).__name__)
            self._record_failure(name, f"{type(exc).__name__}: {exc}", now, "failing", None)
            return None
        return self.store_fetch(name, result, now)

    def store_fetch(self, name: str, result: FetchResult, now: datetime,
                    health: bool = True) -> IngestResult:
        """Enrich a fetch result and store it with its cursor and rejects; record health.

        ``health=False`` for one-off imports, which are not sources the wall watches.
        """
        frame = self.ticket_due.add_columns(self.enricher.enrich(result.mentions))
        rejected = [(r.payload, r.reason) for r in result.rejected]
        outcome = self.store.ingest(name, frame, result.cursor, rejected, now=now)
        if not health:
            return outcome
        self.store.record_success(name, outcome.inserted, now, detail=result.detail)
        until = now + timedelta(seconds=result.retry_after) if result.retry_after else None
        if result.state != "ok":
            self.store.record_failure(name, result.detail or result.state, now, state=result.state)
        last_item = max((m.ts for m in result.mentions), default=None)
        self.store.record_status(name, rate_limited_until=until, next_attempt_at=until,
                                 budget=result.budget, last_item_at=last_item)
        if until is not None:
            self.not_before[name] = until
        else:
            self.not_before.pop(name, None)
        return outcome

    def _record_failure(self, name: str, error: str, now: datetime, state: str,
                        retry_after: float | None) -> None:
        """Record a failed fetch and when to try again.

        A known wait (``retry_after``, e.g. a rate limit's reset) is honoured as is;
        otherwise the wait doubles with each consecutive failure, from the source's
        interval up to :data:`MAX_BACKOFF_SECONDS`.
        """
        failures = self.store.consecutive_failures(name) + 1
        cfg = self.source_configs.get(name)
        if retry_after is not None:
            delay = max(0.0, retry_after)
        else:
            delay = backoff_seconds(failures, cfg.interval_seconds if cfg else 60.0)
        until = now + timedelta(seconds=delay)
        self.store.record_failure(name, error, now, state=state)
        self.store.record_status(name, failures=failures, next_attempt_at=until,
                                 rate_limited_until=until if retry_after is not None else None)
        self.not_before[name] = until

    def catch_up(self, name: str) -> int:
        """Collect one source until it has caught up with the clock; mentions inserted."""
        total = 0
        for _ in range(10_000):
            before = self.store.get_cursor(name)
            outcome = self.collect(name)
            if outcome is None:
                break
            total += outcome.inserted
            if self.store.get_cursor(name) == before or outcome.received == 0:
                break
        return total

    def collect_all(self) -> int:
        """Catch up every source; mentions inserted."""
        return sum(self.catch_up(name) for name in self.sources)

    # ------------------------------------------------------------------ detect
    def _closed_until(self) -> datetime:
        now = self.clock.now() - timedelta(seconds=5 * max(self.settings.app.speed, 1.0))
        width = self.bin.total_seconds()
        return datetime.fromtimestamp((now.timestamp() // width) * width, tz=UTC)

    def detect(self) -> list[AlertChange]:
        """Feed every newly closed bin of every stream to its detectors."""
        changes: list[AlertChange] = []
        until = self._closed_until()
        for stream, det in self.detectors.items():
            last = self.store.last_detected_bin(stream)
            start = last + self.bin if last else self.store.first_bin(stream)
            if start is None or start >= until:
                continue
            if stream not in self._warm and last is not None:
                self._rewarm(stream, det, last)
            self._warm.add(stream)
            band: list[tuple[datetime, float, float, float]] = []
            for stats in self._bins(stream, start, until):
                band.append((naive_utc(stats.bin_start), *det.volume.expected(stats.bin_start)))
                decisions = det.step(stats)
                if decisions:
                    changes += self._apply(stream, stats.bin_start, decisions)
            self.store.save_bin_band(stream, band, last_bin=until - self.bin)
        for change in changes:
            if self.on_alert:
                self.on_alert(change)
        return changes

    def _rewarm(self, stream: str, det: StreamDetectors, last: datetime) -> None:
        """After a restart, re-learn the last 14 days from the rollup (one query)."""
        for stats in self._bins(stream, last - timedelta(days=14) + self.bin, last + self.bin):
            det.volume.learn_one(stats.bin_start, stats.n)
            det.negative.learn_one(stats.bin_start, stats.n, stats.n_negative)

    def _bins(self, stream: str, start: datetime, end: datetime) -> Iterator[BinStats]:
        """Every bin of ``[start, end)`` from the rollup (one query), empty bins included."""
        rollup = self.store.bins_range(stream, start, end)
        rows = {utc(r.bin_start.to_pydatetime()): r for r in rollup.itertuples()}
        t = start
        while t < end:
            r = rows.get(t)
            yield (BinStats(stream, t, n=int(r.n), n_negative=int(r.n_negative),
                            n_request=int(r.n_request), n_polemic=int(r.n_polemic))
                   if r else BinStats(stream, t))
            t += self.bin

    def _apply(self, stream: str, t: datetime, decisions: list[Decision]) -> list[AlertChange]:
        out: list[AlertChange] = []
        now = naive_utc(self.clock.now())
        for d in decisions:
            existing = self.store.open_alert(stream, d.kind)
            if d.action in ("open", "update"):
                stats = self.store.bin_stats(stream, t, t + self.bin)
                texts = self.store.bin_texts(stream, t, t + self.bin)
                top = texts.nlargest(5, "priority")
                expl = dict(d.explanation, authors=stats.authors, reach=stats.reach,
                            top_terms=top_terms(list(texts["text"]), list(texts["lang"])),
                            sample_ids=[f"{s}:{i}" for s, i in zip(top["source"],
                                                                   top["source_id"])])
                d.explanation = expl
            with self.store.transaction() as cur:
                if d.action == "close":
                    if not existing:
                        continue
                    alert_id = existing["id"]
                    cur.execute(SQL_CLOSE_ALERT, [now, now, alert_id])
                elif existing:
                    alert_id = existing["id"]
                    cur.execute(SQL_UPDATE_ALERT, [d.severity, d.score, naive_utc(t), now,
                                                   d.observed, d.expected,
                                                   json.dumps(d.explanation), alert_id])
                else:
                    alert_id = cur.execute(SQL_INSERT_ALERT, [
                        stream, d.kind, d.severity, d.score, now, naive_utc(t), naive_utc(t),
                        now, d.observed, d.expected, json.dumps(d.explanation)]).fetchall()[0][0]
                    d.action = "open"
                cur.execute(SQL_INSERT_ALERT_EVENT, [alert_id, now, d.action, "system",
                                                     json.dumps(d.explanation)])
                if d.action in ("open", "update") and self.settings.escalation.rules:
                    auto_escalate(cur, self.store, self.settings, int(alert_id), d.kind,
                                  d.severity, now)
            out.append(AlertChange(int(alert_id), stream, d.kind, d.action, d.severity, d.score,
                                   t, float(d.observed), float(d.expected), d.explanation))
        return out

    # ------------------------------------------------------------------ privacy
    def retain(self) -> None:
        """Erase personal data older than ``privacy.retention_days`` (hourly job)."""
        from monitoring.privacy import apply_retention

        days = self.settings.privacy.retention_days
        if days:
            report = apply_retention(self.store, days, now=self.clock.now())
            if report.mentions or report.tickets or report.quarantined:
                log.info("retention: erased personal data of %d mentions older than %s",
                         report.mentions, report.cutoff)

    # ------------------------------------------------------------------ notify
    def ladder(self) -> list[tuple[int, int, list[str]]]:
        """Notify the next ladder level of escalations nobody acknowledged in time."""
        return advance_ladders(self.store, self.settings, now=self.clock.now())

    def deliver(self) -> DeliveryReport:
        """Send what the outbox holds (due rows only), with retries."""
        return deliver_due(self.store, self.settings, now=self.clock.now())

    def _check_notify_secrets(self) -> None:
        """Say at start, not at the first crisis, that escalations cannot carry a link."""
        if self.settings.contacts:
            try:
                signer_from_settings(self.settings)
            except TokenError as exc:
                log.error("escalations will fail: %s", exc)

    def notify(self) -> DeliveryReport:
        """The ladder, then delivery (what the ``demo`` command runs after each tick)."""
        self.ladder()
        return self.deliver()

    # ------------------------------------------------------------------ run
    def tick(self) -> list[AlertChange]:
        self.collect_all()
        return self.detect()

    def start(self) -> None:
        """Start the background scheduler (idempotent)."""
        if self.scheduler is not None:
            return
        self._check_notify_secrets()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        for name in self.source_configs:
            if name in self.sources:
                self._schedule_collect(name)
        self.scheduler.add_job(self._safe(self.detect), "interval", seconds=1, id="detect",
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self._safe(self.ladder), "interval", seconds=5, id="ladder",
                               max_instances=1, coalesce=True)
        self.scheduler.add_job(self._safe(self.deliver), "interval", id="deliver",
                               seconds=self.settings.notify.interval_seconds,
                               max_instances=1, coalesce=True)
        if self.settings.privacy.retention_days:
            self.scheduler.add_job(self._safe(self.retain), "interval", hours=1, id="retention",
                                   max_instances=1, coalesce=True,
                                   next_run_time=datetime.now(UTC))
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None

    @staticmethod
    def _safe(fn: Callable[..., object]) -> Callable[..., None]:
        def run(*args: object) -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("job %s failed", getattr(fn, "__name__", fn))
        return run
