from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from monitoring.actions import acknowledge_alert, add_alert_note
from monitoring.audit import audit_csv, audit_rows
from monitoring.auth import User

T0 = datetime(2026, 3, 2, 10, 0)


@pytest.fixture
def history(fresh_db):
    alert = fresh_db.reader().execute(
        "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
        "last_bin, updated_at) VALUES ('lumea', 'service_incident', 'open', 6, 5.0, ?, ?, ?, ?) "
        "RETURNING id", [T0, T0, T0, T0]).fetchall()[0][0]
    anna, marco = User("anna", "operator"), User("marco", "operator")
    acknowledge_alert(fresh_db, anna, alert, now=T0 + timedelta(minutes=1))
    add_alert_note(fresh_db, marco, alert, now=T0 + timedelta(minutes=2),
                   text="=HYPERLINK(\"http://evil\")")
    add_alert_note(fresh_db, anna, alert, now=T0 + timedelta(minutes=3), text="ok")
    return fresh_db, alert


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["alert.acknowledge", "alert.note", "alert.note"]),
    ({"actor": "anna"}, ["alert.acknowledge", "alert.note"]),
    ({"actor": "nobody"}, []),
    ({"since": T0 + timedelta(minutes=2)}, ["alert.note", "alert.note"]),
    ({"until": T0 + timedelta(minutes=2)}, ["alert.acknowledge"]),
    ({"target_type": "alert", "target_id": 1}, ["alert.acknowledge", "alert.note", "alert.note"]),
    ({"target_type": "ticket"}, []),
    ({"limit": 1}, ["alert.acknowledge"]),
])
def test_audit_rows_filter(history, filters, expected):
    store, _ = history
    assert list(audit_rows(store, **filters)["action"]) == expected


def test_csv_export_round_trips_and_neutralises_formulas(history):
    store, _ = history
    rows = audit_rows(store)
    text = audit_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["actor"] for r in parsed] == ["anna", "marco", "anna"]
    assert parsed[1]["detail"].startswith("{") and "HYPERLINK" in parsed[1]["detail"]
    evil = audit_csv(rows.assign(actor=["=cmd()", "+1", "@x"]))
    actors = [r["actor"] for r in csv.DictReader(io.StringIO(evil))]
    assert actors == ["'=cmd()", "'+1", "'@x"]
