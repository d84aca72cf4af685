"""Synthetic history for the benchmarks, generated inside DuckDB (range + hashing).

:func:`generate` fills a :class:`~monitoring.store.Store` with ``n`` mentions spread over
``days`` days for several streams, one day per ``INSERT ... SELECT FROM range()`` (rows of
a day in time order, as live ingest appends them), then derives everything the pages read
from those mentions: the per-minute rollup ``bins``, the expected band ``bin_band``, the
detector marks, a ticket per request, one alert per volume spike (the last one still open)
and source health.  Nothing goes through Python row by row (most of the time goes into
the primary-key index of ``mentions``).  A ``bench_meta`` table written last marks the
database as complete, so a cached file is reused only when a previous run finished.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitoring.store import Store, naive_utc

#: Phrases the generated texts are built from, Italian and English.
PHRASES_IT = (
    "bolletta sbagliata di nuovo", "siamo senza luce da due ore", "grazie per l'assistenza",
    "nessuno risponde al numero verde", "vergogna, tariffe assurde", "contatore fermo",
    "app non funziona al login", "ottimo servizio, complimenti", "addebito doppio sul conto",
    "quando torna la corrente?", "boicottiamo tutti", "rimborso mai arrivato",
)
PHRASES_EN = (
    "wrong bill again", "power outage since this morning", "thanks for the quick help",
    "nobody answers the phone", "shameful prices", "meter stopped working",
    "the app crashes at login", "great service, well done", "charged twice this month",
    "when is power coming back?", "boycott them all", "refund never arrived",
)
TAGS = ("blackout", "bolletta", "assistenza", "outage", "billing", "app", "rimborso", "promo")
DEPARTMENTS = ("billing", "operations", "sales", "customer-care")

SQL_META_TABLE = "CREATE TABLE IF NOT EXISTS bench_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
SQL_META_GET = "SELECT value FROM bench_meta WHERE key = 'synth'"
SQL_META_SET = "INSERT OR REPLACE INTO bench_meta VALUES ('synth', ?)"

# One day of mentions.  Parameters: day_start, first row, last row (exclusive), spike
# stream index (-1: none), spike start, streams list, batch id.  Row i belongs to stream
# hash(i, 1) % n_streams; 12 % of the spiking stream's rows that day fall in its spike hour.
SQL_INSERT_DAY = """
INSERT INTO mentions
WITH base AS (
    SELECT i,
           (hash(i, 1) % len($streams))::INT AS k,
           hash(i, 2) AS h2, hash(i, 3) AS h3, hash(i, 4) AS h4, hash(i, 5) AS h5
    FROM range($lo, $hi) t(i)
), placed AS (
    SELECT *,
           CASE WHEN k = $spike_k AND h5 % 100 < 12
                THEN $spike_start + to_seconds((h2 % 3600)::BIGINT)
                ELSE $day_start + to_seconds((h2 % 86400)::BIGINT) END AS ts,
           (k = $spike_k AND h5 % 100 < 12) AS spiking,
           (h3 % 3 = 0) AS english
    FROM base
), typed AS (
    SELECT *,
           CASE WHEN spiking THEN (CASE WHEN h4 % 10 < 6 THEN 'request' ELSE 'polemic' END)
                WHEN h4 % 100 < 25 THEN 'request' WHEN h4 % 100 < 40 THEN 'polemic'
                WHEN h4 % 100 < 50 THEN 'praise' ELSE 'other' END AS category
    FROM placed
), scored AS (
    SELECT *,
           round(CASE WHEN category = 'praise' THEN 0.3 + (h3 % 700) / 1000.0
                      WHEN category IN ('request', 'polemic') THEN -0.9 + (h3 % 1000) / 1000.0
                      ELSE -0.4 + (h3 % 800) / 1000.0 END, 3) AS sentiment
    FROM typed
)
SELECT 'synth' AS source, 'm' || i AS source_id, $streams[k + 1] AS stream, ts,
       '@user' || (h3 % 200000) AS author,
       ((h4 % 1000) * (h4 % 1000) // 50)::BIGINT AS author_reach,
       list_element(CASE WHEN english THEN $en ELSE $it END, (h2 % 12)::INT + 1)
           || ' @' || $streams[k + 1] || ' #' || list_element($tags, (h5 % 8)::INT + 1)
           || ' (' || (h4 % 997) || ')' AS text,
       NULL AS url, NULL AS lang_hint, NULL AS reply_to, NULL AS raw,
       CASE WHEN english THEN 'en' ELSE 'it' END AS lang,
       sentiment,
       CASE WHEN sentiment <= -0.05 THEN 'negative' WHEN sentiment >= 0.05 THEN 'positive'
            ELSE 'neutral' END AS sentiment_label,
       category,
       CASE WHEN category = 'request' THEN list_element($departments, (h5 % 4)::INT + 1)
            END AS department,
       []::VARCHAR[] AS pii_kinds,
       round((h4 % 100) / 100.0 + CASE WHEN category = 'request' THEN 0.5 ELSE 0 END, 2)
           AS priority,
       []::VARCHAR[] AS priority_reasons,
       $batch AS batch_id, ts + INTERVAL 2 SECOND AS ingested_at
FROM scored
ORDER BY ts
"""
SQL_SYNTH_BINS = """
INSERT INTO bins
SELECT stream, date_trunc('minute', ts) AS bin_start, category, count(*) AS n,
       count(*) FILTER (WHERE sentiment_label = 'negative') AS n_negative,
       count(*) FILTER (WHERE sentiment_label = 'positive') AS n_positive,
       sum(author_reach) AS reach
FROM mentions GROUP BY ALL ORDER BY bin_start, stream
"""
SQL_SYNTH_BAND = """
INSERT INTO bin_band
SELECT stream, bin_start, expected, greatest(expected - 3 * sqrt(expected), 0),
       expected + 3 * sqrt(expected) + 1
FROM (
    SELECT stream, bin_start,
           coalesce(avg(n) OVER (PARTITION BY stream ORDER BY bin_start
                                 ROWS BETWEEN 60 PRECEDING AND 1 PRECEDING), n) AS expected
    FROM (SELECT stream, bin_start, sum(n) AS n FROM bins GROUP BY ALL)
)
ORDER BY bin_start, stream
"""
SQL_SYNTH_MARKS = """
INSERT OR REPLACE INTO detector_marks SELECT stream, max(bin_start) FROM bins GROUP BY stream
"""
# Requests older than two days are resolved; newer ones open, the newest unanswered.
SQL_SYNTH_TICKETS = """
INSERT INTO tickets (source, source_id, stream, department, state, created_at,
                     first_response_at, resolved_at, author, priority, first_response_due,
                     resolution_due, updated_at)
SELECT source, source_id, stream, department,
       CASE WHEN ts < $recent THEN 'resolved' ELSE 'open' END, ts,
       CASE WHEN ts < $recent THEN ts + INTERVAL 40 MINUTE END,
       CASE WHEN ts < $recent THEN ts + INTERVAL 5 HOUR END,
       author, priority, ts + INTERVAL 1 HOUR, ts + INTERVAL 8 HOUR, ts
FROM mentions WHERE category = 'request'
ORDER BY ts
"""
SQL_SYNTH_ALERT = """
INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, last_bin,
                    updated_at, closed_at, observed, expected, explanation)
VALUES (?, 'service_incident', ?, 2, 9.5, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
"""
SQL_SYNTH_EVENT = """
INSERT INTO alert_events (alert_id, ts, event, actor, detail) VALUES (?, ?, 'open', 'system', '{}')
"""
SQL_SYNTH_HEALTH = """
INSERT OR REPLACE INTO source_health (source, state, last_success, last_attempt, items_fetched,
                                      detail)
VALUES ('synth', 'ok', ?, ?, ?, '')
"""


@dataclass(frozen=True, slots=True)
class SynthSpec:
    """What a synthetic database holds; stored in ``bench_meta`` to decide on reuse.

    Examples
    --------
    >>> spec = SynthSpec(n=1000, days=13, streams=("a", "b"), end=datetime(2026, 3, 1))
    >>> [(d.isoformat(), k) for d, k in spec.spikes()]
    [('2026-02-17T23:00:00', 1), ('2026-02-28T22:30:00', 0)]
    >>> SynthSpec.from_json(spec.to_json()) == spec
    True
    """

    n: int
    days: int
    streams: tuple[str, ...]
    end: datetime  # naive UTC, exclusive; a whole minute
    with_spikes: bool = True  # False: steady traffic only, no alerts

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    def spikes(self) -> list[tuple[datetime, int]]:
        """``(spike start, stream index)``: one spike every ~11 days, the last one ending
        half an hour before ``end`` (so its alert is still open on the wall)."""
        out: list[tuple[datetime, int]] = []
        if not self.with_spikes:
            return out
        for day in range(self.days - 1, -1, -11):
            start = self.start + timedelta(days=day, hours=23)
            if day == self.days - 1:
                start = self.end - timedelta(hours=1, minutes=30)
            out.append((start, (self.days - 1 - day) // 11 % len(self.streams)))
        return sorted(out)

    def to_json(self) -> str:
        return json.dumps({"n": self.n, "days": self.days, "streams": list(self.streams),
                           "end": self.end.isoformat(), "with_spikes": self.with_spikes})

    @classmethod
    def from_json(cls, text: str) -> SynthSpec:
        d = json.loads(text)
        return cls(int(d["n"]), int(d["days"]), tuple(d["streams"]),
                   datetime.fromisoformat(d["end"]), bool(d.get("with_spikes", True)))


def stored_spec(store: Store) -> SynthSpec | None:
    """The spec of a complete synthetic database, or None (empty or interrupted)."""
    cur = store.reader()
    cur.execute(SQL_META_TABLE)
    rows = cur.execute(SQL_META_GET).fetchall()
    return SynthSpec.from_json(rows[0][0]) if rows else None


def generate(store: Store, spec: SynthSpec,
             progress: Callable[[int], Any] | None = None) -> None:
    """Fill an empty store with ``spec.n`` mentions and everything derived from them.

    ``progress(k)`` is called after each step (one per day, then 5 derivation steps):
    ``spec.days + 5`` in all.

    Examples
    --------
    >>> store = Store(":memory:")
    >>> spec = SynthSpec(n=5000, days=3, streams=("lumea", "acqua"), end=datetime(2026, 3, 1))
    >>> generate(store, spec)
    >>> store.count_mentions(), stored_spec(store) == spec
    (5000, True)
    >>> int(store.reader().execute("SELECT sum(n) FROM bins").fetchall()[0][0])
    5000
    """
    tick = progress or (lambda _k: None)
    per_day = spec.n // spec.days
    spikes = {(start - spec.start) // timedelta(days=1): (start, k) for start, k in spec.spikes()}
    params: dict[str, Any] = {
        "streams": list(spec.streams), "it": list(PHRASES_IT), "en": list(PHRASES_EN),
        "tags": list(TAGS), "departments": list(DEPARTMENTS),
    }
    for day in range(spec.days):
        day_start = spec.start + timedelta(days=day)
        lo = day * per_day
        hi = spec.n if day == spec.days - 1 else lo + per_day
        spike_start, spike_k = spikes.get(day, (day_start, -1))
        with store.transaction() as cur:
            cur.execute(SQL_INSERT_DAY, dict(params, lo=lo, hi=hi, day_start=day_start,
                                             spike_k=spike_k, spike_start=spike_start,
                                             batch=day + 1))
        tick(1)
    with store.transaction() as cur:
        cur.execute(SQL_SYNTH_BINS)
    tick(1)
    with store.transaction() as cur:
        cur.execute(SQL_SYNTH_BAND)
        cur.execute(SQL_SYNTH_MARKS)
    tick(1)
    with store.transaction() as cur:
        cur.execute(SQL_SYNTH_TICKETS, {"recent": spec.end - timedelta(days=2)})
    tick(1)
    _alerts(store, spec)
    tick(1)
    with store.transaction() as cur:
        cur.execute(SQL_SYNTH_HEALTH, [spec.end, spec.end, spec.n])
        cur.execute(SQL_META_TABLE)
        cur.execute(SQL_META_SET, [spec.to_json()])
    tick(1)


def _alerts(store: Store, spec: SynthSpec) -> None:
    spikes = spec.spikes()
    with store.transaction() as cur:
        for idx, (start, k) in enumerate(spikes):
            last = idx == len(spikes) - 1
            end = start + timedelta(hours=1)
            closed = None if last else end + timedelta(minutes=10)
            expl = json.dumps({"top_terms": ["blackout", "outage"], "synthetic": True})
            alert_id = cur.execute(SQL_SYNTH_ALERT, [
                spec.streams[k], "open" if last else "resolved", start + timedelta(minutes=2),
                start, end, end, closed, 40.0, 15.0, expl]).fetchall()[0][0]
            cur.execute(SQL_SYNTH_EVENT, [alert_id, start + timedelta(minutes=2)])


def stream_ids(settings_streams: Sequence[str], count: int) -> tuple[str, ...]:
    """The configured stream ids, padded with ``synth-N`` up to ``count``.

    >>> stream_ids(["lumea"], 3)
    ('lumea', 'synth-2', 'synth-3')
    """
    ids = list(settings_streams)[:count]
    ids += [f"synth-{i}" for i in range(len(ids) + 1, count + 1)]
    return tuple(ids)


def minute_floor(ts: datetime) -> datetime:
    """Naive UTC ``ts`` truncated to the minute.

    >>> from datetime import UTC
    >>> minute_floor(datetime(2026, 3, 1, 10, 5, 42, tzinfo=UTC))
    datetime.datetime(2026, 3, 1, 10, 5)
    """
    return naive_utc(ts).replace(second=0, microsecond=0)
