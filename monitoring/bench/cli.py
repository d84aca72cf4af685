"""The ``bench`` sub-commands other than ``ingest``: query, latency, sessions, backfill.

:func:`add_commands` registers them on the ``bench`` sub-parser of ``__main__``; each
command imports its benchmark module only when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from monitoring.bench import Reporter
from monitoring.config import load_settings


def cmd_query(args: argparse.Namespace) -> int:
    from monitoring.bench.query import QUERY_END, run
    from monitoring.bench.synth import SynthSpec, stream_ids

    settings = load_settings(args.config)
    streams = stream_ids([s.id for s in settings.streams], args.streams)
    spec = SynthSpec(n=args.n, days=args.days, streams=streams, end=QUERY_END)
    run(settings, Path(args.db), spec, args.refreshes, Reporter(), progress=not args.quiet)
    return 0


def cmd_latency(args: argparse.Namespace) -> int:
    from monitoring.bench.latency import run

    run(load_settings(args.config), Reporter(), speed=args.speed, burst=args.burst,
        rate=args.rate, history_hours=args.history_hours, db=args.db, timeout=args.timeout,
        interval=args.interval)
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from monitoring.bench.sessions import run

    return run(Reporter(), sessions=args.sessions, minutes=args.minutes,
               refresh=args.refresh, mentions=args.n, port=args.port, warmup=args.warmup,
               idle=args.idle)


def cmd_backfill(args: argparse.Namespace) -> int:
    from monitoring.bench.backfill import run

    run(load_settings(args.config), Reporter(), n=args.n, batch=args.batch,
        file=args.file, db=args.db, progress=not args.quiet, config=args.config,
        jobs=args.jobs)
    return 0


def _numbers(parser: argparse.ArgumentParser,
             options: list[tuple[str, type, float, str]]) -> None:
    """Add numeric options from ``(flag, type, default, help)`` rows; help shows the default."""
    for flag, kind, default, text in options:
        parser.add_argument(flag, type=kind, default=default, help=f"{text} (default {default:g})")


def add_commands(bsub: argparse._SubParsersAction) -> None:
    """Add ``query``, ``latency``, ``sessions`` and ``backfill`` to the ``bench`` parser."""
    q = bsub.add_parser("query", help="the wall's refresh queries on a large synthetic "
                        "database (generated once, then reused): p50/p95 ms")
    q.add_argument("--config", help="settings TOML (stream ids; default the demo)")
    q.add_argument("--db", default="data/bench/query.duckdb",
                   help="cached benchmark database (default data/bench/query.duckdb); "
                   "regenerated when its size or streams differ")
    _numbers(q, [("-n", int, 10_000_000, "mentions"), ("--days", int, 90, "days of history"),
                 ("--streams", int, 5, "streams"),
                 ("--refreshes", int, 200, "timed wall refreshes")])
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=cmd_query)

    la = bsub.add_parser("latency", help="a running Monitor: burst at a source -> mention "
                         "stored -> alert row -> alert in the wall's data; seconds per hop")
    la.add_argument("--config", help="settings TOML (default the demo; its sources are "
                    "replaced by the benchmark source)")
    la.add_argument("--db", help="DuckDB file (default a temporary file)")
    _numbers(la, [
        ("--speed", float, 1.0, "clock speed, 1 = real time (1-minute bins last 60/speed s)"),
        ("--burst", int, 300, "burst mentions"),
        ("--rate", float, 10.0, "baseline mentions per minute"),
        ("--history-hours", float, 24.0, "steady history generated before the run"),
        ("--timeout", float, 300.0, "give up after this many real seconds"),
        ("--interval", float, 1.0, "real seconds between polls of the source"),
    ])
    la.set_defaults(func=cmd_latency)

    se = bsub.add_parser("sessions", help="N concurrent wall sessions against a real "
                         "'streamlit run app.py' server: server CPU share and p95 refresh")
    _numbers(se, [
        ("--sessions", int, 10, "concurrent sessions"),
        ("--minutes", float, 3.0, "measured minutes"),
        ("--refresh", float, 5.0, "wall refresh seconds"),
        ("-n", int, 1_000_000, "synthetic mentions in the server's database"),
        ("--warmup", float, 20.0, "seconds after every page loaded before measuring"),
        ("--idle", float, 20.0, "seconds measuring the server with no session open"),
        ("--port", int, 0, "server port (0: a free one)"),
    ])
    se.set_defaults(func=cmd_sessions)

    bf = bsub.add_parser("backfill", help="N mentions replayed from a generated file through "
                         "the real replay pipeline: mentions/s and peak memory")
    bf.add_argument("--config", help="settings TOML (default the demo)")
    _numbers(bf, [("-n", int, 1_000_000, "mentions"),
                  ("--batch", int, 5_000, "rows per transaction, as replay")])
    bf.add_argument("--file", help="JSONL file to generate (or reuse when it has N rows; "
                    "default data/bench/backfill-N.jsonl)")
    bf.add_argument("--db", help="DuckDB file (default a temporary file, removed after)")
    bf.add_argument("--jobs", type=int, help="the replay's enrichment worker processes "
                    "(default: the replay's own default, one per core; 0 = none)")
    bf.add_argument("--quiet", action="store_true", help="no progress bar")
    bf.set_defaults(func=cmd_backfill)
