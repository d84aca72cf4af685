from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.auth import User
from tests.inbox_seed import seed
from tests.pages_support import button, page_monitor, run_page

ANNA = User("anna", "operator")
HOSTILE = "**bold** [x](http://evil) <img src=x onerror=alert(1)> carta 4242 4242 4242 4242"


@pytest.fixture
def monitor(tmp_path, monkeypatch):
    with page_monitor(tmp_path, monkeypatch) as m:
        now = m.clock.now()
        seed(m.store, [
            {"source_id": "1", "ts": now - timedelta(hours=3), "author": "@bob",
             "text": HOSTILE, "pii_kinds": ["card"]},
            {"source_id": "2", "ts": now - timedelta(minutes=5), "author": "@carla",
             "department": "operations", "text": "senza luce da ieri"},
            {"source_id": "3", "ts": now - timedelta(days=2), "author": "bob",
             "source": "mastodon", "category": "praise", "text": "grazie!"},
        ], now)
        yield m


def ticket(monitor, source_id: str) -> dict:
    cur = monitor.store.reader()
    row = cur.execute("SELECT * FROM tickets WHERE source_id = ?", [source_id]).fetchone()
    return {d[0]: v for d, v in zip(cur.description, row)}


def actions(monitor) -> list[tuple[str, str]]:
    return monitor.store.reader().execute(
        "SELECT action, actor FROM audit_log ORDER BY id").fetchall()


def test_viewer_is_stopped(monitor):
    at = run_page("inbox", User("v", "viewer"))
    assert any("operator role" in w.value for w in at.warning)
    assert not at.button


def test_queue_shows_timers_and_masked_plain_text(monitor):
    at = run_page("inbox", ANNA)
    table = at.dataframe[0].value
    assert list(table["No."]) == [ticket(monitor, "1")["id"], ticket(monitor, "2")["id"]]
    overdue = table["First response in"].iloc[0]
    assert overdue.startswith("overdue by")
    assert all("4242 4242 4242 4242" not in str(v) for v in table["Text"])
    texts = [t.value for t in at.text]
    assert any("**bold** [x](http://evil) <img" in v for v in texts)   # shown as typed
    assert any("private channel" in w.value and "payment card" in w.value for w in at.warning)
    assert list(table["Personal data"]) == ["payment card", ""]
    assert any("messaggio privato" in c.value for c in at.code)  # in the post's language
    # the customer panel: both of bob's mentions, across sources
    assert len(at.dataframe[1].value) == 2


@pytest.mark.parametrize("key, field, expected", [
    ("inbox_assign", "assignee", "anna"),
    ("inbox_respond", "state", "responded"),
    ("inbox_resolve", "state", "resolved"),
])
def test_action_buttons_change_the_ticket(monitor, key, field, expected):
    at = run_page("inbox", ANNA)
    button(at, key).click().run()
    assert not at.exception
    got = ticket(monitor, "1")
    assert got[field] == expected
    assert actions(monitor) == [(f"ticket.{key.split('_')[1]}", "anna")]
    assert at.success and "#" in at.success[0].value


def test_correction_moves_the_ticket(monitor):
    at = run_page("inbox", ANNA)
    next(s for s in at.selectbox if s.key == "inbox_field").set_value("department").run()
    next(s for s in at.selectbox if s.key == "inbox_value_department").set_value("sales").run()
    button(at, "inbox_correct").click().run()
    assert not at.exception
    assert ticket(monitor, "1")["department"] == "sales"
    assert [a for a, _ in actions(monitor)] == ["label.department", "ticket.move"]


def test_department_filter_and_italian(monitor):
    at = run_page("inbox", ANNA, lang="it")
    assert at.title[0].value == "Richieste"
    next(s for s in at.selectbox if s.key == "inbox_department").set_value("operations").run()
    assert list(at.dataframe[0].value["N."]) == [ticket(monitor, "2")["id"]]
