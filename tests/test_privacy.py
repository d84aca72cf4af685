from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.auth import PermissionDenied, User
from monitoring.config import load_settings
from monitoring.enrich.pipeline import Enricher
from monitoring.models import Mention
from monitoring.privacy import ERASED, apply_retention, forget_author
from monitoring.sla import TicketDue

NOW = datetime(2026, 3, 30, 12, tzinfo=UTC)
ADMIN = User("root", "admin")
SETTINGS = load_settings()


def _ingest(store, rows):
    mentions = [Mention(src, sid, "lumea", ts, author, text) for src, sid, ts, author, text in rows]
    frame = TicketDue.from_settings(SETTINGS).add_columns(Enricher(SETTINGS).enrich(mentions))
    store.ingest("test", frame, None)


def _rows(store, sql, params=()):
    return store.reader().execute(sql, list(params)).fetchall()


@pytest.fixture
def db(fresh_db):
    old, new = NOW - timedelta(days=40), NOW - timedelta(days=2)
    _ingest(fresh_db, [
        ("x", "1", old, "@Mario_Rossi", ("@LumeaEnergia bolletta sbagliata, IBAN "
                                         "IT60X0542811101000000123456, aiutatemi?")),
        ("mastodon", "7", new, "mario_rossi", "@LumeaEnergia ancora nessuna risposta, aiuto?"),
        ("x", "2", new, "@mario_rossi2", "@LumeaEnergia la luce è tornata, grazie!"),
        ("x", "3", old, "@anna", "Lumea ha le offerte migliori"),
    ])
    fresh_db.reader().execute(
        "INSERT INTO labels (source, source_id, text, field, value, actor, created_at) "
        "SELECT source, source_id, text, 'category', 'request', 'op', ? FROM mentions",
        [NOW.replace(tzinfo=None)])
    fresh_db.reader().execute(
        "INSERT INTO quarantine (source, received_at, reason, payload) VALUES "
        "('x', ?, 'bad json', '{\"user\": \"mario_rossi\", \"text\": '), "
        "('x', ?, 'bad json', '{\"user\": \"mario_rossi2\"')",
        [(NOW - timedelta(days=1, hours=1)).replace(tzinfo=None)] * 2)
    payload = {"alert": {"samples": [{"author": "@Mario_Rossi", "text": "bolletta"},
                                     {"author": "@anna", "text": "offerte"}]}}
    fresh_db.reader().execute(
        "INSERT INTO outbox (escalation_id, channel, target, idempotency_key, payload, state, "
        "next_attempt_at) VALUES (1, 'email', 'c', 'k1', ?, 'sent', ?)",
        [json.dumps(payload), NOW.replace(tzinfo=None)])
    return fresh_db


def test_forget_erases_the_author_everywhere_and_nobody_else(db):
    bins_before = _rows(db, "SELECT * FROM bins ORDER BY ALL")
    report = forget_author(db, ADMIN, "@MARIO_ROSSI", now=NOW)
    assert (report.mentions, report.tickets, report.labels) == (2, 2, 2)
    assert (report.notifications, report.quarantined) == (1, 1)
    left = _rows(db, "SELECT source_id, author, text IS NULL, raw IS NULL FROM mentions "
                     "ORDER BY source, source_id")
    assert left == [("7", ERASED, True, True), ("1", ERASED, True, True),
                    ("2", "@mario_rossi2", False, True), ("3", "@anna", False, True)]
    assert _rows(db, "SELECT count(*) FROM tickets WHERE author ILIKE '%mario_rossi'") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM labels WHERE text IS NULL") == [(2,)]
    samples = json.loads(_rows(db, "SELECT payload FROM outbox")[0][0])["alert"]["samples"]
    assert [s["author"] for s in samples] == ["@anna"]
    assert _rows(db, "SELECT payload FROM quarantine") == [('{"user": "mario_rossi2"',)]
    assert _rows(db, "SELECT * FROM bins ORDER BY ALL") == bins_before  # charts unchanged
    audit = _rows(db, "SELECT action, target_id, detail FROM audit_log")
    assert audit[0][0] == "privacy.forget" and "mario" not in json.dumps(audit).lower()


@pytest.mark.parametrize(("user", "author", "error"), [
    (User("op", "operator"), "mario_rossi", PermissionDenied),
    (User("wall", "viewer"), "mario_rossi", PermissionDenied),
    (ADMIN, "@ab", ValueError),
    (ADMIN, "  ", ValueError),
])
def test_forget_refusals_change_nothing(db, user, author, error):
    with pytest.raises(error):
        forget_author(db, user, author, now=NOW)
    assert _rows(db, "SELECT count(*) FROM mentions WHERE author = ?", [ERASED]) == [(0,)]
    assert _rows(db, "SELECT count(*) FROM audit_log") == [(0,)]


@pytest.mark.parametrize(("days", "erased_ids", "quarantine_left"), [
    (30, ["1", "3"], 2),
    (1, ["1", "2", "3", "7"], 0),
    (365, [], 2),
])
def test_retention_erases_old_personal_data_and_keeps_aggregates(db, days, erased_ids,
                                                                 quarantine_left):
    bins_before = _rows(db, "SELECT * FROM bins ORDER BY ALL")
    report = apply_retention(db, days, now=NOW)
    erased = [r[0] for r in _rows(db, "SELECT source_id FROM mentions WHERE text IS NULL "
                                      "AND author = ? ORDER BY source_id", [ERASED])]
    assert erased == erased_ids and report.mentions == len(erased_ids)
    assert _rows(db, "SELECT count(*) FROM quarantine") == [(quarantine_left,)]
    assert _rows(db, "SELECT * FROM bins ORDER BY ALL") == bins_before
    assert _rows(db, "SELECT count(*) FROM mentions") == [(4,)]  # keys kept: no double count
    again = apply_retention(db, days, now=NOW)
    assert again.mentions == 0  # idempotent


def test_retention_by_a_user_needs_admin(db):
    with pytest.raises(PermissionDenied):
        apply_retention(db, 30, now=NOW, user=User("op", "operator"))
