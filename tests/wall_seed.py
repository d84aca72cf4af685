"""A small, known state for the wall and alert tests: bins with a band, two open alerts,
mentions (one with personal data, one hostile), tickets, source health, a failed delivery."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from monitoring.store import Store, naive_utc

HOSTILE = "<script>alert(1)</script> [click](http://evil.example) ![x](http://evil.example/x.png)"
PII_TEXT = "Senza luce da ore, chiamatemi al +39 333 123 4567 o mario.rossi@example.it"

SETTINGS_TOML = """
[app]
language = "it"
refresh_seconds = 2
speed = 1
silent_after_minutes = 15

[[streams]]
id = "lumea"
name = "Lumea Energia"
keywords = ["lumea"]

[[streams]]
id = "other"
name = "Other brand"
keywords = ["other"]

[[sources]]
name = "rss"
kind = "rss"
streams = ["lumea"]
enabled = false

[[departments]]
id = "customer-care"
name = { it = "Assistenza clienti", en = "Customer care" }
default = true

[[departments]]
id = "operations"
name = { it = "Tecnico / Rete", en = "Operations" }
keywords = ["luce"]
first_response_minutes = 30

[[contacts]]
id = "duty-manager"
name = "Duty manager"
email = "duty@lumea.example"

[[contacts]]
id = "comms-director"
name = "Comms director"
email = "comms@lumea.example"

[[escalation.ladders]]
id = "crisis"
name = "Crisis ladder"
levels = [["comms-director"], ["duty-manager"]]
ack_minutes = 15
"""

SQL_ALERT = """
INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, last_bin,
                    updated_at, observed, expected, explanation)
VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
"""
SQL_MENTION = """
INSERT INTO mentions (source, source_id, stream, ts, author, text, lang, sentiment_label,
                      category, department, priority, batch_id, ingested_at)
VALUES ('demo', ?, ?, ?, ?, ?, 'it', ?, ?, ?, ?, 0, ?)
"""
SQL_BIN = "INSERT INTO bins VALUES (?, ?, ?, ?, ?, 0, 0)"
SQL_BAND = "INSERT INTO bin_band VALUES (?, ?, ?, ?, ?)"
SQL_TICKET = """
INSERT INTO tickets (source, source_id, stream, department, state, created_at,
                     first_response_due, resolution_due, first_response_at)
VALUES ('demo', ?, 'lumea', ?, 'open', ?, ?, ?, ?)
"""


def seed_crisis(store: Store, now: datetime) -> dict[str, int]:
    """Write the known state at ``now``; return the ids of the two alerts."""
    t = naive_utc(now).replace(second=0, microsecond=0)
    minutes = [(t - timedelta(minutes=i), i) for i in range(180, 0, -1)]
    with store.transaction() as cur:  # one commit for the 540 rows, not one per row
        cur.executemany(SQL_BIN, [["lumea", b, "polemic", 40 if i <= 30 else 5,
                                   20 if i <= 30 else 1] for b, i in minutes]
                        + [["lumea", b, "request", 2, 0] for b, _ in minutes])
        cur.executemany(SQL_BAND, [["lumea", b, 7.0, 3.0, 12.0] for b, _ in minutes])
    cur = store.reader()
    first = t - timedelta(minutes=30)
    crisis = cur.execute(SQL_ALERT, [
        "lumea", "reputation_crisis", 9, 9.5, first, first, t - timedelta(minutes=1), t,
        42.0, 7.0, json.dumps({"top_terms": ["boicotta", "vessani", "lumea"],
                               "negative_share": 0.5, "request_share": 0.05,
                               "opinion_share": 0.9, "authors": 300,
                               "sample_ids": ["demo:m1", "demo:m2"]})]).fetchall()[0][0]
    incident = cur.execute(SQL_ALERT, [
        "lumea", "service_incident", 5, 4.0, first, first, t - timedelta(minutes=2), t,
        20.0, 6.0, json.dumps({"top_terms": ["blackout", "milano"],
                               "request_share": 0.7, "opinion_share": 0.1})]).fetchall()[0][0]
    mentions = [("m1", "anna_b", PII_TEXT, "negative", "request", "operations", 0.9),
                ("m2", "troll", HOSTILE, "negative", "polemic", "comms", 0.8),
                ("m3", "carlo", "Tutto ok, grazie", "positive", "praise", "", 0.1)]
    for k, (sid, author, text, label, cat, dept, prio) in enumerate(mentions):
        cur.execute(SQL_MENTION, [sid, "lumea", t - timedelta(minutes=5 + k), author, text,
                                  label, cat, dept, prio, t])
    cur.execute(SQL_TICKET, ["m1", "operations", t - timedelta(hours=2),
                             t - timedelta(hours=1), t + timedelta(hours=2), None])
    cur.execute(SQL_TICKET, ["m9", "customer-care", t - timedelta(minutes=10),
                             t + timedelta(minutes=50), t + timedelta(hours=8), None])
    store.record_failure("rss", "HTTP 503 from feed", now)
    esc = cur.execute("INSERT INTO escalations (alert_id, level, contact, created_at, "
                      "created_by, state) VALUES (?, 1, 'duty-manager', ?, 'anna', 'pending') "
                      "RETURNING id", [crisis, t]).fetchall()[0][0]
    cur.execute("INSERT INTO outbox (escalation_id, channel, target, idempotency_key, payload, "
                "state, attempts, next_attempt_at, last_error) VALUES (?, 'email', "
                "'duty-manager', 'k-failed', '{}', 'failed', 5, ?, 'SMTP refused')", [esc, t])
    return {"crisis": int(crisis), "incident": int(incident)}


def start_app_monitor(tmp_path, monkeypatch):
    """The dashboard's Monitor on a fresh database with the seeded state, scheduler stopped
    (AppTest runs the pages in this process, so they get this very Monitor)."""
    from monitoring.ui import components
    from monitoring.ui.runtime import get_monitor

    config = tmp_path / "settings.toml"
    config.write_text(SETTINGS_TOML, encoding="utf-8")
    monkeypatch.setenv("SENTINELLA_CONFIG", str(config))
    monkeypatch.setenv("SENTINELLA_DB", str(tmp_path / "app.duckdb"))
    get_monitor.clear()
    components._snapshot.clear()
    monitor = get_monitor()
    monitor.stop()
    ids = seed_crisis(monitor.store, monitor.clock.now())
    return monitor, ids


def stop_app_monitor(monitor) -> None:
    from monitoring.ui import components
    from monitoring.ui.runtime import get_monitor

    monitor.stop()
    monitor.store.close()
    get_monitor.clear()
    components._snapshot.clear()
