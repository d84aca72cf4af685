"""Secrets (API token, SMTP password, webhook URL) never appear in output, logs, the
database or backups, even with failing sources and a settings file that holds a secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from monitoring.auth import User
from monitoring.config import DEFAULT_CONFIG, load_settings
from monitoring.escalation import escalate_alert
from monitoring.store import SQL_INSERT_ALERT, Store

SECRETS = {
    "SENTINELLA_TEST_API_TOKEN": "tok-5ecret-4f9c2d7e1b",
    "SENTINELLA_TEST_SMTP_PASSWORD": "smtp-5ecret-pa55w0rd-88",
    "SENTINELLA_TOKEN_SECRET": "sign-5ecret-0123456789abcdef",
}
WEBHOOK_IN_SETTINGS = "https://hooks.example.test/services/T1/B1/wh-5ecret-in-settings-77"
#: Sources that need the secrets and fail (nothing listens on port 9 of the loopback).
FAILING_SOURCES = [
    ("x-api", "x", '{ bearer_token = "SENTINELLA_TEST_API_TOKEN" }', "{ day_limit = 10 }"),
    ("mastodon", "mastodon", '{ access_token = "SENTINELLA_TEST_API_TOKEN" }',
     '{ instance = "http://127.0.0.1:9", hashtags = ["lumea"] }'),
    ("inbox-mail", "imap",
     '{ username = "SENTINELLA_TEST_IMAP_USER", password = "SENTINELLA_TEST_SMTP_PASSWORD" }',
     '{ host = "127.0.0.1", port = 9, ssl = false, timeout_seconds = 2 }'),
]
SOURCES = "".join(
    f'\n[[sources]]\nname = "{name}"\nkind = "{kind}"\nstreams = ["lumea"]\n'
    f"interval_seconds = 1\ncredentials = {creds}\noptions = {options}\n"
    for name, kind, creds, options in FAILING_SOURCES)
CONTACT = f"""
[[contacts]]
id = "war-room"
name = "War room"
email = "war-room@lumea.example"
webhook = "{WEBHOOK_IN_SETTINGS}"
"""
DELIVERY = """
[smtp]
host = "127.0.0.1"
port = 9
username_env = "SENTINELLA_TEST_IMAP_USER"
password_env = "SENTINELLA_TEST_SMTP_PASSWORD"
timeout_seconds = 2

[notify]
backoff_seconds = 1
interval_seconds = 1
timeout_seconds = 2
"""


def _settings(tmp_path: Path) -> Path:
    text = DEFAULT_CONFIG.read_text().replace("backfill_days = 7", "backfill_days = 1")
    text = text[:text.index("\n[smtp]")]  # the demo's own SMTP server is replaced below
    text = text.replace("[[departments]]", SOURCES + "\n[[departments]]", 1)
    text = text.replace("[[contacts]]", CONTACT + "\n[[contacts]]", 1) + DELIVERY
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    return path


def _cli(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitoring", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, check=False)


def _database_text(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    finally:
        con.close()


def _backup_text(folder: Path) -> str:
    con = duckdb.connect()
    parts = [p.read_text(errors="replace") for p in folder.rglob("*") if p.suffix != ".parquet"
             and p.is_file()]
    parts += [str(con.execute("SELECT * FROM read_parquet(?)", [str(p)]).fetchall())
              for p in folder.rglob("*.parquet")]
    return "\n".join(parts)


def test_no_secret_in_output_logs_database_or_backup(tmp_path):
    env = {**os.environ, **SECRETS, "SENTINELLA_TEST_IMAP_USER": "monitor@lumea.example",
           "PYTHONUNBUFFERED": "1"}
    cfg, db = _settings(tmp_path), tmp_path / "secrets.duckdb"
    captured: list[str] = []

    store = Store(db)  # an escalated alert: the deliver job will try SMTP and the webhook
    try:
        now = datetime.now(UTC).replace(tzinfo=None)
        with store.transaction() as cur:
            (alert_id,), = cur.execute(SQL_INSERT_ALERT, [
                "lumea", "service_incident", 6, 5.0, now, now, now, now, 40, 4, "{}"]).fetchall()
        escalate_alert(store, load_settings(cfg), User("op", "operator"), int(alert_id),
                       "contact:war-room", "please look", now=datetime.now(UTC))
    finally:
        store.close()

    run = subprocess.Popen([sys.executable, "-m", "monitoring", "run", "--config", str(cfg),
                            "--db", str(db), "--speed", "60"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(12)
        run.send_signal(signal.SIGTERM)  # stops after the running jobs finish
        out, err = run.communicate(timeout=240)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    captured += [out, err]
    assert run.returncode == 0, err[-2000:]

    store = Store(db)
    try:
        health = store.source_health().set_index("source")
        assert health.loc["demo", "state"] == "ok"
        for name, *_ in FAILING_SOURCES:
            assert health.loc[name, "state"] in ("failing", "not_configured"), name
        assert health.loc["mastodon", "state"] == "failing"
        assert health.loc["inbox-mail", "state"] == "failing"
        assert store.count_mentions() > 0
        attempts = store.reader().execute(
            "SELECT channel, attempts, last_error FROM outbox ORDER BY channel").fetchall()
        assert [(c, n > 0, bool(e)) for c, n, e in attempts] == [("email", True, True),
                                                                 ("webhook", True, True)]
    finally:
        store.close()

    backup = _cli("backup", str(tmp_path / "backups"), "--config", str(cfg), "--db", str(db),
                  env=env)
    assert backup.returncode == 0, backup.stderr
    captured += [backup.stdout, backup.stderr, _backup_text(tmp_path / "backups")]
    captured.append(_database_text(db))

    leaky = cfg.read_text().replace('bearer_token = "SENTINELLA_TEST_API_TOKEN"',
                                    f'bearer_token = "{SECRETS["SENTINELLA_TEST_API_TOKEN"]}"', 1)
    (tmp_path / "leaky.toml").write_text(leaky)
    refused = _cli("replay", str(tmp_path / "none.jsonl"), "--config",
                   str(tmp_path / "leaky.toml"), "--db", str(tmp_path / "other.duckdb"), env=env)
    assert refused.returncode == 2 and "must name an environment variable" in refused.stderr
    captured += [refused.stdout, refused.stderr]

    text = "\n".join(captured)
    assert "demo" in text and len(text) > 10_000  # the capture did capture something
    for secret in [*SECRETS.values(), WEBHOOK_IN_SETTINGS]:
        assert secret not in text
        assert secret.split("5ecret")[1] not in text
