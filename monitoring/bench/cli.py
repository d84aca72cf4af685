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
               refresh=args.refresh, mentions=args.n, port=args.port, warmup=args.warmup)


def cmd_backfill(args: argparse.Namespace) -> int:
    from monitoring.bench.backfill import run

    run(load_settings(args.config), Reporter(), n=args.n, batch=args.batch,
        file=args.file, db=args.db, progress=not args.quiet, config=args.config)
    return 0


def add_commands(bsub: argparse._SubParsersAction) -> None:
    """Add ``query``, ``latency``, ``sessions`` and ``backfill`` to the ``bench`` parser."""
    q = bsub.add_parser("query", help="the wall's refresh queries on a large synthetic "
                        "database (generated once, then reused): p50/p95 ms")
    q.add_argument("--config", help="settings TOML (stream ids; default the demo)")
    q.add_argument("--db", default="data/bench/query.duckdb",
                   help="cached benchmark database (default data/bench/query.duckdb); "
                   "regenerated when its size or streams differ")
    q.add_argument("-n", type=int, default=10_000_000, help="mentions (default 10000000)")
    q.add_argument("--days", type=int, default=90, help="days of history (default 90)")
    q.add_argument("--streams", type=int, default=5, help="streams (default 5)")
    q.add_argument("--refreshes", type=int, default=200,
                   help="timed wall refreshes (default 200)")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=cmd_query)

    la = bsub.add_parser("latency", help="a running Monitor: burst at a source -> mention "
                         "stored -> alert row -> alert in the wall's data; seconds per hop")
    la.add_argument("--config", help="settings TOML (default the demo; its sources are "
                    "replaced by the benchmark source)")
    la.add_argument("--db", help="DuckDB file (default a temporary file)")
    la.add_argument("--speed", type=float, default=1.0,
                    help="clock speed (default 1 = real time; 1-minute bins last 60/speed s)")
    la.add_argument("--burst", type=int, default=300, help="burst mentions (default 300)")
    la.add_argument("--rate", type=float, default=10.0,
                    help="baseline mentions per minute (default 10)")
    la.add_argument("--history-hours", type=float, default=24.0,
                    help="baseline history generated before the run (default 24)")
    la.add_argument("--timeout", type=float, default=300.0,
                    help="give up after this many real seconds (default 300)")
    la.add_argument("--interval", type=float, default=1.0,
                    help="real seconds between polls of the source (default 1)")
    la.set_defaults(func=cmd_latency)

    se = bsub.add_parser("sessions", help="N concurrent wall sessions against a real "
                         "'streamlit run app.py' server: server CPU share and p95 refresh")
    se.add_argument("--sessions", type=int, default=10, help="concurrent sessions (default 10)")
    se.add_argument("--minutes", type=float, default=3.0, help="measured minutes (default 3)")
    se.add_argument("--refresh", type=float, default=5.0,
                    help="wall refresh seconds (default 5)")
    se.add_argument("-n", type=int, default=1_000_000,
                    help="synthetic mentions in the server's database (default 1000000)")
    se.add_argument("--warmup", type=float, default=20.0,
                    help="seconds after every page loaded before measuring (default 20)")
    se.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    se.set_defaults(func=cmd_sessions)

    bf = bsub.add_parser("backfill", help="N mentions replayed from a generated file through "
                         "the real replay pipeline: mentions/s and peak memory")
    bf.add_argument("--config", help="settings TOML (default the demo)")
    bf.add_argument("-n", type=int, default=1_000_000, help="mentions (default 1000000)")
    bf.add_argument("--batch", type=int, default=5_000, help="rows per transaction "
                    "(default 5000, as replay)")
    bf.add_argument("--file", help="JSONL file to generate (or reuse when it has N rows; "
                    "default data/bench/backfill-N.jsonl)")
    bf.add_argument("--db", help="DuckDB file (default a temporary file, removed after)")
    bf.add_argument("--quiet", action="store_true", help="no progress bar")
    bf.set_defaults(func=cmd_backfill)
