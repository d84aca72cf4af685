from __future__ import annotations

import json
from datetime import timedelta

import pytest

from monitoring.auth import User
from monitoring.store import naive_utc
from tests.inbox_seed import seed
from tests.pages_support import button, page_monitor, run_page

ANNA = User("anna", "operator")
ADMIN = User("root", "admin")

SQL_ALERT = """
INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, last_bin,
                    updated_at)
VALUES ('lumea', 'reputation_crisis', 'open', 8, 5.0, ?, ?, ?, ?) RETURNING id
"""


@pytest.fixture
def monitor(tmp_path, monkeypatch):
    with page_monitor(tmp_path, monkeypatch) as m:
        now = naive_utc(m.clock.now())
        seed(m.store, [
            {"source_id": str(i), "ts": now - timedelta(minutes=90 - i), "author": f"@u{i}",
             "text": ("**boom** <b>x</b> mario@example.it" if i == 70 else f"bolletta {i}"),
             "priority": 99.0 if i == 70 else 10.0}
            for i in range(80)], now)
        opened = now - timedelta(minutes=28)
        m.store.reader().execute(SQL_ALERT, [opened, now - timedelta(minutes=30),
                                             now - timedelta(minutes=20), opened])
        yield m


def audit(monitor) -> list[tuple[str, str, dict]]:
    return [(a, actor, json.loads(d)) for a, actor, d in monitor.store.reader().execute(
        "SELECT action, actor, detail FROM audit_log ORDER BY id").fetchall()]


def test_viewer_is_stopped(monitor):
    at = run_page("timeline", User("v", "viewer"))
    assert not at.button


def test_alert_review_shows_numbers_phases_and_masked_posts(monitor):
    at = run_page("timeline", ANNA)
    labels = [m.label for m in at.metric]
    assert "Time to detect" in labels and "Requests handled within SLA" in labels
    assert next(m for m in at.metric if m.label == "Time to detect").value == "2 minutes"
    frames = [d.value for d in at.dataframe]
    texts = [str(v) for f in frames if "Text" in f for v in f["Text"]]
    assert any("**boom** <b>x</b>" in t for t in texts)      # plain text, as typed
    assert not any("mario@example.it" in t for t in texts)


def test_annotation_button_stores_the_note(monitor):
    at = run_page("timeline", ANNA)
    at.text_area(key="timeline_note").input("comunicato stampa pubblicato").run()
    button(at, "timeline_annotate").click().run()
    assert not at.exception
    row = monitor.store.reader().execute("SELECT stream, text, actor FROM annotations").fetchone()
    assert row == ("lumea", "comunicato stampa pubblicato", "anna")
    assert any("Annotation" in str(v) for d in at.dataframe for v in d.value.iloc[:, 1])


@pytest.mark.parametrize("user, unmask, fmt, masked", [
    (ANNA, False, "html", True),
    (ANNA, False, "csv", True),
    (ADMIN, True, "html", False),
])
def test_export_buttons_are_audited(monitor, user, unmask, fmt, masked):
    at = run_page("timeline", user)
    if unmask:
        at.checkbox(key="timeline_unmasked").check().run()
    if not user.can("admin"):   # only admins are offered personal data in exports
        assert not any(c.key == "timeline_unmasked" for c in at.checkbox)
    button(at, f"timeline_export_{fmt}").click().run()
    assert not at.exception
    (action, actor, detail), = audit(monitor)
    assert (action, actor, detail["format"], detail["masked"]) == \
        ("timeline.export", user.username, fmt, masked)
    body = at.session_state[f"timeline_{fmt}"][1]
    assert ("mario@example.it" in body) is (not masked)


def test_range_mode_in_italian(monitor):
    at = run_page("timeline", ANNA, lang="it")
    at.radio(key="timeline_mode").set_value("range").run()
    assert not at.exception
    assert at.title[0].value == "Timeline della crisi"
    assert any(m.label == "Richieste" and m.value == "80" for m in at.metric)
