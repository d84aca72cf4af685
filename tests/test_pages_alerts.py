from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from wall_seed import HOSTILE, start_app_monitor, stop_app_monitor

from monitoring.auth import User

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ANNA = User("anna", "operator", "Anna")


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    monitor, ids = start_app_monitor(tmp_path, monkeypatch)
    yield monitor, ids
    stop_app_monitor(monitor)


def alerts_page(user: User | None = ANNA, lang: str = "it") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        at.session_state["user"] = user
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/alerts.py").run()
    assert not at.exception, at.exception
    return at


def row(monitor, sql: str, *params):
    return monitor.store.reader().execute(sql, list(params)).fetchall()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_queue_lists_open_alerts_most_severe_first(seeded):
    _monitor, ids = seeded
    at = alerts_page()
    pick = next(s for s in at.selectbox if s.key == "alerts_pick_open")
    assert pick.options[0].startswith(f"#{ids['crisis']} · Crisi reputazionale")
    assert len(pick.options) == 2
    assert at.radio[0].options[0] == "aperto (2)"
    assert any(HOSTILE in t.value for t in at.text)            # sample post, as plain text
    assert not any("333 123 4567" in t.value for t in at.text)  # personal data masked


@pytest.mark.parametrize("label, state, action, shown", [
    ("Prendi in carico", "acknowledged", "acknowledge", "preso in carico"),
    ("Risolvi", "resolved", "resolve", "risolto"),
])
def test_buttons_change_the_alert_and_audit(seeded, label, state, action, shown):
    monitor, ids = seeded
    at = alerts_page()
    at.text_input(key=f"alerts_note_{ids['crisis']}").input("on it")
    button(at, label).click().run()
    assert not at.exception
    assert row(monitor, "SELECT state FROM alerts WHERE id = ?", ids["crisis"]) == [(state,)]
    assert row(monitor, "SELECT event, actor FROM alert_events WHERE alert_id = ?",
               ids["crisis"]) == [(state, "anna")]
    audit = row(monitor, "SELECT actor, action, target_id, detail FROM audit_log")
    assert [a[:3] for a in audit] == [("anna", f"alert.{action}", str(ids["crisis"]))]
    assert json.loads(audit[0][3]) == {"note": "on it"}
    assert shown in at.success[0].value


def test_dismiss_needs_a_reason_then_closes_the_alert(seeded):
    monitor, ids = seeded
    at = alerts_page()
    button(at, "Falso allarme").click().run()
    assert "must not be empty" in at.error[0].value
    assert row(monitor, "SELECT state FROM alerts WHERE id = ?", ids["crisis"]) == [("open",)]
    at.text_input[1].input("a test by the marketing team")
    button(at, "Falso allarme").click().run()
    assert row(monitor, "SELECT state, closed_at IS NOT NULL FROM alerts WHERE id = ?",
               ids["crisis"]) == [("dismissed", True)]


def test_escalate_writes_escalation_and_outbox_rows(seeded):
    monitor, ids = seeded
    at = alerts_page()
    message = next(t for t in at.text_area if t.label == "Messaggio")
    assert message.value.startswith("Crisi reputazionale su Lumea Energia")
    assert "boicotta" in message.value
    target = next(s for s in at.selectbox if s.label == "Destinatari")
    assert target.options[0] == "Crisis ladder"
    button(at, "Conferma escalation").click().run()
    assert not at.exception
    assert row(monitor, "SELECT state FROM alerts WHERE id = ?", ids["crisis"]) == [("escalated",)]
    assert row(monitor, "SELECT contact, target, created_by FROM escalations "
               "WHERE alert_id = ? AND target IS NOT NULL", ids["crisis"]) == [
        ("comms-director", "ladder:crisis", "anna")]
    assert row(monitor, "SELECT o.channel, o.target, o.state FROM outbox o JOIN escalations e "
               "ON e.id = o.escalation_id WHERE e.target = 'ladder:crisis'") == [
        ("email", "comms-director", "pending")]
    assert row(monitor, "SELECT action FROM audit_log") == [("alert.escalate",)]
    # pressing it again must not notify the director twice
    at = alerts_page()
    at.radio[0].set_value("escalated").run()
    button(at, "Conferma escalation").click().run()
    assert "already escalated" in at.error[0].value
    assert len(row(monitor, "SELECT id FROM outbox WHERE target = 'comms-director'")) == 1


def test_an_alert_closed_while_on_screen_refuses_the_click_out_loud(seeded):
    """The detectors close the alert between the render and the operator's click: the
    page keeps it selected, says it changed, and the click gets a refusal with the
    reason instead of vanishing with the form."""
    monitor, ids = seeded
    at = alerts_page()
    assert next(s for s in at.selectbox if s.key == "alerts_pick_open").value == ids["crisis"]
    with monitor.store.transaction() as cur:  # as the alert policy closes an event
        cur.execute("UPDATE alerts SET state = 'resolved' WHERE id = ?", [ids["crisis"]])
    button(at, "Conferma escalation").click().run()
    assert not at.exception
    assert next(s for s in at.selectbox if s.key == "alerts_pick_open").value == ids["crisis"]
    assert "is resolved" in at.error[0].value
    assert any("mentre lo guardavi" in w.value for w in at.warning)
    assert row(monitor, "SELECT count(*) FROM escalations WHERE target IS NOT NULL") == [(0,)]


def test_add_note_keeps_the_state(seeded):
    monitor, ids = seeded
    at = alerts_page(lang="en")
    next(t for t in at.text_area if t.label == "Note text").input("Press office informed")
    button(at, "Add note").click().run()
    assert row(monitor, "SELECT state FROM alerts WHERE id = ?", ids["crisis"]) == [("open",)]
    events = row(monitor, "SELECT event, detail FROM alert_events WHERE alert_id = ?",
                 ids["crisis"])
    assert events == [("note", json.dumps({"note": "Press office informed"}))]


def test_viewer_sees_the_queue_but_no_action(seeded):
    monitor, _ids = seeded
    at = alerts_page(user=None)
    assert "Sola lettura" in at.info[0].value
    assert [b.label for b in at.button] == []
    assert row(monitor, "SELECT count(*) FROM audit_log") == [(0,)]


def test_closed_alerts_are_listed_under_their_state(seeded):
    _monitor, ids = seeded
    at = alerts_page()
    button(at, "Risolvi").click().run()
    at.radio[0].set_value("resolved").run()
    pick = next(s for s in at.selectbox if s.key == "alerts_pick_resolved")
    assert pick.options[0].startswith(f"#{ids['crisis']}")
    assert [b.label for b in at.button] == ["Aggiungi nota"]
