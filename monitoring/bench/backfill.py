"""``bench backfill``: N mentions replayed from a file through the real replay command.

The JSONL file (bilingual synthetic mentions of the first configured stream, in time
order) is written by DuckDB from :mod:`monitoring.bench.synth` and reused when it already
holds N rows.  The benchmark then runs ``python -m monitoring replay FILE --db DB`` as a
child process, exactly as an operator would, with its default enrichment workers (one per
core), and measures its wall time, its CPU time and the workers' (``os.wait4``) and the peak
of the resident memory of the replay and its workers together (sampled), so the figures
include everything the real command does: reading the file, normalising, enriching,
storing with the rollup and cursor, and detecting after each batch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import psutil

from monitoring.bench import Reporter
from monitoring.bench.synth import SynthSpec, generate
from monitoring.config import Settings
from monitoring.store import Store

#: Targets of the issue: 1 M mentions in at most 3 minutes, peak memory at most 2 GB.
TARGET_SECONDS_PER_MILLION = 180.0
TARGET_PEAK_MB = 2048.0
#: Days the generated file spans (1 M mentions: ~100 a minute, a busy week).  Detection
#: costs per bin, so the span matters as well as the number of mentions.
SPAN_DAYS = 7
#: The checkout holding the ``monitoring`` package (the replay child runs from there).
ROOT = Path(__file__).resolve().parents[2]

SQL_EXPORT_JSONL = """
COPY (SELECT source_id AS id, strftime(ts, '%Y-%m-%dT%H:%M:%S+00:00') AS ts, author, text,
             author_reach, stream
      FROM mentions ORDER BY ts, source_id)
TO '{path}' (FORMAT JSON)
"""


def write_file(path: Path, n: int, stream: str, end: datetime) -> float:
    """Write ``n`` synthetic mentions to ``path`` (JSONL); seconds taken."""
    t0 = time.perf_counter()
    days = max(1, min(SPAN_DAYS, n // 20_000))
    store = Store(":memory:")
    try:
        generate(store, SynthSpec(n=n, days=days, streams=(stream,), end=end))
        path.parent.mkdir(parents=True, exist_ok=True)
        # COPY cannot take the file name as a parameter; the path is ours, not user text.
        store.reader().execute(SQL_EXPORT_JSONL.format(path=str(path).replace("'", "''")))
    finally:
        store.close()
    return time.perf_counter() - t0


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def _tree_rss_mb(proc: psutil.Process) -> float:
    """Resident memory of a process and its children (the enrichment workers), in MB."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 2**20


def replay(file: Path, db: Path, batch: int, config: str | None, progress: bool,
           jobs: int | None = None) -> tuple[float, float, float, int]:
    """Run the replay command on ``file``; ``(seconds, CPU seconds, peak RSS MB, exit code)``.

    The peak is the largest sum of resident memory over the replay and its worker
    processes, sampled every 0.2 s; CPU seconds include the workers' (``os.wait4``
    accounts waited-for children to their parent).
    """
    cmd = [sys.executable, "-m", "monitoring", "replay", str(file.resolve()), "--db",
           str(db.resolve()), "--batch", str(batch)]
    if config:
        cmd += ["--config", str(Path(config).resolve())]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=None if progress else subprocess.DEVNULL)
    peak = 0.0
    watched = psutil.Process(child.pid)
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        try:
            peak = max(peak, _tree_rss_mb(watched))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, max(peak, usage.ru_maxrss / 1024.0), child.returncode


def run(settings: Settings, reporter: Reporter, n: int, batch: int, file: str | None = None,
        db: str | None = None, progress: bool = True, config: str | None = None,
        jobs: int | None = None) -> None:
    """Generate (or reuse) the file, replay it into a fresh database, report the figures."""
    path = Path(file or f"data/bench/backfill-{n}.jsonl")
    stream = settings.streams[0].id
    if not path.exists() or count_lines(path) != n:
        seconds = write_file(path, n, stream, end=datetime(2026, 3, 2))
        reporter.emit("backfill_file", seconds, "s", rows=n, path=str(path))
    with tempfile.TemporaryDirectory(prefix="sentinella-backfill-") as tmp:
        target = Path(db) if db else Path(tmp) / "backfill.duckdb"
        if target.exists():
            raise FileExistsError(f"{target} exists: the backfill needs a new database file")
        seconds, cpu, peak_mb, code = replay(path, target, batch, config, progress, jobs)
        if code != 0:
            raise RuntimeError(f"replay exited with code {code}")
        store = Store(target, read_only=True)
        try:
            stored = store.count_mentions()
        finally:
            store.close()
    target_s = TARGET_SECONDS_PER_MILLION * n / 1_000_000
    reporter.emit("backfill_rate", n / seconds, "mentions/s", mentions=n, stored=stored,
                  batch=batch, jobs="default" if jobs is None else jobs,
                  span_days=max(1, min(SPAN_DAYS, n // 20_000)))
    reporter.emit("backfill_seconds", seconds, "s", target=round(target_s, 1),
                  meets_target=seconds <= target_s)
    reporter.emit("backfill_cpu_rate", n / cpu if cpu else 0.0, "mentions/CPU-s",
                  cpu_seconds=round(cpu, 1),
                  note="mentions per second of the replay's CPU time (all threads): the "
                       "rate a machine with nothing else to do would approach")
    reporter.emit("backfill_peak_rss", peak_mb, "MB", target=TARGET_PEAK_MB,
                  meets_target=peak_mb <= TARGET_PEAK_MB)
