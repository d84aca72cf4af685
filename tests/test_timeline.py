from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta

import pytest

from monitoring.actions import acknowledge_alert, add_alert_note
from monitoring.auth import PermissionDenied, User
from monitoring.i18n import Translator
from monitoring.inbox import mark_responded
from monitoring.timeline import (
    TimelineError,
    add_annotation,
    export_csv,
    export_html,
    export_review,
    phase_posts,
    review_for_alert,
    review_range,
)
from tests.inbox_seed import seed

T0 = datetime(2026, 3, 2, 10, 0)
NOW = datetime(2026, 3, 2, 13, 0)
ANNA = User("anna", "operator")
ADMIN = User("root", "admin")
HOSTILE = '<img src=x onerror=alert(1)> [link](http://evil) mario.rossi@example.it'

SQL_ALERT = """
INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, last_bin,
                    updated_at, closed_at)
VALUES ('lumea', 'reputation_crisis', 'open', 8, 5.0, ?, ?, ?, ?, ?) RETURNING id
"""
SQL_ESCALATION = """
INSERT INTO escalations (alert_id, level, contact, created_at, created_by, state,
                         acknowledged_at, acknowledged_by)
VALUES (?, 1, 'comms-director', ?, 'anna', 'acknowledged', ?, 'director')
"""


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


@pytest.fixture
def crisis(fresh_db):
    """60 minutes of posts; an alert from minute 20 (opened at 22) to 40, closed at 45."""
    seed(fresh_db, [
        {"source_id": str(i), "ts": minutes(i), "author": f"@user{i}",
         "text": (HOSTILE if i == 30 else f"bolletta sbagliata {i}"),
         "priority": 99.0 if i == 30 else 10.0,
         "category": "request" if i % 10 == 0 else "polemic",
         "sentiment_label": "negative" if 20 <= i < 40 else "positive"}
        for i in range(60)], NOW)
    alert_id = fresh_db.reader().execute(
        SQL_ALERT, [minutes(22), minutes(20), minutes(40), minutes(40), minutes(45)]
    ).fetchone()[0]
    fresh_db.reader().execute(
        "INSERT INTO alert_events (alert_id, ts, event, actor, detail) "
        "VALUES (?, ?, 'open', 'system', '{}')", [alert_id, minutes(22)])
    acknowledge_alert(fresh_db, ANNA, alert_id, now=minutes(30))
    fresh_db.reader().execute(SQL_ESCALATION, [alert_id, minutes(25), minutes(33)])
    add_alert_note(fresh_db, ANNA, alert_id, now=minutes(35), text="call 333 123 4567")
    tickets = dict(fresh_db.reader().execute("SELECT source_id, id FROM tickets").fetchall())
    mark_responded(fresh_db, ANNA, tickets["20"], now=minutes(28))   # within 2 h
    mark_responded(fresh_db, ANNA, tickets["30"], now=minutes(200))  # late
    add_annotation(fresh_db, ANNA, minutes(50), "statement published", now=minutes(51),
                   stream="lumea")
    return fresh_db, alert_id


def test_review_of_an_alert_has_events_phases_and_series(crisis):
    store, alert_id = crisis
    review = review_for_alert(store, alert_id, margin=timedelta(minutes=30), now=NOW)
    assert (review.start, review.end) == (minutes(-10), minutes(75))
    assert int(review.series["n"].sum()) == 60
    assert list(review.events["event"]) == [
        "open", "escalation", "first_response", "acknowledged", "escalation_ack", "note",
        "annotation"]
    assert [(p.name, p.start, p.end) for p in review.phases] == [
        ("before", minutes(-10), minutes(20)), ("during", minutes(20), minutes(46)),
        ("after", minutes(46), minutes(75))]
    during = review.phases[1]
    assert during.posts["priority"].iloc[0] == 99.0
    assert "mario.rossi@example.it" not in phase_posts(during)["text"].iloc[0]
    assert phase_posts(during)["author"].iloc[0] == "@u•••"
    assert "bolletta" in review.phases[0].terms
    assert not any("example" in t or "mario" in t for p in review.phases for t in p.terms)
    # Left out on request (the page passes the streams' own names and handles).
    without = review_for_alert(store, alert_id, margin=timedelta(minutes=30), now=NOW,
                               exclude=frozenset(["bolletta"]))
    assert "bolletta" not in without.phases[0].terms and without.phases[0].terms


@pytest.mark.parametrize("name, expected", [
    ("time_to_detect", 120.0),           # first anomalous bin 10:20, opened 10:22
    ("time_to_escalate", 180.0),         # escalation sent 10:25
    ("time_to_acknowledge", 480.0),      # acknowledged 10:30 (before the escalation ack)
    ("time_to_first_response", 360.0),   # ticket of 10:20 answered at 10:28
    ("median_first_response", (8 * 60 + 170 * 60) / 2),
    ("within_sla", 0.5),                 # one on time, one late; others not yet decided
    ("requests", 6.0),
    ("resolved", 0.0),
])
def test_key_numbers(crisis, name, expected):
    store, alert_id = crisis
    review = review_for_alert(store, alert_id, margin=timedelta(minutes=30), now=NOW)
    assert review.numbers[name] == pytest.approx(expected)


def test_within_sla_counts_overdue_unanswered_as_missed(crisis):
    store, _ = crisis
    review = review_range(store, "lumea", minutes(0), minutes(60 * 24))
    # tickets at 0,10,20,30,40,50: 20 on time, 30 late, the 4 others unanswered and overdue
    assert review.numbers["within_sla"] == pytest.approx(1 / 6)


def test_net_sentiment_is_smoothed_over_a_window(crisis):
    store, _ = crisis
    series = review_range(store, "lumea", minutes(0), minutes(60)).series.set_index("bin_start")
    # minutes 0-19 positive, 20-39 negative: at minute 25, 6 of the last 15 posts are negative
    assert series.loc[minutes(25), "net_sentiment"] == pytest.approx((9 - 6) / 15)
    assert series.loc[minutes(39), "net_sentiment"] == -1.0


def test_an_open_alert_lasts_to_the_end_of_the_range(crisis):
    store, alert_id = crisis
    store.reader().execute("UPDATE alerts SET closed_at = NULL WHERE id = ?", [alert_id])
    review = review_for_alert(store, alert_id, margin=timedelta(minutes=30), now=minutes(50))
    assert [(p.name, p.end) for p in review.phases] == [("before", minutes(20)),
                                                        ("during", minutes(50))]


def test_range_without_alerts_is_one_phase(crisis):
    store, _ = crisis
    review = review_range(store, "lumea", minutes(50), minutes(60))
    assert [p.name for p in review.phases] == ["range"]
    assert review.numbers["time_to_detect"] is None
    assert list(review.events["event"]) == ["annotation"]


@pytest.mark.parametrize("start, end", [(minutes(10), minutes(10)), (minutes(10), minutes(0))])
def test_bad_range(fresh_db, start, end):
    with pytest.raises(TimelineError, match="after its start"):
        review_range(fresh_db, "lumea", start, end)


def test_unknown_alert(fresh_db):
    with pytest.raises(TimelineError, match="does not exist"):
        review_for_alert(fresh_db, 42)


@pytest.mark.parametrize("user, text, error", [
    (User("v", "viewer"), "note", PermissionDenied),
    (ANNA, "   ", TimelineError),
])
def test_annotation_refused(fresh_db, user, text, error):
    with pytest.raises(error):
        add_annotation(fresh_db, user, T0, text, now=T0)
    assert fresh_db.reader().execute("SELECT count(*) FROM annotations").fetchone()[0] == 0


def test_annotation_is_stored_bounded_and_audited(fresh_db):
    note_id = add_annotation(fresh_db, ANNA, T0, "x" * 5000, now=T0, stream="lumea")
    text, actor = fresh_db.reader().execute(
        "SELECT text, actor FROM annotations WHERE id = ?", [note_id]).fetchone()
    assert (len(text), actor) == (2000, "anna")
    assert fresh_db.reader().execute("SELECT action FROM audit_log").fetchone()[0] == \
        "timeline.annotate"


def test_csv_lists_events_with_masked_notes(crisis):
    store, alert_id = crisis
    review = review_for_alert(store, alert_id, now=NOW)
    rows = list(csv.DictReader(io.StringIO(export_csv(review))))
    assert [r["event"] for r in rows][:2] == ["open", "escalation"]
    note = next(r for r in rows if r["event"] == "note")
    assert "333 123 4567" not in note["detail"] and note["actor"] == "anna"
    unmasked = list(csv.DictReader(io.StringIO(export_csv(review, masked=False))))
    assert "333 123 4567" in next(r for r in unmasked if r["event"] == "note")["detail"]


@pytest.mark.parametrize("lang, heading", [("it", "Timeline della crisi"),
                                            ("en", "Crisis timeline")])
def test_html_report_is_self_contained_escaped_and_masked(crisis, lang, heading):
    store, alert_id = crisis
    review = review_for_alert(store, alert_id, now=NOW)
    report = export_html(review, Translator(lang, strict=True))
    assert heading in report
    assert re.search(r"<script[^>]*\bsrc=", report) is None      # nothing fetched
    assert "Plotly.newPlot" in report
    assert "<img src=x" not in report and "&lt;img src=x" in report
    assert "mario.rossi@example.it" not in report and "@user30" not in report
    assert "statement published" in report


def test_export_review_audits_and_unmasking_needs_admin(crisis):
    store, alert_id = crisis
    review = review_for_alert(store, alert_id, now=NOW)
    tr = Translator("en")
    with pytest.raises(PermissionDenied):
        export_review(store, ANNA, review, "csv", tr, now=NOW, unmasked=True)
    body = export_review(store, ADMIN, review, "html", tr, now=NOW, unmasked=True)
    assert "mario.rossi@example.it" in body and "@user30" in body
    export_review(store, ANNA, review, "csv", tr, now=NOW)
    rows = store.reader().execute(
        "SELECT actor, detail FROM audit_log WHERE action = 'timeline.export' ORDER BY id"
    ).fetchall()
    assert [(a, json.loads(d)["masked"], json.loads(d)["format"]) for a, d in rows] == [
        ("root", False, "html"), ("anna", True, "csv")]
    with pytest.raises(TimelineError, match="unknown export format"):
        export_review(store, ANNA, review, "pdf", tr, now=NOW)
