"""The Monitor: one object owning the store, the sources, the detectors and the scheduler.

Each collect job: fetch since the saved cursor -> normalise (by the source) -> enrich in
batch -> insert mentions + cursor in one transaction.  The detect job feeds every closed
bin to the stream's detectors once (a mark per stream is saved with the alert changes)
and opens, updates or closes alerts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import threading
import time as _time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from apscheduler.schedulers.background import BackgroundScheduler

from monitoring.alerts import (
    Decision,
    StreamDetectors,
    own_terms,
    term_authors,
    top_terms,
    with_authors,
)
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

#: Texts of a stream's mentions in ``[start, end)``, for per-bin authors and topic terms.
SQL_DETECT_TEXTS = """
SELECT ts, author, text, lang FROM mentions WHERE stream = ? AND ts >= ? AND ts < ?
"""

#: Write failures that mean the database cannot take writes right now (file read-only,
#: disk full, I/O error): the monitor pauses writing and retries, it never skips data.
STORE_FAULTS: tuple[type[BaseException], ...] = (
    duckdb.IOException, duckdb.TransactionException, duckdb.PermissionException,
    duckdb.OutOfMemoryException, OSError)

#: Detection further behind than this is catching up with history (the wall says so).
CATCH_UP_AFTER = timedelta(minutes=30)

#: A mention dated later than this after the monitor's clock is quarantined, not stored.
FUTURE_TOLERANCE = timedelta(minutes=15)

_PACKAGE = Path(__file__).resolve().parent
#: Changes with the detectors' code: a snapshot taken by another version is not restored.
DETECTOR_CODE = hashlib.sha256(b"".join(
    p.read_bytes() for p in sorted([_PACKAGE / "alerts.py", *(_PACKAGE / "detect").glob("*.py")])
)).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    """What the wall shows about the monitor itself (see :meth:`Monitor.status`).

    ``store_paused`` is true while the database refuses writes; nothing is lost meanwhile:
    cursors and detector marks stay where they were and the same items are fetched again.

    >>> MonitorStatus(False, "", None, 0).store_paused
    False
    """

    store_paused: bool
    store_error: str
    store_paused_since: datetime | None
    store_failures: int
    catch_up: CatchUp | None = None


@dataclass(frozen=True, slots=True)
class CatchUp:
    """The monitor is still working through history, so the wall is not current yet.

    ``phase`` is ``"collect"`` while ``sources`` deliver their backfill or backlog
    (``reached``: the newest item they have delivered so far, ``None`` before the first
    one) and ``"detect"`` while the detectors go through the stored bins (``reached``:
    the bin being analysed).  Alerts only open once both are done.

    >>> CatchUp("collect", ("demo",), None).sources
    ('demo',)
    """

    phase: str
    sources: tuple[str, ...]
    reached: datetime | None


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
        self.enricher = Enricher(settings, models_dir=None if store.path == ":memory:"
                                 else Path(store.path).parent)
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
        self._store_fault: tuple[str, datetime, int] | None = None
        self._stopping = threading.Event()
        #: Sources whose first catch-up (a backfill, a backlog) has not finished yet, and
        #: sources working through a backlog now: detection waits for them, or it would
        #: learn the bins still being filled as empty and never see their mentions.
        self._awaiting_first: set[str] = set()
        self._backlog: set[str] = set()
        #: How far the catch-up has come (see :meth:`status`): the newest item each
        #: source delivered, and the bin detection is at while it works through history.
        self._reached: dict[str, datetime] = {}
        self._analysing: datetime | None = None

    def _detector_args(self, stream_id: str) -> dict[str, object]:
        s, t = self.settings.stream(stream_id), self.settings.thresholds
        return {"bin_minutes": self.settings.app.bin_minutes, "sensitivity": s.sensitivity,
                "min_bin_mentions": t.min_bin_mentions,
                "close_after_quiet_bins": t.close_after_quiet_bins,
                "request_share_incident": t.request_share_incident,
                "cooldown_bins": round(t.cooldown_minutes / self.settings.app.bin_minutes),
                "min_topic_authors": t.min_topic_authors,
                "critical_min_authors": t.critical_min_authors,
                "critical_severity": t.critical_severity}

    def _own_terms(self, stream_id: str) -> frozenset[str]:
        """The stream's name, keywords and handles as topic tokens, left out of its terms."""
        try:
            return own_terms(self.settings.stream(stream_id))
        except KeyError:  # a stream no longer configured keeps its history
            return frozenset()

    def _make_detectors(self, stream_id: str) -> StreamDetectors:
        return StreamDetectors(**self._detector_args(stream_id))  # type: ignore[arg-type]

    def _fingerprint(self, stream: str) -> str:
        args = json.dumps(self._detector_args(stream), sort_keys=True)
        return f"{DETECTOR_CODE}:{hashlib.sha256(args.encode()).hexdigest()[:16]}"

    def _snapshot(self, stream: str) -> tuple[str, bytes]:
        return self._fingerprint(stream), pickle.dumps(self.detectors[stream])

    def _restore(self, stream: str, last: datetime) -> bool:
        """Resume the detectors from the snapshot saved with the mark ``last``, if it fits."""
        saved = self.store.detector_state(stream)
        if saved is None or saved[0] != last or saved[1] != self._fingerprint(stream):
            return False
        try:  # the snapshot was written by this installation's own detect job
            det = pickle.loads(saved[2])
        except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError,
                ValueError):  # an unreadable snapshot: re-learn from the rollup instead
            log.warning("detector state of %s unreadable; re-learning from the rollup", stream)
            return False
        if not isinstance(det, StreamDetectors):
            return False
        self.detectors[stream] = det
        return True

    # ------------------------------------------------------------------ store faults
    def status(self) -> MonitorStatus:
        """Whether writing is paused because the database refuses writes, and why; and
        whether the monitor is still catching up with history (:class:`CatchUp`)."""
        catching = self._catching_up()
        analysing = self._analysing
        catch_up = None
        if catching:
            reached = [self._reached[s] for s in catching if s in self._reached]
            catch_up = CatchUp("collect", tuple(catching), min(reached) if reached else None)
        elif analysing is not None:
            catch_up = CatchUp("detect", (), analysing)
        fault = self._store_fault
        if fault is None:
            return MonitorStatus(False, "", None, 0, catch_up)
        return MonitorStatus(True, fault[0], fault[1], fault[2], catch_up)

    def _store_failed(self, exc: BaseException, now: datetime) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        since, failures = (self._store_fault[1], self._store_fault[2]) if self._store_fault \
            else (now, 0)
        if self._store_fault is None:
            log.error("database refuses writes, writing paused (cursors kept): %s", error)
        self._store_fault = (error, since, failures + 1)

    def _store_ok(self, now: datetime) -> None:
        fault, self._store_fault = self._store_fault, None
        if fault is None:
            return
        log.warning("database writable again, writing resumed after %d failed attempt(s)",
                    fault[2])
        try:
            with self.store.transaction() as cur:
                self.store.audit(cur, "system", "store_resumed", "store", None,
                                 {"error": fault[0], "since": fault[1].isoformat(),
                                  "failures": fault[2]}, now)
        except STORE_FAULTS as exc:
            self._store_failed(exc, now)

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
            try:
                result = source.fetch(cursor, now)
            except SourceError as exc:
                self._record_failure(name, str(exc), now, exc.state, exc.retry_after)
                outcome = None
            except Exception as exc:  # noqa: BLE001 - a broken source must not stop the monitor
                log.error("source %s failed: %s", name, type(exc).__name__)
                self._record_failure(name, f"{type(exc).__name__}: {exc}", now, "failing", None)
                outcome = None
            else:
                outcome = self.store_fetch(name, result, now)
        except STORE_FAULTS as exc:  # nothing committed: the same items are fetched again
            self._store_failed(exc, now)
            return None
        self._store_ok(now)
        return outcome

    def store_fetch(self, name: str, result: FetchResult, now: datetime,
                    health: bool = True, enriched: pd.DataFrame | None = None) -> IngestResult:
        """Enrich a fetch result and store it with its cursor and rejects; record health.

        ``health=False`` for one-off imports, which are not sources the wall watches.
        Mentions dated more than ``FUTURE_TOLERANCE`` after ``now`` are quarantined.
        ``enriched``, when given, is the enrichment of all ``result.mentions`` done
        elsewhere (:class:`~monitoring.enrich.workers.EnrichPool`), row for row.
        """
        limit = utc(now) + FUTURE_TOLERANCE
        keep = [m.ts <= limit for m in result.mentions]
        future = [m for m, ok in zip(result.mentions, keep) if not ok]
        if enriched is None:
            mentions = [m for m, ok in zip(result.mentions, keep) if ok]
            enriched = self.enricher.enrich(mentions)
        elif len(enriched) != len(result.mentions):
            raise ValueError(f"{len(enriched)} enriched rows for {len(result.mentions)} mentions")
        elif future:
            enriched = enriched[keep].reset_index(drop=True)
        frame = self.ticket_due.add_columns(enriched)
        max_age = self.settings.app.ticket_max_age_hours
        if max_age is not None and len(frame):  # history opens no ticket
            old = pd.to_datetime(frame["ts"]) < naive_utc(now - timedelta(hours=max_age))
            frame.loc[old, ["first_response_due", "resolution_due"]] = pd.NaT
        rejected = [(r.payload, r.reason) for r in result.rejected] + [
            (m.raw or json.dumps({"id": m.source_id, "ts": m.ts.isoformat()}),
             f"timestamp in the future ({m.ts.isoformat()})") for m in future]
        outcome = self.store.ingest(name, frame, result.cursor, rejected, now=now)
        if not health:
            return outcome
        self.store.record_success(name, outcome.inserted, now, detail=result.detail)
        until = now + timedelta(seconds=result.retry_after) if result.retry_after else None
        if result.state != "ok":
            self.store.record_failure(name, result.detail or result.state, now, state=result.state)
        last_item = max((m.ts for m in result.mentions), default=None)
        if last_item is not None:
            self._reached[name] = max(last_item, self._reached.get(name, last_item))
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
        try:
            for chunk in range(10_000):
                if self._stopping.is_set():  # stop() does not wait for a long catch-up
                    break
                if chunk >= 2:  # a third fetch in a row: this source works off a backlog
                    self._backlog.add(name)
                before = self.store.get_cursor(name)
                outcome = self.collect(name)
                if outcome is None:
                    break
                total += outcome.inserted
                if self.store.get_cursor(name) == before or outcome.received == 0:
                    break
        finally:
            self._backlog.discard(name)
            self._awaiting_first.discard(name)
        return total

    def _catching_up(self) -> list[str]:
        """Configured sources still on their first catch-up or working off a backlog.

        Copies the sets first: the wall asks from its own thread while jobs change them.
        """
        return sorted((set(self._awaiting_first) | set(self._backlog)) & set(self.sources))

    def collect_all(self) -> int:
        """Catch up every source; mentions inserted."""
        return sum(self.catch_up(name) for name in self.sources)

    # ------------------------------------------------------------------ detect
    def _closed_until(self) -> datetime:
        now = self.clock.now() - timedelta(seconds=5 * max(self.settings.app.speed, 1.0))
        width = self.bin.total_seconds()
        return datetime.fromtimestamp((now.timestamp() // width) * width, tz=UTC)

    def detect(self) -> list[AlertChange]:
        """Feed every newly closed bin of every stream to its detectors.

        Waits (returns no change) while a source is still catching up: bins are only
        closed once every source has delivered them.
        """
        changes: list[AlertChange] = []
        if self._catching_up():
            return changes
        until = self._closed_until()
        for stream in list(self.detectors):
            try:
                changes += self._detect_stream(stream, until)
            except STORE_FAULTS as exc:
                # The mark was not saved: re-learn from the rollup and re-feed these bins.
                self._store_failed(exc, self.clock.now())
                self.detectors[stream] = self._make_detectors(stream)
                self._warm.discard(stream)
        for change in changes:
            if self.on_alert:
                self.on_alert(change)
        return changes

    def _detect_stream(self, stream: str, until: datetime) -> list[AlertChange]:
        changes: list[AlertChange] = []
        last = self.store.last_detected_bin(stream)
        start = last + self.bin if last else self.store.first_bin(stream)
        if start is not None and not last:  # align the first bin to the bin width
            width = self.bin.total_seconds()
            start = datetime.fromtimestamp((start.timestamp() // width) * width, tz=UTC)
        if start is None or start >= until:
            return changes
        if stream not in self._warm and last is not None and not self._restore(stream, last):
            self._rewarm(stream, self.detectors[stream], last)
        self._warm.add(stream)
        det = self.detectors[stream]
        band: list[tuple[datetime, float, float, float]] = []
        history = until - start > CATCH_UP_AFTER  # working through history: say how far
        try:
            for stats in self._bins(stream, start, until):
                if history:
                    self._analysing = stats.bin_start
                band.append((naive_utc(stats.bin_start), *det.volume.expected(stats.bin_start)))
                decisions = det.step(stats)
                if decisions:  # alert changes, band, mark and detector state: one transaction
                    changes += self._apply(stream, stats.bin_start, decisions, band)
                    band = []
            self.store.save_bin_band(stream, band, last_bin=until - self.bin,
                                     state=self._snapshot(stream))
        finally:
            if history:
                self._analysing = None
        return changes

    def _rewarm(self, stream: str, det: StreamDetectors, last: datetime) -> None:
        """After a restart, re-learn up to 14 days from the rollup (one query).

        Only the stream's own history is re-learned: a shorter history starts at its first
        bin, never with days of empty bins that would teach the baseline zeros.
        """
        start = last - timedelta(days=14) + self.bin
        first = self.store.first_bin(stream)
        if first is not None and first > start:
            width = self.bin.total_seconds()
            start = datetime.fromtimestamp((first.timestamp() // width) * width, tz=UTC)
        # Terms are re-learned over their last day only (their half-life): tokenising two
        # weeks of texts would make a restart slow on a busy stream.
        day = self.bin * max(1, timedelta(days=1) // self.bin)  # whole bins
        for stats in self._bins(stream, start, last + self.bin, terms_from=last - day):
            det.learn(stats)

    def _bins(self, stream: str, start: datetime, end: datetime,
              terms_from: datetime | None = None) -> Iterator[BinStats]:
        """Every bin of ``[start, end)``, empty bins included, a day per two queries.

        Counts come from the per-minute rollup; distinct authors and, for each term,
        the number of distinct authors who used it come from the mentions' texts (from
        ``terms_from`` on, when given).
        """
        t = start
        while t < end:
            chunk_end = min(end, t + self.bin * max(1, timedelta(days=1) // self.bin))
            if terms_from is not None and t < terms_from < chunk_end:
                chunk_end = terms_from
            texts = terms_from is None or chunk_end > terms_from
            yield from self._bins_chunk(stream, t, chunk_end, texts)
            t = chunk_end

    def _bins_chunk(self, stream: str, start: datetime, end: datetime,
                    with_texts: bool = True) -> Iterator[BinStats]:
        rollup = self.store.bins_range(stream, start, end)
        width = self.bin.total_seconds()
        texts = self.store.reader().execute(
            SQL_DETECT_TEXTS, [stream, naive_utc(start), naive_utc(end)]
        ).fetchall() if with_texts else []
        by_bin: dict[datetime, list[tuple[str | None, str | None, str | None]]] = {}
        for ts, author, text, lang in texts:
            key = datetime.fromtimestamp((utc(ts).timestamp() // width) * width, tz=UTC)
            by_bin.setdefault(key, []).append((author, text, lang))
        rows: dict[datetime, list[int]] = {}
        for r in rollup.itertuples():  # the rollup is per minute: sum minutes into bins
            minute = utc(r.bin_start.to_pydatetime())
            key = datetime.fromtimestamp((minute.timestamp() // width) * width, tz=UTC)
            acc = rows.setdefault(key, [0, 0, 0, 0])
            for i, value in enumerate((r.n, r.n_negative, r.n_request, r.n_polemic)):
                acc[i] += int(value)
        own = self._own_terms(stream)
        t = start
        while t < end:
            n, n_negative, n_request, n_polemic = rows.get(t, (0, 0, 0, 0))
            posts = by_bin.get(t, [])
            authors = [a for a, _, _ in posts]
            terms = term_authors([x for _, x, _ in posts], [g for _, _, g in posts], authors,
                                 exclude=own)
            yield BinStats(stream, t, n=n, n_negative=n_negative, n_request=n_request,
                           n_polemic=n_polemic, authors=len({a for a in authors if a}),
                           terms=terms)
            t += self.bin

    def _apply(self, stream: str, t: datetime, decisions: list[Decision],
               band: list[tuple[datetime, float, float, float]]) -> list[AlertChange]:
        out: list[AlertChange] = []
        now = naive_utc(self.clock.now())
        for d in decisions:
            if d.action in ("open", "update"):
                # Unique authors and reach of the whole event; terms and samples of this bin.
                since = d.since or t
                stats = self.store.bin_stats(stream, since, t + self.bin)
                texts = self.store.bin_texts(stream, t, t + self.bin)
                top = texts.nlargest(5, "priority")
                d.explanation = dict(
                    d.explanation,
                    top_terms=top_terms(list(texts["text"]), list(texts["lang"]),
                                        exclude=self._own_terms(stream)),
                    sample_ids=[f"{s}:{i}" for s, i in zip(top["source"], top["source_id"])])
                det = self.detectors[stream]
                with_authors(d, stats.authors, stats.reach, det.critical_min_authors,
                             det.critical_severity)
        with self.store.transaction() as cur:
            for d in decisions:
                existing = self.store.open_alert(stream, d.kind)
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
                out.append(AlertChange(int(alert_id), stream, d.kind, d.action, d.severity,
                                       d.score, t, float(d.observed), float(d.expected),
                                       d.explanation))
            self.store.save_detect_mark(cur, stream, band, t, self._snapshot(stream))
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
        self._stopping.clear()
        self._awaiting_first = set(self.sources)
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
        """Stop the scheduler after the running jobs' current batch (a catch-up stops early)."""
        self._stopping.set()
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
