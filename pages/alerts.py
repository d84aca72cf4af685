"""Alerts: the queue by state, one alert's detail, and the operator's actions.

Every action goes through :mod:`monitoring.actions` or :mod:`monitoring.escalation`,
which check the user's role again on the server side and write the audit log.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from monitoring.actions import (
    ALERT_STATES,
    ActionError,
    acknowledge_alert,
    add_alert_note,
    dismiss_alert,
    resolve_alert,
)
from monitoring.alert_queue import alert_detail, alert_queue, escalation_targets, state_counts
from monitoring.auth import PermissionDenied
from monitoring.escalation import alert_context, default_message, escalate_alert
from monitoring.ui.charts import volume_figure
from monitoring.ui.components import kiosk_style
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import current_user, require_page, translator
from monitoring.ui.store_status import catch_up_banner

require_page("viewer")
monitor = get_monitor()
store, settings = monitor.store, monitor.settings
user, tr = current_user(), translator()
streams = {s.id: s.name for s in settings.streams}
kiosk_style(False)
now = monitor.clock.now()

st.title(tr("alerts.title"))
with st.container():  # always there, so the widgets below keep their place (and state)
    catch_up_banner(monitor.status(), tr)
flash = st.session_state.pop("alerts_flash", None)
if flash:
    (st.success if flash[0] == "ok" else st.error)(flash[1])

counts = state_counts(store, now)
state = st.radio(tr("alerts.state"), ALERT_STATES, horizontal=True, key="alerts_state",
                 format_func=lambda s: tr("alerts.state_count", state=tr(f"state.{s}"),
                                          n=counts[s]))


def row_label(alert_id: int, kind: str, stream: str, severity: int, first_bin) -> str:
    """How an alert is named in the picker."""
    return tr("alerts.row", id=alert_id, kind=tr(f"kind.{kind}"),
              stream=streams.get(stream, stream), severity=int(severity),
              since=tr.datetime(pd.Timestamp(first_bin)))


queue = alert_queue(store, state, now)
rows = {int(r.id): row_label(int(r.id), r.kind, r.stream, r.severity, r.first_bin)
        for r in queue.itertuples()}
# The alert on screen may leave this state between the render and the operator's click
# (the detectors closed it, a colleague acted): it stays selectable until another is
# picked, so the click is carried out or refused with a reason, never silently dropped.
kept, left = st.session_state.get(f"alerts_pick_{state}"), None
if kept is not None and int(kept) not in rows:
    try:
        gone = alert_context(store.reader(), int(kept))
    except ActionError:  # erased meanwhile
        gone = None
    if gone is not None:
        left = int(kept)
        rows[left] = row_label(left, gone["kind"], gone["stream"], gone["severity"],
                               gone["first_bin"]) + " · " + tr(f"state.{gone['state']}")
if not rows:
    st.info(tr("alerts.empty"))
    st.stop()
alert_id = st.selectbox(tr("alerts.pick"), list(rows), format_func=rows.get,
                        key=f"alerts_pick_{state}")
detail = alert_detail(store, alert_id, now)
ctx = detail.context


def run(action, *args, **kwargs) -> None:
    """Call an action; keep its outcome for the next run and refresh the page."""
    try:
        result = action(*args, **kwargs)
    except (ActionError, PermissionDenied) as exc:
        st.session_state["alerts_flash"] = ("error", tr("alerts.refused", reason=str(exc)))
    else:
        text = (tr("alerts.escalated_to", n=len(result)) if isinstance(result, list)
                else tr("alerts.done", state=tr(f"state.{result}")))
        st.session_state["alerts_flash"] = ("ok", text)
    st.rerun()


chart, facts = st.columns([3, 2])
with chart:
    markers = pd.DataFrame([{"id": ctx["alert_id"], "kind": ctx["kind"],
                             "severity": ctx["severity"],
                             "first_bin": pd.Timestamp(ctx["first_bin"]),
                             "last_bin": pd.Timestamp(ctx["last_bin"])}])
    st.plotly_chart(volume_figure(detail.volume, markers, tr, height=320),
                    width="stretch", key="alert_chart")
with facts:
    share = (lambda v: "—" if v is None else tr.percent(v))
    a, b, c = st.columns(3)
    a.metric(tr("alerts.observed"), "—" if ctx["observed"] is None
             else tr.number(ctx["observed"], 1))
    b.metric(tr("alerts.expected"), "—" if ctx["expected"] is None
             else tr.number(ctx["expected"], 1))
    c.metric(tr("alerts.negative"), share(ctx["negative_share"]))
    a, b = st.columns(2)
    a.metric(tr("alerts.requests"), share(detail.request_share))
    b.metric(tr("alerts.opinions"), share(detail.opinion_share))
    st.markdown(f"**{tr('alerts.explanation')}**")
    if ctx["observed"] is not None and ctx["expected"] is not None:
        st.markdown(tr("alerts.explain_volume", observed=tr.number(ctx["observed"], 1),
                       expected=tr.number(ctx["expected"], 1), severity=ctx["severity"],
                       authors=tr.number(ctx["authors"] or 0)))
    if ctx["top_terms"]:
        st.markdown(f"**{tr('alerts.terms')}**")
        st.text(" · ".join(str(t) for t in ctx["top_terms"])[:300])

st.markdown(f"**{tr('alerts.samples')}**")
for sample in ctx["samples"]:
    st.text(f"{tr.time(pd.Timestamp(sample['ts']))} · {sample['author'][:40]}\n"
            f"{sample['text']}")
if len(detail.events):
    with st.expander(tr("alerts.history")):
        st.dataframe(detail.events[["ts", "event", "actor", "detail"]], hide_index=True,
                     width="stretch")

st.subheader(tr("alerts.actions"))
if not user.can("operator"):
    st.info(tr("alerts.viewer_only"))
    st.stop()
open_states = {"open", "acknowledged", "escalated"}
if ctx["state"] in open_states or alert_id == left:
    if alert_id == left:
        st.warning(tr("alerts.left_state", state=tr(f"state.{ctx['state']}")))
    note = st.text_input(tr("alerts.note"), key=f"alerts_note_{alert_id}")
    b1, b2, _ = st.columns([1, 1, 4])
    if ctx["state"] != "acknowledged" and b1.button(tr("alerts.acknowledge"), type="primary",
                                                    key="alerts_ack"):
        run(acknowledge_alert, store, user, alert_id, now=monitor.clock.now(), note=note)
    if b2.button(tr("alerts.resolve"), key="alerts_resolve"):
        run(resolve_alert, store, user, alert_id, now=monitor.clock.now(), note=note)
    with st.expander(tr("alerts.escalate")), st.form(f"alerts_escalate_{alert_id}"):
        targets = escalation_targets(settings)
        # Keyed: the default message quotes the alert's live numbers, and an unkeyed
        # widget whose default changed between the render and the click would be a new
        # widget on submit, dropping the operator's edits.
        target = st.selectbox(tr("alerts.escalate_to"), list(targets),
                              format_func=targets.get, key=f"alerts_escalate_to_{alert_id}")
        message = st.text_area(tr("alerts.escalate_message"), height=160,
                               value=default_message(store, settings, alert_id, tr),
                               key=f"alerts_escalate_message_{alert_id}")
        if st.form_submit_button(tr("alerts.escalate_confirm"), type="primary"):
            run(escalate_alert, store, settings, user, alert_id, target, message,
                now=monitor.clock.now())
    with st.expander(tr("alerts.dismiss")), st.form(f"alerts_dismiss_{alert_id}"):
        reason = st.text_input(tr("alerts.dismiss_reason"))
        if st.form_submit_button(tr("alerts.dismiss")):
            run(dismiss_alert, store, user, alert_id, now=monitor.clock.now(), reason=reason)
else:
    st.caption(tr("alerts.closed"))
with st.form(f"alerts_note_form_{alert_id}", clear_on_submit=True):
    text = st.text_area(tr("alerts.note_text"), height=80)
    if st.form_submit_button(tr("alerts.add_note")):
        run(add_alert_note, store, user, alert_id, now=monitor.clock.now(), text=text)
