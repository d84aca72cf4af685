"""SIGKILL the headless demo (collect, detect, auto-escalation, ladder, delivery) at random
moments: every escalation notification ends up delivered to a loopback webhook, each outbox
row sent, every idempotency key received (retries repeat the same key, so a receiver
deduplicates), and no alert escalated twice to the same target."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitoring.config import DEFAULT_CONFIG
from monitoring.store import Store

SQL_OUTBOX = "SELECT idempotency_key, state FROM outbox WHERE channel = 'webhook'"
SQL_WAITING = """
SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state IN ('pending', 'sending')
"""
SQL_DOUBLE_ESCALATIONS = """
SELECT count(*) FROM (SELECT alert_id, contact, level FROM escalations
                      GROUP BY ALL HAVING count(*) > 1)
"""


class _Receiver(BaseHTTPRequestHandler):
    keys: list[str]

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.keys.append(self.headers.get("Idempotency-Key") or "")
        self.send_response(204)
        self.end_headers()


def _waiting(db: Path) -> int:
    """Webhook notifications not yet sent (pending or claimed)."""
    store = Store(db)
    try:
        return store.reader().execute(SQL_WAITING).fetchone()[0]
    finally:
        store.close()


def _settings(tmp_path: Path, url: str) -> Path:
    text = DEFAULT_CONFIG.read_text().replace("backfill_days = 7", "backfill_days = 1")
    text = text.replace("[[contacts]]", f"""[[contacts]]
id = "war-room"
name = "War room"
webhook = "{url}"

[[contacts]]""", 1)
    text += """
[[escalation.ladders]]
id = "hooks"
name = "War room hook"
levels = [["war-room"]]

[[escalation.rules]]
kinds = ["service_incident", "reputation_crisis", "request_surge", "negative_shift"]
min_severity = 1
ladder = "hooks"

[notify]
backoff_seconds = 1
interval_seconds = 1
"""
    path = tmp_path / "delivery.toml"
    path.write_text(text)
    return path


@pytest.mark.long
@pytest.mark.timeout(900)
def test_sigkill_during_detection_and_delivery_loses_no_notification(tmp_path):
    keys: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("R", (_Receiver,), {"keys": keys}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = _settings(tmp_path, f"http://127.0.0.1:{server.server_address[1]}/hook")
        db = tmp_path / "delivery.duckdb"
        env = {**os.environ, "SENTINELLA_TOKEN_SECRET": "kill-test-token-secret-0123456789"}
        cmd = [sys.executable, "-m", "monitoring", "demo", "--config", str(cfg), "--db",
               str(db), "--minutes", "150", "--speed", "240"]
        rng = random.Random(17)
        for _ in range(5):
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=env)
            time.sleep(rng.uniform(6.0, 14.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        # Unkilled runs of a few seconds each until nothing is waiting: a slow start on a
        # busy machine (re-warming the detectors) can leave a first run too little time
        # to deliver, and a run can open a new alert near its end.
        for _ in range(5):
            subprocess.run(cmd[:-4] + ["--minutes", "4", "--speed", "60"], check=True,
                           timeout=300, capture_output=True, env=env)
            if not _waiting(db):
                break
    finally:
        server.shutdown()
        server.server_close()
    store = Store(db)
    try:
        outbox = store.reader().execute(SQL_OUTBOX).fetchall()
        assert outbox, "the demo's outage should have escalated to the webhook"
        assert {state for _, state in outbox} == {"sent"}
        assert {key for key, _ in outbox} == set(keys)
        assert store.reader().execute(SQL_DOUBLE_ESCALATIONS).fetchall()[0][0] == 0
    finally:
        store.close()
