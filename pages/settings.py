"""Settings (admin only): streams, sources, departments, contacts, ladders, display."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from monitoring.auth import PermissionDenied
from monitoring.config import ConfigError, load_settings
from monitoring.i18n import LANGUAGES
from monitoring.settings_store import (
    SettingsError,
    parse_section,
    revert_settings,
    revisions,
    save_settings,
    section_json,
    source_status,
    with_stream_edits,
)
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import require_page, translator

user = require_page("admin")
monitor = get_monitor()
base = load_settings()            # the settings file ($SENTINELLA_CONFIG or the demo)
current = monitor.settings        # the file + the latest saved revision
tr = translator()
document = current.model_dump(mode="json")

st.title(tr("settings.title"))
st.caption(tr("settings.effective_note"))
if flash := st.session_state.pop("settings_flash", None):
    st.success(flash)


def save(changes: dict[str, Any], key: str) -> None:
    """Validate, store as a revision, apply to the running monitor."""
    note = st.session_state.get(f"{key}_note", "")
    try:
        rev = save_settings(monitor.store, user, base, changes, now=monitor.clock.now(),
                            note=note)
    except (ConfigError, SettingsError, PermissionDenied) as exc:
        st.error(tr("settings.invalid"))
        st.code(str(exc), language=None)
        return
    monitor.reload(rev.settings)
    st.session_state["settings_flash"] = tr("settings.saved", id=rev.id)
    st.rerun()


def advanced(section: str) -> None:
    """The whole section as JSON, for what the simple widgets do not cover."""
    with st.expander(tr("settings.advanced", section=section)):
        text = st.text_area(section, section_json(current, section), height=300,
                            key=f"json_{section}", label_visibility="collapsed")
        if st.button(tr("settings.save_section", section=section), key=f"save_{section}"):
            try:
                value = parse_section(section, text)
            except SettingsError as exc:
                st.error(str(exc))
            else:
                save({section: value}, f"json_{section}")


tabs = st.tabs([tr(f"settings.tab.{t}") for t in
                ("streams", "sources", "departments", "contacts", "display", "history")])

with tabs[0]:
    edits = []
    for stream in current.streams:
        st.subheader(stream.name)
        words = st.text_input(tr("settings.keywords", stream=stream.name),
                              ", ".join(stream.keywords), key=f"kw_{stream.id}")
        level = st.selectbox(tr("settings.sensitivity", stream=stream.name),
                             ["low", "normal", "high"],
                             index=["low", "normal", "high"].index(stream.sensitivity),
                             format_func=lambda v: tr(f"settings.sensitivity.{v}"),
                             key=f"sens_{stream.id}")
        edits.append({"id": stream.id, "keywords": words, "sensitivity": level})
    st.text_input(tr("settings.note"), key="streams_note", max_chars=500)
    if st.button(tr("settings.save_streams"), key="save_streams_simple", type="primary"):
        save({"streams": with_stream_edits(current, edits)}, "streams")
    advanced("streams")

with tabs[1]:
    kinds = {s.name: s.kind for s in current.sources}
    status = source_status(monitor.store, current, monitor.clock.now())
    dots = {"green": "🟢", "orange": "🟠", "red": "🔴", "grey": "⚪"}
    st.dataframe(pd.DataFrame({
        tr("settings.col.status"): [dots.get(f.colour, "⚪") for f in status],
        tr("settings.col.source"): [f.source for f in status],
        tr("settings.col.kind"): [kinds.get(f.source, "") for f in status],
        tr("settings.col.state"): [f.state for f in status],
        tr("settings.col.last_success"): [tr.datetime(f.last_success) if f.last_success
                                          else "—" for f in status],
        tr("settings.col.detail"): [f.detail[:200] for f in status],
    }), hide_index=True, width="stretch")
    advanced("sources")

with tabs[2]:
    departments = [dict(d) for d in document["departments"]]
    for d in departments:
        name = d["name"].get(tr.lang) or d["id"]
        c1, c2 = st.columns(2)
        d["first_response_minutes"] = c1.number_input(
            tr("settings.first_response", dept=name), min_value=1.0,
            value=float(d["first_response_minutes"]), step=5.0, key=f"frm_{d['id']}")
        d["resolution_minutes"] = c2.number_input(
            tr("settings.resolution", dept=name), min_value=1.0,
            value=float(d["resolution_minutes"]), step=30.0, key=f"rm_{d['id']}")
    if departments and st.button(tr("settings.save_departments"), key="save_departments_sla",
                                 type="primary"):
        save({"departments": departments}, "departments")
    advanced("departments")

with tabs[3]:
    advanced("contacts")
    advanced("escalation")
    advanced("thresholds")

with tabs[4]:
    langs = list(LANGUAGES)
    session_lang = st.selectbox(tr("settings.session_language"), langs,
                                index=langs.index(tr.lang), format_func=LANGUAGES.get,
                                key="session_language")
    if session_lang != tr.lang:
        st.session_state["lang"] = session_lang
        st.rerun()
    app = dict(document["app"])
    app["language"] = st.selectbox(tr("settings.language"), langs,
                                   index=langs.index(current.app.language),
                                   format_func=LANGUAGES.get, key="default_language")
    app["refresh_seconds"] = st.number_input(tr("settings.refresh"), min_value=1.0,
                                             max_value=600.0, value=current.app.refresh_seconds,
                                             key="refresh_seconds")
    if st.button(tr("settings.save_display"), key="save_display", type="primary"):
        save({"app": app}, "display")

with tabs[5]:
    history = revisions(monitor.store)
    if history.empty:
        st.info(tr("settings.no_revisions"))
    else:
        st.dataframe(pd.DataFrame({
            tr("settings.col.id"): history["id"],
            tr("settings.col.when"): [tr.datetime(t) for t in history["created_at"]],
            tr("settings.col.actor"): history["actor"],
            tr("settings.col.note"): history["note"].fillna(""),
            tr("settings.col.sections"): history["sections"],
        }), hide_index=True, width="stretch")
        target = st.selectbox(tr("settings.revert_to"), [0, *history["id"].tolist()],
                              format_func=lambda i: tr("settings.file_only") if i == 0
                              else str(i), key="revert_target")
        if st.button(tr("settings.revert"), key="revert"):
            try:
                rev = revert_settings(monitor.store, user, base, int(target),
                                      now=monitor.clock.now())
            except (SettingsError, PermissionDenied) as exc:
                st.error(str(exc))
            else:
                monitor.reload(rev.settings)
                st.session_state["settings_flash"] = tr("settings.reverted", to=target,
                                                        id=rev.id)
                st.rerun()
