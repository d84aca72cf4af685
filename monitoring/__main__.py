"""Command line: ``python -m monitoring {run,demo,replay,import,evaluate,bench} --help``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import statistics
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from monitoring.config import ConfigError, load_settings
from monitoring.store import Store, StoreError


def _open(args: argparse.Namespace):
    settings = load_settings(args.config)
    db = Path(args.db) if args.db else settings.database_path()
    return settings, Store(db)


def cmd_run(args: argparse.Namespace) -> int:
    from monitoring.monitor import Clock, Monitor
    from monitoring.settings_store import effective_settings

    settings, store = _open(args)
    settings = effective_settings(store, settings)  # the file + the dashboard's latest edits
    speed = args.speed or settings.app.speed
    monitor = Monitor(settings, store, clock=Clock(speed),
                      on_alert=lambda c: print(c.as_json(), flush=True))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    monitor.start()
    print(f"monitoring {len(monitor.sources)} source(s) into {store.path}; Ctrl-C to stop",
          file=sys.stderr)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    monitor.stop()
    store.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from monitoring.monitor import Clock, Monitor

    settings, store = _open(args)
    _demo_token_secret(settings)
    clock = Clock(args.speed)
    end = clock.now() + timedelta(minutes=args.minutes)
    monitor = Monitor(settings, store, clock=clock,
                      on_alert=lambda c: print(c.as_json(), flush=True))
    print(f"demo: {args.minutes} simulated minutes at x{args.speed:g} "
          f"(~{args.minutes * 60 / args.speed:.0f} s) into {store.path}", file=sys.stderr)
    sent = failed = 0
    while clock.now() < end:
        t = time.monotonic()
        monitor.tick()
        report = monitor.notify()
        sent, failed = sent + report.sent, failed + report.failed
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))
    alerts = store.alerts_since(datetime(1970, 1, 1))
    print(f"demo done: {store.count_mentions()} mentions, {len(alerts)} alert(s), "
          f"{sent} notification(s) sent, {failed} failed", file=sys.stderr)
    store.close()
    return 0


def _demo_token_secret(settings) -> None:
    """Acknowledgement links need a secret: the demo makes one up when none is set."""
    import os
    import secrets

    name = settings.auth.token_secret_env
    if not os.environ.get(name):
        os.environ[name] = secrets.token_urlsafe(32)
        print(f"demo: {name} is not set; acknowledgement links of this run use a "
              "temporary secret", file=sys.stderr)


def cmd_replay(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from monitoring.enrich.workers import EnrichPool, default_jobs
    from monitoring.monitor import Clock, Monitor
    from monitoring.sources.base import FetchResult
    from monitoring.sources.replay import ReplaySource, parse_mapping

    settings, store = _open(args)
    stream = args.stream or settings.streams[0].id
    try:
        columns = parse_mapping(args.map)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    source = ReplaySource(args.name, args.file, stream, columns, batch=args.batch, fmt=args.format)
    # Data time: "now" is the newest replayed mention, whatever the real time taken, so a
    # bin is closed (and detected) only once the file has moved past it: the alerts of a
    # replay do not depend on the machine's speed.
    clock = Clock(speed=0.0, start=datetime(1970, 1, 1, tzinfo=UTC))
    monitor = Monitor(settings, store, clock=clock,
                      on_alert=lambda c: print(c.as_json(), flush=True))
    monitor.sources = {args.name: source}
    total = len(source)
    done = int(store.get_cursor(args.name) or 0)
    # Worker processes enrich the next batches while this one stores and detects; frames
    # come back in order, so what is stored (and its cursor) is what one process would store.
    jobs = args.jobs if args.jobs is not None else (0 if args.speed else default_jobs())
    t_real, t_data = time.monotonic(), None
    with tqdm(total=total, initial=done, unit="rows", file=sys.stderr, desc="replay") as bar, \
            EnrichPool(settings, monitor.enricher.models_dir, jobs) as pool:
        ahead: deque[FetchResult] = deque()
        cursor = done
        while done < total:
            while cursor < total and len(ahead) < max(1, 2 * jobs):
                ahead.append(source.fetch(str(cursor), clock.now()))
                pool.submit(ahead[-1].mentions)
                cursor = int(ahead[-1].cursor)
            result, enriched = ahead.popleft(), pool.result()
            if result.mentions:
                latest = max(m.ts for m in result.mentions)
                if args.speed and t_data is not None:
                    wait = (latest - t_data).total_seconds() / args.speed
                    time.sleep(max(0.0, wait - (time.monotonic() - t_real)))
                if t_data is None:
                    t_data, t_real = min(m.ts for m in result.mentions), time.monotonic()
                clock.start = max(clock.start, latest)
            monitor.store_fetch(args.name, result, clock.now(), enriched=enriched)
            bar.update(int(result.cursor) - done)
            done = int(result.cursor)
            monitor.detect()
    if done >= total:  # the file is over: its last bin is complete
        clock.start += monitor.bin + timedelta(seconds=5)
        monitor.detect()
    rejected = store.quarantined(args.name)
    print(f"replay done: {total} rows, {store.count_mentions()} mentions stored, "
          f"{rejected} rejected (see the quarantine table)", file=sys.stderr)
    store.close()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from monitoring.monitor import Monitor
    from monitoring.sources.base import SourceError
    from monitoring.sources.file import FileSource, import_file
    from monitoring.sources.replay import parse_mapping

    settings, store = _open(args)
    try:
        columns = parse_mapping(args.map)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    source = FileSource(args.name, args.file, args.stream or settings.streams[0].id, columns,
                        batch=args.batch, fmt=args.format, delimiter=args.delimiter,
                        ts_format=args.ts_format)
    monitor = Monitor(settings, store)
    monitor.sources = {args.name: source}
    try:
        with tqdm(total=len(source), unit="rows", file=sys.stderr, desc="import") as bar:
            report = import_file(monitor, source,
                                 progress=lambda done, total: bar.update(done - bar.n))
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        store.close()
        return 1
    print(f"import done: {report.summary()}", file=sys.stderr)
    if report.rejected:
        for reason, _ in report.rejected[:10]:
            print(f"  rejected {reason}", file=sys.stderr)
        if args.report:
            report.write_rejected(args.report)
            print(f"rejected rows written to {args.report}", file=sys.stderr)
    store.close()
    return 0


def cmd_bench_detect(args: argparse.Namespace) -> int:
    from monitoring.detect.volume import update_cost

    for days in args.days:
        seconds = update_cost(days, bin_minutes=args.bin_minutes, repeats=args.repeats)
        print(json.dumps({"name": "volume_update", "history_days": days,
                          "value": round(seconds * 1e6, 1), "unit": "us/bin"}))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    return args.evaluate_run(args)


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from monitoring.enrich.pipeline import Enricher
    from monitoring.sources.demo import DemoScenario

    settings = load_settings(args.config)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    scen = DemoScenario(seed=1, anchor=start)
    mentions, t = [], start
    while len(mentions) < args.n:
        mentions += scen.generate(t, t + timedelta(hours=6))
        t += timedelta(hours=6)
    mentions = mentions[: args.n]
    texts = [m.text for m in mentions]
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    vader = SentimentIntensityAnalyzer()
    enricher = Enricher(settings)
    enricher.enrich(mentions[:10])  # load the lexicons and detectors outside the timing
    vader_rates, rates = [], []
    for _ in range(args.repeat):
        t0 = clock()
        for text in texts:
            vader.polarity_scores(text)
        vader_rates.append(len(texts) / (clock() - t0))
        store = Store(":memory:")
        t0 = clock()
        for i in range(0, len(mentions), args.batch):
            chunk = mentions[i:i + args.batch]
            store.ingest("bench", enricher.enrich(chunk), str(i))
        rates.append(len(mentions) / (clock() - t0))
        store.close()
    rate, vader_rate = statistics.median(rates), statistics.median(vader_rates)
    ratio = statistics.median(r / v for r, v in zip(rates, vader_rates))
    for row in ({"name": "ingest", "value": round(rate), "unit": "mentions/s",
                 "n": len(mentions), "clock": args.clock, "runs": args.repeat},
                {"name": "vader_alone", "value": round(vader_rate), "unit": "mentions/s"},
                {"name": "ingest_vs_vader", "value": round(ratio, 3), "unit": "ratio"}):
        print(json.dumps(row))
    return 0


def cmd_import_labels(args: argparse.Namespace) -> int:
    import getpass

    from monitoring.labels import LabelError, import_labels_csv

    _, store = _open(args)
    try:
        report = import_labels_csv(store, args.file, args.user or f"cli:{getpass.getuser()}")
    except (LabelError, OSError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(report.summary())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from monitoring.labels import FIELDS, train

    _, store = _open(args)
    models = Path(args.models) if args.models else Path(store.path).parent
    fields = [args.field] if args.field else list(FIELDS)
    trained = 0
    for name in fields:
        t0 = time.perf_counter()
        report = train(store, name, models)
        if report.path is None:
            print(f"{name}: not trained: {report.skipped}", file=sys.stderr)
            continue
        trained += 1
        print(f"{name}: {report.labels} labels, classes {', '.join(report.classes)}, "
              f"model written to {report.path} in {time.perf_counter() - t0:.1f} s")
    store.close()
    return 0 if trained else 1


def cmd_bench_vader_exact(args: argparse.Namespace) -> int:
    from monitoring.enrich.vader_exact import compare, read_texts

    files: list[Path] = []
    for p in map(Path, args.paths):
        files += sorted(f for f in p.iterdir() if f.suffix.lower() in (".csv", ".txt")) \
            if p.is_dir() else [p]
    mismatches = scored = 0
    for f in files:
        try:
            texts = read_texts(f)
        except (OSError, ValueError) as exc:
            print(f"skipped {f}: {exc}", file=sys.stderr)
            continue
        scored += 1
        r = compare(texts, repeat=args.repeat)
        mismatches += r["mismatches"]
        print(json.dumps({"name": "vader_exact", "file": str(f), "n": r["n"],
                          "mismatches": r["mismatches"], "max_abs_diff": r["max_abs_diff"],
                          "value": round(r["exact_per_s"]), "unit": "texts/s (cpu)",
                          "stock_vader": round(r["stock_per_s"]),
                          "speedup": round(r["speedup"], 2)}))
    if not scored:
        print("error: no readable .csv or .txt file given", file=sys.stderr)
        return 2
    return 1 if mismatches else 0


def cmd_backup(args: argparse.Namespace) -> int:
    from monitoring.backup import backup

    _, store = _open(args)
    folder = backup(store, args.directory)
    counts = json.loads((folder / "manifest.json").read_text())["tables"]
    print(f"backup written to {folder} ({counts.get('mentions', 0)} mentions, "
          f"{sum(counts.values())} rows in {len(counts)} tables)")
    store.close()
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from monitoring.backup import restore

    settings = load_settings(args.config)
    target = Path(args.db) if args.db else settings.database_path()
    store = restore(args.folder, target, force=args.force)
    print(f"restored {args.folder} into {target} ({store.count_mentions()} mentions)")
    store.close()
    return 0


def _admin_cli_user():
    import getpass

    from monitoring.auth import User

    return User(f"cli:{getpass.getuser()}", "admin")


def cmd_forget(args: argparse.Namespace) -> int:
    from monitoring.privacy import forget_author

    _, store = _open(args)
    if not args.yes:
        answer = input(f"erase everything about {args.author!r}? this cannot be undone [y/N] ")
        if answer.strip().lower() not in ("y", "yes", "s", "si", "sì"):
            print("nothing erased", file=sys.stderr)
            return 1
    try:
        report = forget_author(store, _admin_cli_user(), args.author, now=datetime.now(UTC))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"erased: {report.mentions} mentions, {report.tickets} tickets, {report.labels} "
          f"labels, {report.notifications} notifications, {report.quarantined} quarantined "
          f"items (audit: author sha256 {report.author_sha256[:16]}…)")
    store.close()
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from monitoring.privacy import apply_retention

    settings, store = _open(args)
    days = args.days or settings.privacy.retention_days
    if not days:
        print("error: no retention period: set privacy.retention_days in the settings or "
              "pass --days", file=sys.stderr)
        return 2
    report = apply_retention(store, days, now=datetime.now(UTC), user=_admin_cli_user())
    print(f"personal data older than {report.cutoff:%Y-%m-%d %H:%M} UTC erased: "
          f"{report.mentions} mentions, {report.tickets} tickets, {report.quarantined} "
          "quarantined items")
    store.close()
    return 0


def _password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from monitoring import users

    _, store = _open(args)
    actor, now = _admin_cli_user(), datetime.now(UTC)
    try:
        if args.action == "add":
            users.add_user(store, actor, args.username, args.role, _password(args), now=now,
                           display_name=args.display_name, email=args.email)
        elif args.action == "passwd":
            users.set_password(store, actor, args.username, _password(args), now=now)
        elif args.action == "role":
            users.set_role(store, actor, args.username, args.role, now=now)
        elif args.action in ("disable", "enable"):
            users.set_disabled(store, actor, args.username, args.action == "disable", now=now)
        elif args.action == "demo":
            for name, password in users.add_demo_accounts(store, actor, now=now).items():
                print(f"{name}\t{password}")
            print("demo accounts created: note the passwords now, they are shown only once",
                  file=sys.stderr)
            return 0
        else:
            print(users.list_users(store).to_string(index=False))
            return 0
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"user {args.username}: {args.action} done")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    from monitoring.escalation import delivery_problems
    from monitoring.notify.outbox import requeue_failed

    _, store = _open(args)
    try:
        if args.action == "retry":
            ids = requeue_failed(store, _admin_cli_user(), now=datetime.now(UTC),
                                 outbox_id=args.id)
            print(f"{len(ids)} failed notification(s) queued again")
        else:
            problems = delivery_problems(store, limit=args.limit)
            print(problems.to_string(index=False) if len(problems) else "no failed notifications")
    finally:
        store.close()
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from monitoring.tokens import TokenError, signer_from_settings

    settings = load_settings(args.config)
    days = args.days or settings.auth.kiosk_token_days
    try:
        token = signer_from_settings(settings).sign(
            "kiosk", args.name, datetime.now(UTC) + timedelta(days=days))
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{settings.app.base_url}/?kiosk=1&token={token}")
    print(f"kiosk link for {args.name!r}, valid {days:g} days (rotate the secret to revoke)",
          file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m monitoring",
                                description="Sentinella: crisis monitoring for customer care.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", help="settings TOML (default: data/demo.toml or "
                        "$SENTINELLA_CONFIG)")
        sp.add_argument("--db", help="DuckDB file (default: app.database in the settings)")

    r = sub.add_parser("run", help="run the monitor headless until Ctrl-C / SIGTERM")
    common(r)
    r.add_argument("--speed", type=float, help="time compression for demo sources")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="run the demo headless for N simulated minutes, "
                       "printing alerts as JSON lines")
    common(d)
    d.add_argument("--minutes", type=float, default=120, help="simulated minutes (default 120)")
    d.add_argument("--speed", type=float, default=120,
                   help="simulated minutes per real minute (default 120)")
    d.set_defaults(func=cmd_demo)

    rp = sub.add_parser("replay", help="replay a CSV/JSONL file of mentions through the "
                        "pipeline (resumable), with a progress bar")
    common(rp)
    rp.add_argument("file", help="CSV or JSONL file")
    rp.add_argument("--stream", help="stream id for rows without a stream column "
                    "(default: the first stream)")
    rp.add_argument("--name", default="replay", help="source name (cursor key; default replay)")
    rp.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")
    rp.add_argument("--map", help="column mapping FIELD=COLUMN,... over the defaults "
                    "id,ts,author,text,author_reach,lang,url,stream")
    rp.add_argument("--speed", type=float, default=0.0,
                    help="data seconds per real second (default 0 = as fast as possible)")
    rp.add_argument("--batch", type=int, default=5_000, help="rows per transaction")
    rp.add_argument("--jobs", type=int, default=None,
                    help="worker processes enriching the next batches while this one stores "
                    "and detects (default: one per core, at most 4; 0 with --speed); 0 = "
                    "enrich in this process")
    rp.set_defaults(func=cmd_replay)

    im = sub.add_parser("import", help="import a CSV/JSONL file (exports, call-centre logs) "
                        "with column mapping, a progress bar and a report of rejected rows")
    common(im)
    im.add_argument("file", help="CSV or JSONL file")
    im.add_argument("--stream", help="stream id for rows without a stream column "
                    "(default: the first stream)")
    im.add_argument("--name", default="import", help="source name (cursor key; default import)")
    im.add_argument("--format", choices=["csv", "jsonl"], help="default: from the extension")
    im.add_argument("--map", help="column mapping FIELD=COLUMN,... over the defaults "
                    "id,ts,author,text,author_reach,lang,url,stream")
    im.add_argument("--delimiter", default=",", help="CSV delimiter (default ',')")
    im.add_argument("--ts-format", help="strptime format of the timestamps, e.g. "
                    "'%%d/%%m/%%Y %%H:%%M' (default ISO 8601 or epoch seconds)")
    im.add_argument("--report", help="write the rejected rows (reason, row) to this CSV file")
    im.add_argument("--batch", type=int, default=5_000, help="rows per transaction")
    im.set_defaults(func=cmd_import)

    e = sub.add_parser("evaluate", help="evaluate detectors and classifiers on labelled data")
    esub = e.add_subparsers(dest="dataset", required=True)
    from monitoring.evaluate import complaints, nab, sentiment

    for name, mod, hlp in (("nab", nab, "volume detector on NAB-format series"),
                           ("sentiment", sentiment, "sentiment on airline/UMSAB data"),
                           ("complaints", complaints, "request/complaint classifier")):
        ep = esub.add_parser(name, help=hlp)
        mod.add_arguments(ep)
        ep.set_defaults(func=cmd_evaluate, evaluate_run=mod.run)

    bk = sub.add_parser("backup", help="export the whole database to a new folder of Parquet "
                        "files under DIRECTORY (stop the dashboard first: one process at a time)")
    common(bk)
    bk.add_argument("directory")
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="import a backup folder into a NEW database file "
                        "(--db, default app.database), checking every table's row count")
    common(rs)
    rs.add_argument("folder")
    rs.add_argument("--force", action="store_true", help="replace an existing database file")
    rs.set_defaults(func=cmd_restore)
    fg = sub.add_parser("forget", help="erase everything about one author (mentions, tickets, "
                        "labels, notifications, quarantine) and audit it with a hash")
    common(fg)
    fg.add_argument("author", help="handle, with or without '@' (case-insensitive)")
    fg.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    fg.set_defaults(func=cmd_forget)
    rt = sub.add_parser("retention", help="erase personal data older than the retention period "
                        "(privacy.retention_days or --days); aggregates are kept")
    common(rt)
    rt.add_argument("--days", type=int, help="override privacy.retention_days")
    rt.set_defaults(func=cmd_retention)

    us = sub.add_parser("user", help="dashboard accounts: add, list, disable, enable, "
                        "passwd, role, demo")
    usub = us.add_subparsers(dest="action", required=True)
    for action, hlp in (("add", "create an account"), ("list", "list the accounts"),
                        ("disable", "disable an account"), ("enable", "enable it again"),
                        ("passwd", "set a new password"), ("role", "change the role"),
                        ("demo", ("create the demo accounts admin, anna (operator) and wall "
                         "(viewer) in an empty database, printing their passwords"))):
        ua = usub.add_parser(action, help=hlp)
        common(ua)
        if action not in ("list", "demo"):
            ua.add_argument("username")
        if action in ("add", "role"):
            ua.add_argument("--role", required=True, choices=["viewer", "operator", "admin"])
        if action in ("add", "passwd"):
            ua.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of stdin")
        if action == "add":
            ua.add_argument("--display-name")
            ua.add_argument("--email", help="for OIDC logins and notifications")
        ua.set_defaults(func=cmd_user)
    ob = sub.add_parser("outbox", help="failed notifications: list them, or queue them again "
                        "once the cause is fixed")
    osub = ob.add_subparsers(dest="action", required=True)
    ol = osub.add_parser("list", help="the notifications that reached 'failed', with the error")
    common(ol)
    ol.add_argument("--limit", type=int, default=50)
    ol.set_defaults(func=cmd_outbox)
    orr = osub.add_parser("retry", help="queue failed notifications again (same keys)")
    common(orr)
    orr.add_argument("--id", type=int, help="only this outbox row (default: all failed)")
    orr.set_defaults(func=cmd_outbox)
    tk = sub.add_parser("token", help="signed tokens")
    tsub = tk.add_subparsers(dest="token", required=True)
    tki = tsub.add_parser("kiosk", help="print a kiosk link: the wall without a login")
    tki.add_argument("--config")
    tki.add_argument("--name", default="wall", help="screen name shown in the audit log")
    tki.add_argument("--days", type=float, help="validity (default auth.kiosk_token_days)")
    tki.set_defaults(func=cmd_token)
    il = sub.add_parser("import-labels", help="import operator labels (category, sentiment, "
                        "department) from a CSV file; prints what was rejected and why")
    common(il)
    il.add_argument("file", help="CSV with field,value (or a category/sentiment/department "
                    "column) and text or source,source_id")
    il.add_argument("--user", help="who the labels are recorded for (default cli:<login>)")
    il.set_defaults(func=cmd_import_labels)
    tr = sub.add_parser("train", help="fit the light text model on the stored labels, one "
                        "model file per field, next to the database (or --models)")
    common(tr)
    tr.add_argument("--field", choices=["category", "sentiment", "department"],
                    help="only this field (default: every field with enough labels)")
    tr.add_argument("--models", help="folder for the model files (default: the database's "
                    "folder, where the monitor looks for them)")
    tr.set_defaults(func=cmd_train)

    b = sub.add_parser("bench", help="benchmarks, one JSON line per result")
    bsub = b.add_subparsers(dest="bench", required=True)
    bi = bsub.add_parser("ingest", help="mentions/s through enrich+store beside stock VADER")
    bi.add_argument("--config")
    bi.add_argument("-n", type=int, default=100_000, help="mentions (default 100000)")
    bi.add_argument("--batch", type=int, default=5_000, help="batch size (default 5000)")
    bi.add_argument("--repeat", type=int, default=3,
                    help="runs; the medians are printed (default 3)")
    bi.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall time, or this process's CPU time (steadier on a busy machine)")
    bi.set_defaults(func=cmd_bench_ingest)
    bs = bsub.add_parser("soak", help="one kiosk wall session in headless Chromium refreshing "
                         "for N minutes; server RSS at start and end")
    bs.add_argument("--config")
    bs.add_argument("--minutes", type=float, default=30.0, help="duration (default 30)")
    bs.add_argument("--warmup", type=float, default=60.0,
                    help="seconds after the first render before the first sample (default 60)")
    bs.add_argument("--sample-seconds", type=float, default=60.0,
                    help="seconds between RSS samples (default 60)")
    bs.set_defaults(func=cmd_bench_soak)
    bd = bsub.add_parser("detect", help="volume detector update time per bin vs history")
    bd.add_argument("--days", type=int, nargs="+", default=[1, 60],
                    help="history lengths in days (default 1 60)")
    bd.add_argument("--bin-minutes", type=int, default=1, help="bin width (default 1)")
    bd.add_argument("--repeats", type=int, default=2000, help="timed bins (default 2000)")
    bd.set_defaults(func=cmd_bench_detect)
    bv = bsub.add_parser("vader-exact", help="check that the fast VADER scorer returns stock "
                         "VADER's scores on labelled files (exit 1 on any difference) and "
                         "compare speeds")
    bv.add_argument("paths", nargs="+", metavar="PATH",
                    help="CSV files with a text column, text files (last tab-separated field), "
                    "or folders of them")
    bv.add_argument("--repeat", type=int, default=3, help="timing runs; medians printed")
    bv.set_defaults(func=cmd_bench_vader_exact)
    from monitoring.bench.cli import add_commands as add_bench_commands

    add_bench_commands(bsub)
    return p


def cmd_bench_soak(args: argparse.Namespace) -> int:
    from monitoring import soak

    return soak.main(args.minutes, args.config, args.warmup, args.sample_seconds)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (duckdb.IOException, duckdb.TransactionException, duckdb.PermissionException) as exc:
        print(f"error: the database refused a write ({exc}); nothing saved is lost: run the "
              "command again once the database is writable (it resumes from the last saved "
              "batch)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
