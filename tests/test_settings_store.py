from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from monitoring.auth import PermissionDenied, User
from monitoring.config import ConfigError, load_settings
from monitoring.monitor import Clock, Monitor
from monitoring.settings_store import (
    SettingsError,
    effective_settings,
    parse_section,
    revert_settings,
    revisions,
    save_settings,
    section_json,
    source_status,
    with_stream_edits,
)
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 0)
ADMIN = User("root", "admin")


@pytest.fixture
def base():
    return load_settings()


def app_with(base, **changes):
    return {**base.model_dump(mode="json")["app"], **changes}


def test_save_then_effective_then_revert(fresh_db, base):
    streams = with_stream_edits(base, [{"id": "lumea", "keywords": "lumea, bolletta luce",
                                        "sensitivity": "high"}])
    first = save_settings(fresh_db, ADMIN, base, {"streams": streams}, now=NOW, note="more")
    second = save_settings(fresh_db, ADMIN, base, {"app": app_with(base, language="en")},
                           now=NOW + timedelta(minutes=1))
    eff = effective_settings(fresh_db, base)
    assert eff.stream("lumea").keywords == ["lumea", "bolletta luce"]
    assert eff.stream("lumea").sensitivity == "high"
    assert eff.app.language == "en"
    assert second.sections == ["app", "streams"]      # cumulative over the file
    revert_settings(fresh_db, ADMIN, base, first.id, now=NOW + timedelta(minutes=2))
    eff = effective_settings(fresh_db, base)
    assert (eff.app.language, eff.stream("lumea").sensitivity) == ("it", "high")
    revert_settings(fresh_db, ADMIN, base, 0, now=NOW + timedelta(minutes=3))
    assert effective_settings(fresh_db, base) == base
    history = revisions(fresh_db)
    assert list(history["id"]) == [4, 3, 2, 1]
    assert list(history["sections"]) == ["", "streams", "app, streams", "streams"]
    actions = [r[0] for r in fresh_db.reader().execute(
        "SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert actions == ["settings.save", "settings.save", "settings.revert", "settings.revert"]


@pytest.mark.parametrize("changes, error, message", [
    ({"streams": []}, ConfigError, "unknown stream .lumea."),
    ({"departments": [{"id": "Bad Id", "name": {"it": "x"}}]}, ConfigError, "departments.0.id"),
    ({"sources": [{"name": "demo", "kind": "demo", "streams": ["nope"]}]}, ConfigError,
     "unknown stream 'nope'"),
    ({"contacts": [{"id": "a", "name": "A"}]}, ConfigError, "email or a webhook"),
    ({"secrets": {}}, SettingsError, "unknown settings section"),
    ({"app": {"database": "/tmp/other.duckdb"}}, SettingsError, "needs a restart"),
    ({}, SettingsError, "nothing changed"),
])
def test_invalid_edits_are_refused_and_nothing_is_saved(fresh_db, base, changes, error,
                                                         message):
    if "app" in changes:
        changes = {"app": app_with(base, **changes["app"])}
    with pytest.raises(error, match=message):
        save_settings(fresh_db, ADMIN, base, changes, now=NOW)
    assert revisions(fresh_db).empty


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_edit(fresh_db, base, role):
    with pytest.raises(PermissionDenied):
        save_settings(fresh_db, User("u", role), base, {"app": app_with(base, language="en")},
                      now=NOW)
    with pytest.raises(PermissionDenied):
        revert_settings(fresh_db, User("u", role), base, 0, now=NOW)


def test_unknown_revision(fresh_db, base):
    with pytest.raises(SettingsError, match="does not exist"):
        revert_settings(fresh_db, ADMIN, base, 99, now=NOW)


def test_stale_revision_fails_loudly(fresh_db, base):
    fresh_db.reader().execute(
        "INSERT INTO settings_revisions (created_at, actor, document) VALUES (?, 'x', ?)",
        [NOW, json.dumps({"streams": []})])
    with pytest.raises(ConfigError, match="settings revision 1"):
        effective_settings(fresh_db, base)


def test_section_json_round_trips(base):
    for section in ("streams", "departments", "escalation", "thresholds"):
        assert parse_section(section, section_json(base, section)) == \
            base.model_dump(mode="json")[section]


def test_source_status_lists_configured_sources(fresh_db, base):
    assert [(f.source, f.colour) for f in source_status(fresh_db, base, NOW)] == \
        [("demo", "grey")]
    fresh_db.record_success("demo", 3, NOW)
    assert source_status(fresh_db, base, NOW + timedelta(minutes=1))[0].colour == "green"
    assert source_status(fresh_db, base, NOW + timedelta(hours=1))[0].state == "silent"


def test_monitor_reload_applies_saved_settings(tmp_path, base):
    store = Store(tmp_path / "m.duckdb")
    monitor = Monitor(base, store, clock=Clock(start=NOW))
    before = monitor.detectors["lumea"]
    streams = with_stream_edits(base, [{"id": "lumea", "sensitivity": "high"}])
    departments = base.model_dump(mode="json")["departments"]
    departments[1]["first_response_minutes"] = 5          # billing
    sources = [dict(base.model_dump(mode="json")["sources"][0], enabled=False)]
    rev = save_settings(store, ADMIN, base, {"streams": streams, "departments": departments,
                                             "sources": sources}, now=NOW)
    monitor.reload(rev.settings)
    assert monitor.detectors["lumea"] is not before
    assert monitor.detectors["lumea"].sensitivity == "high"
    assert monitor.ticket_due.targets_of("billing")[0] == 5
    assert monitor.sources == {}
    monitor.reload(base)
    assert sorted(monitor.sources) == ["demo"]
    store.close()
