from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest

from monitoring.auth import PermissionDenied, User
from monitoring.config import BusinessHours, load_settings
from monitoring.inbox import (
    TicketError,
    assign_ticket,
    correct_ticket,
    customer_panel,
    mark_responded,
    queue,
    queue_summary,
    resolve_ticket,
    ticket_detail,
)
from monitoring.sla import SlaCalendar, TicketDue
from tests.inbox_seed import seed

NOW = datetime(2026, 3, 2, 10, 0)  # a Monday
ANNA = User("anna", "operator")


@pytest.fixture
def inbox(fresh_db):
    seed(fresh_db, [
        {"source_id": "old", "ts": NOW - timedelta(hours=3), "author": "@Bob",
         "text": "carta 4242 4242 4242 4242 addebito doppio", "pii_kinds": ["card"]},
        {"source_id": "new", "ts": NOW - timedelta(minutes=10), "author": "bob",
         "source": "mastodon", "text": "<script>alert(1)</script> bolletta", "sentiment": 0.2},
        {"source_id": "ops", "ts": NOW - timedelta(minutes=5), "author": "@carla",
         "department": "operations", "text": "senza luce"},
        {"source_id": "talk", "ts": NOW - timedelta(minutes=5), "author": "@bob",
         "category": "polemic", "text": "vergogna"},
    ], NOW)
    return fresh_db


def ticket_id(store, source_id: str) -> int:
    return store.reader().execute("SELECT id FROM tickets WHERE source_id = ?",
                                  [source_id]).fetchone()[0]


def audit_actions(store) -> list[str]:
    return [r[0] for r in store.reader().execute(
        "SELECT action FROM audit_log ORDER BY id").fetchall()]


@pytest.mark.parametrize("department, expected", [
    (None, ["old", "ops", "new"]),           # unanswered, by first-response due time
    ("billing", ["old", "new"]),
    ("operations", ["ops"]),
    ("hr", []),
])
def test_queue_orders_by_due_time(inbox, department, expected):
    assert list(queue(inbox, department, now=NOW)["source_id"]) == expected


def test_queue_timers_and_masking(inbox):
    q = queue(inbox, "billing", now=NOW).set_index("source_id")
    # billing: first response in 120 minutes
    assert q.loc["old", "first_response_left_s"] == -3600
    assert bool(q.loc["old", "first_response_breached"])
    assert q.loc["new", "first_response_left_s"] == 110 * 60
    assert not bool(q.loc["new", "first_response_breached"])
    assert "4242 4242 4242 4242" not in q.loc["old", "text"]
    assert q.loc["old", "pii_kinds"] == ["card"]


def test_business_hours_count_only_working_time(inbox):
    calendar = SlaCalendar(BusinessHours(start=time(9), end=time(18), weekdays=[0, 1, 2, 3, 4]),
                           "UTC")
    evening = datetime(2026, 3, 2, 17, 0)
    q = queue(inbox, "billing", now=evening, calendar=calendar).set_index("source_id")
    # due next day 09:50 wall time, but only 1 h (today) + 50 min (tomorrow) of work left
    assert q.loc["new", "resolution_left_s"] == (60 + 50) * 60


def test_summary_counts_waiting_and_breaches(inbox):
    summary = queue_summary(inbox, now=NOW).set_index("department")
    assert summary.loc["billing", "waiting"] == 2
    assert summary.loc["billing", "first_response_breached"] == 1
    assert summary.loc["operations", "first_response_breached"] == 0


@pytest.mark.parametrize("steps, state, responded, resolved, actions", [
    (["assign"], "open", False, False, ["ticket.assign"]),
    (["respond"], "responded", True, False, ["ticket.respond"]),
    (["respond", "resolve"], "resolved", True, True, ["ticket.respond", "ticket.resolve"]),
    (["resolve"], "resolved", True, True, ["ticket.resolve"]),
])
def test_actions_change_ticket_and_audit(inbox, steps, state, responded, resolved, actions):
    tid = ticket_id(inbox, "new")
    for i, step in enumerate(steps):
        at = NOW + timedelta(minutes=i + 1)
        if step == "assign":
            assign_ticket(inbox, ANNA, tid, "marco", now=at)
        elif step == "respond":
            mark_responded(inbox, ANNA, tid, now=at)
        else:
            resolve_ticket(inbox, ANNA, tid, now=at, note="rimborsato")
    row = inbox.reader().execute(
        "SELECT state, first_response_at, resolved_at, assignee FROM tickets WHERE id = ?",
        [tid]).fetchone()
    assert row[0] == state
    assert (row[1] is not None) == responded
    assert (row[2] is not None) == resolved
    assert audit_actions(inbox) == actions
    assert (row[3] == "marco") == ("assign" in steps)


@pytest.mark.parametrize("first, second, message", [
    ("respond", "respond", "cannot be marked responded"),
    ("resolve", "resolve", "is resolved: it cannot be resolved"),
    ("resolve", "assign", "cannot be assigned"),
])
def test_forbidden_transitions_change_nothing(inbox, first, second, message):
    tid = ticket_id(inbox, "new")
    calls = {"assign": lambda: assign_ticket(inbox, ANNA, tid, "x", now=NOW),
             "respond": lambda: mark_responded(inbox, ANNA, tid, now=NOW),
             "resolve": lambda: resolve_ticket(inbox, ANNA, tid, now=NOW)}
    calls[first]()
    before = audit_actions(inbox)
    with pytest.raises(TicketError, match=message):
        calls[second]()
    assert audit_actions(inbox) == before


@pytest.mark.parametrize("call", [
    lambda s, u, t: assign_ticket(s, u, t, "x", now=NOW),
    lambda s, u, t: mark_responded(s, u, t, now=NOW),
    lambda s, u, t: resolve_ticket(s, u, t, now=NOW),
    lambda s, u, t: correct_ticket(s, u, t, "category", "other", now=NOW),
])
def test_viewer_may_not_act(inbox, call):
    with pytest.raises(PermissionDenied):
        call(inbox, User("v", "viewer"), ticket_id(inbox, "new"))
    assert audit_actions(inbox) == []


def test_unknown_ticket(inbox):
    with pytest.raises(TicketError, match="does not exist"):
        mark_responded(inbox, ANNA, 999, now=NOW)


def test_department_correction_moves_ticket_with_new_due_times(inbox):
    due = TicketDue.from_settings(load_settings())
    tid = ticket_id(inbox, "new")
    correct_ticket(inbox, ANNA, tid, "department", "operations", now=NOW, due=due)
    dept, first_due = inbox.reader().execute(
        "SELECT department, first_response_due FROM tickets WHERE id = ?", [tid]).fetchone()
    assert dept == "operations"
    assert first_due == NOW - timedelta(minutes=10) + timedelta(minutes=30)
    assert audit_actions(inbox) == ["label.department", "ticket.move"]
    label = inbox.reader().execute("SELECT field, value, actor FROM labels").fetchone()
    assert label == ("department", "operations", "anna")
    with pytest.raises(TicketError, match="unknown department"):
        correct_ticket(inbox, ANNA, tid, "department", "nowhere", now=NOW, due=due)


@pytest.mark.parametrize("field, value, column", [
    ("category", "other", "category"),
    ("sentiment", "positive", "sentiment_label"),
])
def test_corrections_update_the_mention(inbox, field, value, column):
    correct_ticket(inbox, ANNA, ticket_id(inbox, "new"), field, value, now=NOW)
    got = inbox.reader().execute(
        f"SELECT {column} FROM mentions WHERE source_id = 'new'").fetchone()[0]
    assert got == value


@pytest.mark.parametrize("text, kinds, warning", [
    ("carta 4242 4242 4242 4242", ["card"], True),
    ("bolletta sbagliata", [], False),
])
def test_detail_warns_on_personal_data(fresh_db, text, kinds, warning):
    seed(fresh_db, [{"source_id": "1", "ts": NOW, "text": text, "pii_kinds": kinds}], NOW)
    detail = ticket_detail(fresh_db, ticket_id(fresh_db, "1"), now=NOW)
    assert detail.private_channel_warning is warning
    assert (detail.suggested_reply is not None) is warning
    if warning:
        assert "privat" in detail.suggested_reply
        assert "4242 4242 4242 4242" not in detail.ticket["text"]


def test_customer_panel_across_sources(inbox):
    panel = customer_panel(inbox, "BOB")
    assert sorted(panel.mentions["source"]) == ["mastodon", "x", "x"]
    assert len(panel.tickets) == 2
    assert list(panel.sentiment["mentions"]) == [3]
    assert panel.sentiment["mean_sentiment"].iloc[0] == pytest.approx((-0.5 + 0.2 - 0.5) / 3)
    assert all("4242 4242" not in t for t in panel.mentions["text"])
    assert customer_panel(inbox, "@carla").tickets["department"].tolist() == ["operations"]


def test_audit_detail_is_bounded(inbox):
    resolve_ticket(inbox, ANNA, ticket_id(inbox, "new"), now=NOW, note="x" * 10_000)
    detail = json.loads(inbox.reader().execute("SELECT detail FROM audit_log").fetchone()[0])
    assert len(detail["note"]) == 2_000
