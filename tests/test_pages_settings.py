from __future__ import annotations

import json

import pytest

from monitoring.auth import User
from tests.pages_support import button, page_monitor, run_page

ADMIN = User("root", "admin")


@pytest.fixture
def monitor(tmp_path, monkeypatch):
    with page_monitor(tmp_path, monkeypatch) as m:
        yield m


def saved(monitor) -> list[tuple[str, dict]]:
    return [(actor, json.loads(doc)) for actor, doc in monitor.store.reader().execute(
        "SELECT actor, document FROM settings_revisions ORDER BY id").fetchall()]


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_admin_only(monitor, role):
    at = run_page("settings", User("u", role))
    assert any("admin role" in w.value for w in at.warning)
    assert not at.button


def test_streams_keywords_and_sensitivity(monitor):
    at = run_page("settings", ADMIN)
    at.text_input(key="kw_lumea").input("lumea, #lumea, luce verde").run()
    at.selectbox(key="sens_lumea").set_value("high").run()
    at.text_input(key="streams_note").input("campagna").run()
    button(at, "save_streams_simple").click().run()
    assert not at.exception
    (actor, doc), = saved(monitor)
    assert actor == "root"
    assert doc["streams"][0]["keywords"] == ["lumea", "#lumea", "luce verde"]
    assert monitor.settings.stream("lumea").sensitivity == "high"     # applied live
    assert monitor.detectors["lumea"].sensitivity == "high"
    assert "Revision 1" in at.success[0].value


def test_department_sla(monitor):
    at = run_page("settings", ADMIN)
    at.number_input(key="frm_billing").set_value(15.0).run()
    button(at, "save_departments_sla").click().run()
    assert saved(monitor)[0][1]["departments"][1]["first_response_minutes"] == 15.0
    assert monitor.ticket_due.targets_of("billing")[0] == 15.0


@pytest.mark.parametrize("section, edit, error", [
    ("contacts", lambda v: v + [{"id": "press", "name": "Press", "email": "p@x.example"}],
     None),
    ("escalation", lambda v: dict(v, ladders=[dict(v["ladders"][0], levels=[["ghost"]])]),
     "unknown contact 'ghost'"),
    ("thresholds", lambda v: dict(v, min_bin_mentions=0), "greater than or equal to 1"),
    ("sources", lambda v: v, "nothing changed"),
])
def test_json_sections(monitor, section, edit, error):
    at = run_page("settings", ADMIN)
    area = at.text_area(key=f"json_{section}")
    area.input(json.dumps(edit(json.loads(area.value)))).run()
    button(at, f"save_{section}").click().run()
    assert not at.exception
    if error is None:
        assert [c["id"] for c in saved(monitor)[0][1]["contacts"]][-1] == "press"
        assert monitor.settings.contact("press").email == "p@x.example"
    else:
        assert saved(monitor) == []
        assert any(error in c.value for c in at.code)


def test_invalid_json_is_reported(monitor):
    at = run_page("settings", ADMIN)
    at.text_area(key="json_contacts").input("[{").run()
    button(at, "save_contacts").click().run()
    assert any("invalid JSON" in e.value for e in at.error)
    assert saved(monitor) == []


def test_display_language_then_revert(monitor):
    at = run_page("settings", ADMIN, lang="it")
    at.selectbox(key="default_language").set_value("en").run()
    button(at, "save_display").click().run()
    assert monitor.settings.app.language == "en"
    at.selectbox(key="revert_target").set_value(0).run()
    button(at, "revert").click().run()
    assert not at.exception
    assert monitor.settings.app.language == "it"
    assert len(saved(monitor)) == 2 and saved(monitor)[1][1] == {}
    actions = [r[0] for r in monitor.store.reader().execute(
        "SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert actions == ["settings.save", "settings.revert"]


def test_session_language_switch(monitor):
    at = run_page("settings", ADMIN, lang="it")
    assert at.title[0].value == "Impostazioni"
    at.selectbox(key="session_language").set_value("en").run()
    assert at.title[0].value == "Settings"
    assert saved(monitor) == []          # a per-session choice, not a settings change
