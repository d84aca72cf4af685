"""``bench query``: the wall's refresh queries on a large synthetic database.

The database (default 10 million mentions over 90 days for 5 streams) is generated once by
:mod:`monitoring.bench.synth` and reused while its spec matches.  Each refresh runs every
query the wall issues, in order, as the page does (fetching pandas frames); the first few
refreshes warm the caches and are not counted.  When :mod:`monitoring.wall` exists its
``wall_snapshot(store, settings, stream, now)`` is timed (that is what the page calls);
otherwise the queries ``pages/wall.py`` issues on main.  For comparison, the same run times
the volume panel computed from the raw mentions instead of the ``bins`` rollup.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitoring.bench import Reporter, percentile
from monitoring.bench.synth import SynthSpec, generate, stored_spec
from monitoring.config import Settings
from monitoring.store import SQL_BINS_RANGE, SQL_LATEST_MENTIONS, SQL_OPEN_ALERTS, Store

#: End of the synthetic history of the query benchmark (a Monday, so results repeat).
QUERY_END = datetime(2026, 3, 2)
#: How far back the wall looks (as pages/wall.py on main).
WALL_HOURS = 6

#: The volume panel computed from raw mentions: what the rollup saves the wall from.
SQL_RAW_VOLUME = """
SELECT date_trunc('minute', ts) AS bin_start, count(*) AS n,
       count(*) FILTER (WHERE sentiment_label = 'negative') AS n_negative,
       count(*) FILTER (WHERE sentiment_label = 'positive') AS n_positive,
       count(*) FILTER (WHERE category = 'request') AS n_request,
       count(*) FILTER (WHERE category = 'polemic') AS n_polemic
FROM mentions WHERE stream = ? AND ts >= ? AND ts < ?
GROUP BY ALL ORDER BY bin_start
"""

Query = Callable[[], Any]


class BenchDatabaseError(RuntimeError):
    """The ``--db`` file exists but is not a benchmark database: it is never overwritten."""


def open_synth(path: Path, spec: SynthSpec, progress: bool = True) -> tuple[Store, float | None]:
    """Open the cached database at ``path``, generating it when absent or incomplete.

    Returns the store and the generation time in seconds (None when reused).
    """
    if path.exists():
        store = Store(path)
        tables = {r[0] for r in store.reader().execute("SHOW TABLES").fetchall()}
        if "bench_meta" not in tables:
            store.close()
            raise BenchDatabaseError(
                f"{path} exists and is not a benchmark database (no bench_meta table): "
                "choose another --db")
        if stored_spec(store) == spec:
            return store, None
        store.close()
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    store = Store(path)
    store.reader().execute("CREATE TABLE IF NOT EXISTS bench_meta "
                           "(key VARCHAR PRIMARY KEY, value VARCHAR)")
    t0 = time.perf_counter()
    if progress:
        from tqdm import tqdm

        with tqdm(total=spec.days + 5, unit="step", desc=f"generate {spec.n:,} mentions",
                  file=sys.stderr) as bar:
            generate(store, spec, bar.update)
    else:
        generate(store, spec)
    store.reader().execute("CHECKPOINT")
    return store, time.perf_counter() - t0


def main_page_queries(store: Store, stream: str, now: datetime) -> dict[str, Query]:
    """The queries ``pages/wall.py`` on main issues per refresh, in order."""
    cur = store.reader()
    start = now - timedelta(hours=WALL_HOURS)
    return {
        "bins": lambda: cur.execute(SQL_BINS_RANGE, [stream, start, now]).df(),
        "latest": lambda: cur.execute(SQL_LATEST_MENTIONS, [stream, start, 12]).df(),
        "alerts": lambda: cur.execute(SQL_OPEN_ALERTS).df(),
    }


def wall_queries(store: Store, settings: Settings, stream: str,
                 now: datetime) -> tuple[str, dict[str, Query]]:
    """The wall's refresh: ``monitoring.wall.wall_snapshot`` when present, else main's page."""
    if importlib.util.find_spec("monitoring.wall") is not None:
        snapshot = importlib.import_module("monitoring.wall").wall_snapshot
        aware = now.replace(tzinfo=UTC)
        return "monitoring.wall.wall_snapshot", {
            "wall_snapshot": lambda: snapshot(store, settings, stream, aware)}
    return "pages/wall.py (main)", main_page_queries(store, stream, now)


def time_refreshes(make: Callable[[datetime], dict[str, Query]], now: datetime,
                   refreshes: int, warmup: int = 3) -> dict[str, list[float]]:
    """Milliseconds per query and per whole refresh (key ``refresh``) over ``refreshes``.

    Key ``refresh_cpu`` holds the process CPU time of each refresh (all threads): on a
    machine busy with other work it shows what the refresh costs, apart from waiting.
    """
    times: dict[str, list[float]] = {"refresh": [], "refresh_cpu": []}
    for i in range(warmup + refreshes):
        queries = make(now - timedelta(seconds=warmup + refreshes - i))
        t_start, cpu_start = time.perf_counter(), time.process_time()
        for name, query in queries.items():
            t0 = time.perf_counter()
            query()
            if i >= warmup:
                times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        if i >= warmup:
            times["refresh"].append((time.perf_counter() - t_start) * 1000)
            times["refresh_cpu"].append((time.process_time() - cpu_start) * 1000)
    return times


def run(settings: Settings, db: Path, spec: SynthSpec, refreshes: int,
        reporter: Reporter, progress: bool = True, target_ms: float = 50.0) -> None:
    """Generate or reuse the database, time the wall's refreshes, report p50/p95."""
    store, generated = open_synth(db, spec, progress)
    try:
        mentions = store.count_mentions()
        if generated is not None:
            reporter.emit("query_generate", generated, "s", mentions=mentions,
                          rate=round(mentions / generated))
        stream = spec.streams[0]
        now = spec.end
        label, _ = wall_queries(store, settings, stream, now)
        times = time_refreshes(lambda t: wall_queries(store, settings, stream, t)[1],
                               now, refreshes)
        raw = time_refreshes(lambda t: {"raw": lambda: store.reader().execute(
            SQL_RAW_VOLUME, [stream, t - timedelta(hours=WALL_HOURS), t]).df()},
            now, refreshes)["raw"]
        p95 = percentile(times["refresh"], 95)
        common = {"timed": label, "mentions": mentions, "refreshes": refreshes,
                  "stream": stream}
        reporter.emit("query_refresh_p50", percentile(times["refresh"], 50), "ms", **common)
        reporter.emit("query_refresh_p95", p95, "ms", target=target_ms,
                      meets_target=p95 <= target_ms, **common)
        reporter.emit("query_refresh_cpu_p95", percentile(times["refresh_cpu"], 95), "ms",
                      p50=round(percentile(times["refresh_cpu"], 50), 3),
                      note="CPU time of the process per refresh, all threads")
        for name, values in times.items():
            if not name.startswith("refresh"):
                reporter.emit(f"query_{name}_p95", percentile(values, 95), "ms",
                              p50=round(percentile(values, 50), 3))
        raw_p95 = percentile(raw, 95)
        reporter.emit("query_raw_volume_p95", raw_p95, "ms", p50=round(percentile(raw, 50), 3),
                      note="the volume panel from raw mentions instead of the bins rollup")
        reporter.emit("query_refresh_vs_raw_volume", p95 / raw_p95 if raw_p95 else 0.0,
                      "ratio", note="wall refresh p95 / raw volume query p95")
    finally:
        store.close()
