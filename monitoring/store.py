"""The DuckDB store: versioned schema, named parameterised SQL, batch ingest.

Every write goes through one :class:`Store` (one writer per process, serialised by a
lock); readers take their own cursor with :meth:`Store.reader`.  Mentions are inserted
from Arrow/pandas frames, never row by row, and the source cursor is saved in the same
transaction, so a crash at any point leaves either the whole batch with its cursor or
neither.  A per-minute rollup (``bins``) is maintained in that transaction as well, so
charts never scan raw mentions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from monitoring.models import ENRICHED_COLUMNS, MENTION_COLUMNS, BinStats, utc

# --------------------------------------------------------------------------- schema
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS mentions (
        source VARCHAR NOT NULL,
        source_id VARCHAR NOT NULL,
        stream VARCHAR NOT NULL,
        ts TIMESTAMP NOT NULL,
        author VARCHAR NOT NULL,
        author_reach BIGINT NOT NULL DEFAULT 0,
        text VARCHAR,
        url VARCHAR,
        lang_hint VARCHAR,
        reply_to VARCHAR,
        raw VARCHAR,
        lang VARCHAR,
        sentiment DOUBLE,
        sentiment_label VARCHAR,
        category VARCHAR,
        department VARCHAR,
        pii_kinds VARCHAR[],
        priority DOUBLE,
        priority_reasons VARCHAR[],
        batch_id BIGINT NOT NULL,
        ingested_at TIMESTAMP NOT NULL,
        PRIMARY KEY (source, source_id)
    );
    CREATE SEQUENCE IF NOT EXISTS batch_seq;
    CREATE TABLE IF NOT EXISTS bins (
        stream VARCHAR NOT NULL,
        bin_start TIMESTAMP NOT NULL,
        category VARCHAR NOT NULL,
        n BIGINT NOT NULL,
        n_negative BIGINT NOT NULL,
        n_positive BIGINT NOT NULL,
        reach BIGINT NOT NULL,
        PRIMARY KEY (stream, bin_start, category)
    );
    CREATE TABLE IF NOT EXISTS cursors (
        source VARCHAR PRIMARY KEY,
        cursor VARCHAR,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS source_health (
        source VARCHAR PRIMARY KEY,
        state VARCHAR NOT NULL,
        last_success TIMESTAMP,
        last_attempt TIMESTAMP,
        last_error VARCHAR,
        last_error_at TIMESTAMP,
        items_fetched BIGINT NOT NULL DEFAULT 0,
        detail VARCHAR
    );
    CREATE TABLE IF NOT EXISTS quarantine (
        id BIGINT PRIMARY KEY DEFAULT nextval('quarantine_seq'),
        source VARCHAR NOT NULL,
        received_at TIMESTAMP NOT NULL,
        reason VARCHAR NOT NULL,
        payload VARCHAR
    );
    CREATE TABLE IF NOT EXISTS detector_marks (
        stream VARCHAR PRIMARY KEY,
        last_bin TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alerts (
        id BIGINT PRIMARY KEY DEFAULT nextval('alert_seq'),
        stream VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        state VARCHAR NOT NULL,
        severity INTEGER NOT NULL,
        score DOUBLE NOT NULL,
        opened_at TIMESTAMP NOT NULL,
        first_bin TIMESTAMP NOT NULL,
        last_bin TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        closed_at TIMESTAMP,
        observed DOUBLE,
        expected DOUBLE,
        explanation VARCHAR
    );
    CREATE TABLE IF NOT EXISTS alert_events (
        id BIGINT PRIMARY KEY DEFAULT nextval('alert_event_seq'),
        alert_id BIGINT NOT NULL,
        ts TIMESTAMP NOT NULL,
        event VARCHAR NOT NULL,
        actor VARCHAR NOT NULL,
        detail VARCHAR
    );
    CREATE TABLE IF NOT EXISTS escalations (
        id BIGINT PRIMARY KEY DEFAULT nextval('escalation_seq'),
        alert_id BIGINT NOT NULL,
        level INTEGER NOT NULL,
        contact VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        created_by VARCHAR NOT NULL,
        message VARCHAR,
        state VARCHAR NOT NULL,
        ack_deadline TIMESTAMP,
        acknowledged_at TIMESTAMP,
        acknowledged_by VARCHAR
    );
    CREATE TABLE IF NOT EXISTS outbox (
        id BIGINT PRIMARY KEY DEFAULT nextval('outbox_seq'),
        escalation_id BIGINT NOT NULL,
        channel VARCHAR NOT NULL,
        target VARCHAR NOT NULL,
        idempotency_key VARCHAR NOT NULL UNIQUE,
        payload VARCHAR NOT NULL,
        state VARCHAR NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMP NOT NULL,
        last_error VARCHAR,
        sent_at TIMESTAMP
    );
    CREATE TABLE IF NOT EXISTS tickets (
        id BIGINT PRIMARY KEY DEFAULT nextval('ticket_seq'),
        source VARCHAR NOT NULL,
        source_id VARCHAR NOT NULL,
        stream VARCHAR NOT NULL,
        department VARCHAR NOT NULL,
        state VARCHAR NOT NULL,
        assignee VARCHAR,
        created_at TIMESTAMP NOT NULL,
        first_response_at TIMESTAMP,
        resolved_at TIMESTAMP,
        UNIQUE (source, source_id)
    );
    CREATE TABLE IF NOT EXISTS labels (
        id BIGINT PRIMARY KEY DEFAULT nextval('label_seq'),
        source VARCHAR,
        source_id VARCHAR,
        text VARCHAR,
        field VARCHAR NOT NULL,
        value VARCHAR NOT NULL,
        actor VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS annotations (
        id BIGINT PRIMARY KEY DEFAULT nextval('annotation_seq'),
        stream VARCHAR,
        ts TIMESTAMP NOT NULL,
        text VARCHAR NOT NULL,
        actor VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS audit_log (
        id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
        ts TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        target_type VARCHAR,
        target_id VARCHAR,
        detail VARCHAR
    );
    """,
    # Inbox, users and settings: tickets carry what the queues sort and time by.
    2: """
    ALTER TABLE tickets ADD COLUMN author VARCHAR;
    ALTER TABLE tickets ADD COLUMN priority DOUBLE;
    ALTER TABLE tickets ADD COLUMN first_response_due TIMESTAMP;
    ALTER TABLE tickets ADD COLUMN resolution_due TIMESTAMP;
    ALTER TABLE tickets ADD COLUMN updated_at TIMESTAMP;
    ALTER TABLE tickets ADD COLUMN closed_reason VARCHAR;
    ALTER TABLE labels ADD COLUMN origin VARCHAR;
    CREATE TABLE IF NOT EXISTS users (
        username VARCHAR PRIMARY KEY,
        display_name VARCHAR,
        role VARCHAR NOT NULL,
        password_hash VARCHAR,
        email VARCHAR,
        created_at TIMESTAMP NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT false
    );
    CREATE TABLE IF NOT EXISTS settings_revisions (
        id BIGINT PRIMARY KEY DEFAULT nextval('settings_revision_seq'),
        created_at TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        document VARCHAR NOT NULL,
        note VARCHAR
    );
    """,
    # Escalation: which ladder (or single contact) an escalation belongs to; outbox rows
    # name the contact, never its address or webhook URL (resolved at delivery).
    3: """
    ALTER TABLE escalations ADD COLUMN target VARCHAR;
    ALTER TABLE escalations ADD COLUMN ladder VARCHAR;
    ALTER TABLE outbox ADD COLUMN created_at TIMESTAMP;
    """,
    # What the volume detector expected of each closed bin (the band drawn on charts).
    10: """
    CREATE TABLE IF NOT EXISTS bin_band (
        stream VARCHAR NOT NULL,
        bin_start TIMESTAMP NOT NULL,
        expected DOUBLE NOT NULL,
        low DOUBLE NOT NULL,
        high DOUBLE NOT NULL,
        PRIMARY KEY (stream, bin_start)
    );
    """,
    # Sources: rate-limit waits, backoff after failures, paid read budgets, last item seen.
    11: """
    ALTER TABLE source_health ADD COLUMN rate_limited_until TIMESTAMP;
    ALTER TABLE source_health ADD COLUMN next_attempt_at TIMESTAMP;
    ALTER TABLE source_health ADD COLUMN consecutive_failures INTEGER DEFAULT 0;
    ALTER TABLE source_health ADD COLUMN budget_used BIGINT;
    ALTER TABLE source_health ADD COLUMN budget_limit BIGINT;
    ALTER TABLE source_health ADD COLUMN last_item_at TIMESTAMP;
    """,
    # Detector state saved with the detect mark, so a restart resumes detection exactly
    # (open alerts, quiet-bin and cooldown counters) instead of re-learning from the rollup.
    16: """
    CREATE TABLE IF NOT EXISTS detector_state (
        stream VARCHAR PRIMARY KEY,
        last_bin TIMESTAMP NOT NULL,
        fingerprint VARCHAR NOT NULL,
        state BLOB NOT NULL
    );
    """,
}
#: Version of a fully migrated database.
SCHEMA_VERSION = max(MIGRATIONS)

_SEQUENCES = (
    "quarantine_seq", "alert_seq", "alert_event_seq", "escalation_seq", "outbox_seq",
    "ticket_seq", "label_seq", "annotation_seq", "audit_seq", "settings_revision_seq",
)

# ------------------------------------------------------------------------ named SQL
SQL_SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)
"""
SQL_SCHEMA_VERSION = "SELECT coalesce(max(version), 0) FROM schema_version"
SQL_RECORD_VERSION = "INSERT INTO schema_version VALUES (?, ?)"

SQL_NEXT_BATCH = "SELECT nextval('batch_seq')"
SQL_INSERT_MENTIONS = f"""
INSERT INTO mentions
SELECT {", ".join(MENTION_COLUMNS + ENRICHED_COLUMNS)}, ? AS batch_id, ? AS ingested_at
FROM staged
ON CONFLICT DO NOTHING
"""
SQL_COUNT_BATCH = "SELECT count(*) FROM mentions WHERE batch_id = ?"
SQL_ROLLUP_BATCH = """
INSERT INTO bins
SELECT stream, date_trunc('minute', ts) AS bin_start, category,
       count(*) AS n,
       count(*) FILTER (WHERE sentiment_label = 'negative') AS n_negative,
       count(*) FILTER (WHERE sentiment_label = 'positive') AS n_positive,
       sum(author_reach) AS reach
FROM mentions WHERE batch_id = ?
GROUP BY ALL
ON CONFLICT (stream, bin_start, category) DO UPDATE SET
    n = bins.n + excluded.n,
    n_negative = bins.n_negative + excluded.n_negative,
    n_positive = bins.n_positive + excluded.n_positive,
    reach = bins.reach + excluded.reach
"""
#: Every newly inserted request opens a ticket (due times come with the staged batch).
SQL_TICKETS_FROM_BATCH = """
INSERT INTO tickets (source, source_id, stream, department, state, created_at, author,
                     priority, first_response_due, resolution_due, updated_at)
SELECT m.source, m.source_id, m.stream, coalesce(m.department, ''), 'open', m.ts, m.author,
       m.priority, s.first_response_due, s.resolution_due, ?
FROM mentions m JOIN staged s ON m.source = s.source AND m.source_id = s.source_id
WHERE m.batch_id = ? AND m.category = 'request' AND s.first_response_due IS NOT NULL
ON CONFLICT (source, source_id) DO NOTHING
"""
SQL_UPSERT_CURSOR = """
INSERT INTO cursors VALUES (?, ?, ?)
ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
"""
SQL_GET_CURSOR = "SELECT cursor FROM cursors WHERE source = ?"
SQL_INSERT_QUARANTINE = """
INSERT INTO quarantine (source, received_at, reason, payload) VALUES (?, ?, ?, ?)
"""
SQL_COUNT_QUARANTINE = "SELECT count(*) FROM quarantine WHERE source = ?"
SQL_HEALTH_OK = """
INSERT INTO source_health (source, state, last_success, last_attempt, items_fetched, detail)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (source) DO UPDATE SET state = excluded.state, last_success = excluded.last_success,
    last_attempt = excluded.last_attempt,
    items_fetched = source_health.items_fetched + excluded.items_fetched,
    detail = excluded.detail
"""
SQL_HEALTH_ERROR = """
INSERT INTO source_health (source, state, last_attempt, last_error, last_error_at, detail)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (source) DO UPDATE SET state = excluded.state, last_attempt = excluded.last_attempt,
    last_error = excluded.last_error, last_error_at = excluded.last_error_at,
    detail = excluded.detail
"""
SQL_SOURCE_HEALTH = """
SELECT source, state, last_success, last_attempt, last_error, last_error_at, items_fetched, detail
FROM source_health ORDER BY source
"""
#: Source status after a fetch (migration 11); NULL budget/last item keep the stored ones.
SQL_HEALTH_STATUS = """
UPDATE source_health SET rate_limited_until = ?, next_attempt_at = ?, consecutive_failures = ?,
    budget_used = coalesce(?, budget_used), budget_limit = coalesce(?, budget_limit),
    last_item_at = CASE WHEN last_item_at IS NULL OR ? > last_item_at THEN coalesce(?, last_item_at)
                        ELSE last_item_at END
WHERE source = ?
"""
SQL_HEALTH_FAILURES = "SELECT coalesce(consecutive_failures, 0) FROM source_health WHERE source = ?"
SQL_SOURCE_STATUS = """
SELECT source, state, last_success, last_attempt, last_error, last_error_at, items_fetched, detail,
       rate_limited_until, next_attempt_at, consecutive_failures, budget_used, budget_limit,
       last_item_at
FROM source_health ORDER BY source
"""
SQL_BIN_STATS = """
SELECT count(*) AS n,
       count(*) FILTER (WHERE sentiment_label = 'negative') AS n_negative,
       count(*) FILTER (WHERE sentiment_label = 'positive') AS n_positive,
       count(*) FILTER (WHERE category = 'request') AS n_request,
       count(*) FILTER (WHERE category = 'polemic') AS n_polemic,
       count(*) FILTER (WHERE category = 'praise') AS n_praise,
       count(*) FILTER (WHERE category = 'other') AS n_other,
       count(DISTINCT author) AS authors,
       coalesce(sum(author_reach), 0) AS reach
FROM mentions WHERE stream = ? AND ts >= ? AND ts < ?
"""
SQL_BIN_TEXTS = """
SELECT source, source_id, text, lang, category, sentiment, priority, author
FROM mentions WHERE stream = ? AND ts >= ? AND ts < ?
"""
SQL_BINS_RANGE = """
SELECT bin_start, sum(n) AS n, sum(n_negative) AS n_negative, sum(n_positive) AS n_positive,
       coalesce(sum(n) FILTER (WHERE category = 'request'), 0) AS n_request,
       coalesce(sum(n) FILTER (WHERE category = 'polemic'), 0) AS n_polemic
FROM bins WHERE stream = ? AND bin_start >= ? AND bin_start < ?
GROUP BY bin_start ORDER BY bin_start
"""
SQL_LAST_BIN = "SELECT last_bin FROM detector_marks WHERE stream = ?"
SQL_SET_LAST_BIN = """
INSERT INTO detector_marks VALUES (?, ?)
ON CONFLICT (stream) DO UPDATE SET last_bin = excluded.last_bin
"""
SQL_SAVE_BAND = """
INSERT INTO bin_band SELECT ? AS stream, bin_start, expected, low, high FROM band
ON CONFLICT (stream, bin_start) DO UPDATE SET expected = excluded.expected,
    low = excluded.low, high = excluded.high
"""
SQL_BAND_RANGE = """
SELECT bin_start, expected, low, high FROM bin_band
WHERE stream = ? AND bin_start >= ? AND bin_start < ? ORDER BY bin_start
"""
SQL_SAVE_DETECTOR_STATE = """
INSERT INTO detector_state VALUES (?, ?, ?, ?)
ON CONFLICT (stream) DO UPDATE SET last_bin = excluded.last_bin,
    fingerprint = excluded.fingerprint, state = excluded.state
"""
SQL_DETECTOR_STATE = "SELECT last_bin, fingerprint, state FROM detector_state WHERE stream = ?"
SQL_FIRST_MENTION = "SELECT min(bin_start) FROM bins WHERE stream = ?"
SQL_LATEST_MENTIONS = """
SELECT ts, stream, source, author, author_reach, text, lang, sentiment, sentiment_label,
       category, department, pii_kinds, priority
FROM mentions WHERE stream = ? AND ts >= ? ORDER BY ts DESC LIMIT ?
"""
SQL_TOP_PRIORITY = """
SELECT ts, stream, source, source_id, author, author_reach, text, lang, sentiment_label,
       category, department, pii_kinds, priority, priority_reasons
FROM mentions WHERE stream = ? AND ts >= ? ORDER BY priority DESC, ts DESC LIMIT ?
"""
SQL_OPEN_ALERT = """
SELECT id, stream, kind, state, severity, score, opened_at, first_bin, last_bin, updated_at,
       closed_at, observed, expected, explanation
FROM alerts WHERE stream = ? AND kind = ? AND closed_at IS NULL
"""
SQL_INSERT_ALERT = """
INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, last_bin,
                    updated_at, observed, expected, explanation)
VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
"""
SQL_UPDATE_ALERT = """
UPDATE alerts SET severity = greatest(severity, ?), score = greatest(score, ?), last_bin = ?,
    updated_at = ?, observed = ?, expected = ?, explanation = ?
WHERE id = ?
"""
SQL_CLOSE_ALERT = """
UPDATE alerts SET closed_at = ?, updated_at = ?,
    state = CASE WHEN state IN ('open', 'acknowledged', 'escalated') THEN 'resolved' ELSE state END
WHERE id = ?
"""
SQL_SET_ALERT_STATE = "UPDATE alerts SET state = ?, updated_at = ? WHERE id = ?"
SQL_INSERT_ALERT_EVENT = """
INSERT INTO alert_events (alert_id, ts, event, actor, detail) VALUES (?, ?, ?, ?, ?)
"""
SQL_ALERTS = """
SELECT id, stream, kind, state, severity, score, opened_at, first_bin, last_bin, updated_at,
       closed_at, observed, expected, explanation
FROM alerts WHERE opened_at >= ? ORDER BY opened_at
"""
SQL_OPEN_ALERTS = """
SELECT id, stream, kind, state, severity, score, opened_at, first_bin, last_bin, updated_at,
       closed_at, observed, expected, explanation
FROM alerts WHERE closed_at IS NULL ORDER BY severity DESC, opened_at
"""
SQL_ALERT_EVENTS = """
SELECT id, alert_id, ts, event, actor, detail FROM alert_events WHERE alert_id = ? ORDER BY id
"""
SQL_INSERT_AUDIT = """
INSERT INTO audit_log (ts, actor, action, target_type, target_id, detail) VALUES (?, ?, ?, ?, ?, ?)
"""
SQL_COUNT_MENTIONS = "SELECT count(*) FROM mentions"


class StoreError(RuntimeError):
    """The store cannot be used (locked by another process, read-only, disk full...)."""


class StoreLockedError(StoreError):
    """Another process holds the database for writing."""


def naive_utc(ts: datetime) -> datetime:
    """UTC wall time without tzinfo, as stored in DuckDB ``TIMESTAMP`` columns.

    >>> from datetime import datetime, timedelta, timezone
    >>> naive_utc(datetime(2026, 1, 1, 13, tzinfo=timezone(timedelta(hours=1))))
    datetime.datetime(2026, 1, 1, 12, 0)
    """
    return utc(ts).replace(tzinfo=None)


@dataclass(slots=True)
class IngestResult:
    """Outcome of one ingest transaction."""

    received: int
    inserted: int
    rejected: int

    @property
    def duplicates(self) -> int:
        return self.received - self.inserted


class Store:
    """The DuckDB database of one Sentinella installation.

    Parameters
    ----------
    path : str | Path
        Database file, or ``":memory:"``.
    read_only : bool
        Open without writing (other processes may then read concurrently).

    Examples
    --------
    >>> store = Store(":memory:")
    >>> store.schema_version() == SCHEMA_VERSION
    True
    >>> store.get_cursor("demo") is None
    True
    """

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False):
        self.path = str(path)
        self.read_only = read_only
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"the database {self.path} is in use by another Sentinella process "
                    "(DuckDB allows one writer): stop it, or point this one at another "
                    "database with --db"
                ) from None
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        self._lock = threading.RLock()
        self._local = threading.local()
        if not read_only:
            self.migrate()

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        with self._lock:
            self.con.close()

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self.con.cursor()
            self._local.cursor = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Serialised write transaction on a thread-local cursor; rolled back on error."""
        with self._lock:
            cur = self.reader()
            cur.begin()
            try:
                yield cur
            except BaseException:
                cur.rollback()
                raise
            else:
                cur.commit()

    def schema_version(self) -> int:
        return int(self.reader().execute(SQL_SCHEMA_VERSION).fetchall()[0][0])

    def migrate(self) -> None:
        """Apply pending migrations, each in its own transaction."""
        with self._lock:
            self.con.execute(SQL_SCHEMA_TABLE)
            for seq in _SEQUENCES:
                self.con.execute(f"CREATE SEQUENCE IF NOT EXISTS {seq}")
            current = self.schema_version()
            for version in sorted(MIGRATIONS):
                if version <= current:
                    continue
                with self.transaction() as cur:
                    cur.execute(MIGRATIONS[version])
                    cur.execute(SQL_RECORD_VERSION, [version, naive_utc(datetime.now(UTC))])

    # ------------------------------------------------------------------ ingest
    def ingest(
        self,
        source: str,
        frame: pd.DataFrame,
        cursor: str | None,
        rejected: Sequence[tuple[str, str]] = (),
        now: datetime | None = None,
    ) -> IngestResult:
        """Insert enriched mentions, roll them up, quarantine rejects, save the cursor: atomically.

        ``frame`` has the columns ``MENTION_COLUMNS + ENRICHED_COLUMNS`` (``ts`` naive UTC).
        Mentions already stored (same source and source id) are skipped, not duplicated.
        When it also has ``first_response_due`` and ``resolution_due`` (see
        :class:`monitoring.sla.TicketDue`), each new request opens a ticket in the same
        transaction.
        """
        now_naive = naive_utc(now or datetime.now(UTC))
        with self.transaction() as cur:
            inserted = 0
            if len(frame):
                batch_id = cur.execute(SQL_NEXT_BATCH).fetchall()[0][0]
                cur.register("staged", frame)
                try:
                    cur.execute(SQL_INSERT_MENTIONS, [batch_id, now_naive])
                    inserted = cur.execute(SQL_COUNT_BATCH, [batch_id]).fetchall()[0][0]
                    if inserted:
                        cur.execute(SQL_ROLLUP_BATCH, [batch_id])
                        if "first_response_due" in frame.columns:
                            cur.execute(SQL_TICKETS_FROM_BATCH, [now_naive, batch_id])
                finally:
                    cur.unregister("staged")
            for payload, reason in rejected:
                cur.execute(SQL_INSERT_QUARANTINE, [source, now_naive, reason, payload[:100_000]])
            cur.execute(SQL_UPSERT_CURSOR, [source, cursor, now_naive])
        return IngestResult(received=len(frame), inserted=int(inserted), rejected=len(rejected))

    def get_cursor(self, source: str) -> str | None:
        rows = self.reader().execute(SQL_GET_CURSOR, [source]).fetchall()
        return rows[0][0] if rows else None

    def quarantined(self, source: str) -> int:
        """How many items of ``source`` were rejected into the quarantine table."""
        return int(self.reader().execute(SQL_COUNT_QUARANTINE, [source]).fetchall()[0][0])

    def record_success(self, source: str, items: int, now: datetime, detail: str = "") -> None:
        t = naive_utc(now)
        with self.transaction() as cur:
            cur.execute(SQL_HEALTH_OK, [source, "ok", t, t, items, detail])

    def record_failure(self, source: str, error: str, now: datetime, state: str = "failing") -> None:
        t = naive_utc(now)
        with self.transaction() as cur:
            cur.execute(SQL_HEALTH_ERROR, [source, state, t, error[:2000], t, ""])

    def source_health(self) -> pd.DataFrame:
        return self.reader().execute(SQL_SOURCE_HEALTH).df()

    def record_status(self, source: str, *, rate_limited_until: datetime | None = None,
                      next_attempt_at: datetime | None = None, failures: int = 0,
                      budget: tuple[int, int] | None = None,
                      last_item_at: datetime | None = None) -> None:
        """Store the collection status of ``source`` (after ``record_success/failure``)."""
        used, limit = budget if budget else (None, None)
        last = naive_utc(last_item_at) if last_item_at else None
        with self.transaction() as cur:
            cur.execute(SQL_HEALTH_STATUS, [
                naive_utc(rate_limited_until) if rate_limited_until else None,
                naive_utc(next_attempt_at) if next_attempt_at else None,
                failures, used, limit, last, last, source])

    def consecutive_failures(self, source: str) -> int:
        """Failed fetches of ``source`` since its last success."""
        rows = self.reader().execute(SQL_HEALTH_FAILURES, [source]).fetchall()
        return int(rows[0][0]) if rows else 0

    def source_status(self) -> pd.DataFrame:
        """``source_health`` with the collection status columns (settings page)."""
        return self.reader().execute(SQL_SOURCE_STATUS).df()

    # ------------------------------------------------------------------ detection inputs
    def bin_stats(self, stream: str, start: datetime, end: datetime) -> BinStats:
        """Aggregates of the mentions of ``stream`` with ``start <= ts < end``."""
        row = self.reader().execute(
            SQL_BIN_STATS, [stream, naive_utc(start), naive_utc(end)]
        ).fetchall()[0]
        names = ("n", "n_negative", "n_positive", "n_request", "n_polemic", "n_praise",
                 "n_other", "authors", "reach")
        return BinStats(stream, utc(start), **{k: int(v or 0) for k, v in zip(names, row)})

    def bin_texts(self, stream: str, start: datetime, end: datetime) -> pd.DataFrame:
        return self.reader().execute(
            SQL_BIN_TEXTS, [stream, naive_utc(start), naive_utc(end)]
        ).df()

    def bins_range(self, stream: str, start: datetime, end: datetime) -> pd.DataFrame:
        """Per-minute rollup rows of a stream in ``[start, end)`` (from ``bins``)."""
        return self.reader().execute(
            SQL_BINS_RANGE, [stream, naive_utc(start), naive_utc(end)]
        ).df()

    def last_detected_bin(self, stream: str) -> datetime | None:
        rows = self.reader().execute(SQL_LAST_BIN, [stream]).fetchall()
        return utc(rows[0][0]) if rows else None

    def save_bin_band(self, stream: str, band: Sequence[tuple[datetime, float, float, float]],
                      last_bin: datetime, state: tuple[str, bytes] | None = None) -> None:
        """Store the expected count and normal band of detected bins, and the detect mark.

        ``band`` rows are ``(bin_start naive UTC, expected, low, high)``; ``state`` is the
        detectors' ``(fingerprint, snapshot)`` at ``last_bin``; one transaction.
        """
        with self.transaction() as cur:
            self.save_detect_mark(cur, stream, band, last_bin, state)

    def save_detect_mark(self, cur: duckdb.DuckDBPyConnection, stream: str,
                         band: Sequence[tuple[datetime, float, float, float]],
                         last_bin: datetime, state: tuple[str, bytes] | None = None) -> None:
        """:meth:`save_bin_band` inside the caller's transaction (e.g. with alert changes)."""
        frame = pd.DataFrame(list(band), columns=["bin_start", "expected", "low", "high"])
        if len(frame):
            cur.register("band", frame)
            try:
                cur.execute(SQL_SAVE_BAND, [stream])
            finally:
                cur.unregister("band")
        cur.execute(SQL_SET_LAST_BIN, [stream, naive_utc(last_bin)])
        if state is not None:
            cur.execute(SQL_SAVE_DETECTOR_STATE, [stream, naive_utc(last_bin), *state])

    def detector_state(self, stream: str) -> tuple[datetime, str, bytes] | None:
        """The detectors' ``(last_bin, fingerprint, snapshot)`` saved with the detect mark."""
        rows = self.reader().execute(SQL_DETECTOR_STATE, [stream]).fetchall()
        return (utc(rows[0][0]), rows[0][1], bytes(rows[0][2])) if rows else None

    def band_range(self, stream: str, start: datetime, end: datetime) -> pd.DataFrame:
        """Expected count and band of the detected bins of a stream in ``[start, end)``."""
        return self.reader().execute(
            SQL_BAND_RANGE, [stream, naive_utc(start), naive_utc(end)]
        ).df()

    def first_bin(self, stream: str) -> datetime | None:
        rows = self.reader().execute(SQL_FIRST_MENTION, [stream]).fetchall()
        return utc(rows[0][0]) if rows and rows[0][0] is not None else None

    def count_mentions(self) -> int:
        return int(self.reader().execute(SQL_COUNT_MENTIONS).fetchall()[0][0])

    # ------------------------------------------------------------------ alerts
    def open_alert(self, stream: str, kind: str) -> dict[str, Any] | None:
        cur = self.reader()
        rows = cur.execute(SQL_OPEN_ALERT, [stream, kind]).fetchall()
        return _record(cur, rows[0]) if rows else None

    def open_alerts(self) -> pd.DataFrame:
        return self.reader().execute(SQL_OPEN_ALERTS).df()

    def alerts_since(self, since: datetime) -> pd.DataFrame:
        return self.reader().execute(SQL_ALERTS, [naive_utc(since)]).df()

    def alert_events(self, alert_id: int) -> pd.DataFrame:
        return self.reader().execute(SQL_ALERT_EVENTS, [alert_id]).df()

    def audit(
        self,
        cur: duckdb.DuckDBPyConnection,
        actor: str,
        action: str,
        target_type: str | None,
        target_id: Any,
        detail: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        """Append to the audit log inside the caller's transaction."""
        cur.execute(
            SQL_INSERT_AUDIT,
            [naive_utc(now), actor, action, target_type,
             None if target_id is None else str(target_id), json.dumps(detail or {}, default=str)],
        )


def _record(cur: duckdb.DuckDBPyConnection, row: tuple[Any, ...]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cur.description, row)}
