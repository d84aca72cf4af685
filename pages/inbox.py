"""Inbox: request queues per department with SLA timers, ticket actions, customer panel."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from monitoring.auth import PermissionDenied
from monitoring.inbox import (
    TicketError,
    assign_ticket,
    correct_ticket,
    customer_panel,
    format_left,
    mark_responded,
    queue,
    queue_summary,
    resolve_ticket,
    ticket_detail,
)
from monitoring.labels import FIELDS, LabelError
from monitoring.sla import SlaCalendar
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import require_page, translator

user = require_page("operator")
monitor = get_monitor()
settings = monitor.settings
tr = translator()
now = monitor.clock.now()
calendar = SlaCalendar(settings.thresholds.business_hours, settings.app.timezone)
departments = {d.id: d.name.get(tr.lang) or d.id for d in settings.departments}

st.title(tr("inbox.title"))
if flash := st.session_state.pop("inbox_flash", None):
    st.success(flash)

# ---------------------------------------------------------------- summary per department
summary = queue_summary(monitor.store, now=now)
if len(summary):
    cols = st.columns(min(len(summary), 6))
    for col, row in zip(cols, summary.itertuples()):
        col.metric(departments.get(row.department, row.department or "—"),
                   tr.number(row.waiting),
                   tr("inbox.over_sla", n=tr.number(row.first_response_breached))
                   if row.first_response_breached else None, delta_color="inverse",
                   help=f"{tr('inbox.first_response_breached')}: {row.first_response_breached}"
                        f" · {tr('inbox.resolution_breached')}: {row.resolution_breached}")

left, right = st.columns([2, 1])
dept = left.selectbox(tr("inbox.department"), [None, *departments],
                      format_func=lambda d: tr("inbox.all_departments") if d is None
                      else departments[d], key="inbox_department")
show_resolved = right.toggle(tr("inbox.include_resolved"), key="inbox_resolved")
tickets = queue(monitor.store, dept, now=now, calendar=calendar,
                include_resolved=show_resolved)


def timer(seconds: float | None, done: object) -> str:
    if done is not None and not pd.isna(done):
        return tr("inbox.done")
    text = format_left(seconds, tr.duration)
    return tr("inbox.overdue", time=text[1:]) if text.startswith("-") else text


if tickets.empty:
    st.info(tr("inbox.empty"))
    st.stop()

table = pd.DataFrame({
    tr("inbox.col.ticket"): tickets["id"],
    tr("inbox.col.created"): [tr.datetime(t) for t in tickets["created_at"]],
    tr("inbox.department"): [departments.get(d, d) for d in tickets["department"]],
    tr("inbox.col.state"): [tr(f"inbox.state.{s}") for s in tickets["state"]],
    tr("inbox.col.assignee"): tickets["assignee"].fillna(""),
    tr("inbox.col.author"): tickets["author"].fillna(""),
    tr("inbox.col.text"): tickets["text"],
    tr("inbox.col.first_response"): [timer(s, d) for s, d in
                                     zip(tickets["first_response_left_s"],
                                         tickets["first_response_at"])],
    tr("inbox.col.resolution"): [timer(s, d) for s, d in
                                 zip(tickets["resolution_left_s"], tickets["resolved_at"])],
    tr("inbox.col.pii"): [", ".join(tr(f"inbox.pii.{k}") for k in kinds)
                          for kinds in tickets["pii_kinds"]],
})
st.dataframe(table, hide_index=True, width="stretch")

# ---------------------------------------------------------------- one ticket
labels = {int(r.id): tr("inbox.pick_option", id=r.id, author=r.author or "—",
                        timer=timer(r.first_response_left_s, r.first_response_at))
          for r in tickets.itertuples()}
ticket_id = st.selectbox(tr("inbox.pick"), list(labels), format_func=labels.get,
                         key="inbox_ticket")
detail = ticket_detail(monitor.store, ticket_id, now=now, calendar=calendar)
t = detail.ticket
st.text(f"{t['author'] or '—'} · {t['source']} · {tr.datetime(t['created_at'])}")
st.text(t["text"])  # untrusted: plain text, masked
if detail.private_channel_warning:
    st.warning(tr("inbox.pii_warning",
                  kinds=", ".join(tr(f"inbox.pii.{k}") for k in t["pii_kinds"])), icon=":material/lock:")
    st.caption(tr("inbox.suggested_reply"))
    st.code(detail.suggested_reply or "", language=None, wrap_lines=True)


def act(done_key: str, fn, *args, **kwargs) -> None:
    try:
        fn(monitor.store, user, ticket_id, *args, now=monitor.clock.now(), **kwargs)
    except (TicketError, LabelError, PermissionDenied) as exc:
        st.error(str(exc))
        return
    st.session_state["inbox_flash"] = tr(done_key, id=ticket_id)
    st.rerun()


a1, a2, a3 = st.columns(3)
assignee = a1.text_input(tr("inbox.assignee"), value=t["assignee"] or user.username,
                         max_chars=80, key=f"assignee_{ticket_id}")
note = a2.text_input(tr("inbox.note"), max_chars=2000, key=f"note_{ticket_id}")
with a3:
    if st.button(tr("inbox.assign"), key="inbox_assign", disabled=t["state"] == "resolved"):
        act("inbox.done_assign", assign_ticket, assignee)
    if st.button(tr("inbox.respond"), key="inbox_respond", disabled=t["state"] != "open"):
        act("inbox.done_respond", mark_responded, note=note)
    if st.button(tr("inbox.resolve"), key="inbox_resolve", type="primary",
                 disabled=t["state"] == "resolved"):
        act("inbox.done_resolve", resolve_ticket, note=note)

with st.expander(tr("inbox.correct")):
    c1, c2, c3 = st.columns([1, 2, 1])
    field = c1.selectbox(tr("inbox.correct_field"), list(FIELDS),
                         format_func=lambda f: tr(f"inbox.field.{f}"), key="inbox_field")
    choices = sorted(FIELDS[field]) if FIELDS[field] else list(departments)
    names = {"category": lambda v: tr(f"category.{v}"),
             "sentiment": lambda v: tr(f"sentiment.{v}"), "department": departments.get}
    value = c2.selectbox(tr("inbox.correct_value"), choices, format_func=names[field],
                         key=f"inbox_value_{field}")
    if c3.button(tr("inbox.correct_save"), key="inbox_correct"):
        act("inbox.done_correct", correct_ticket, field, value, due=monitor.ticket_due)

# ---------------------------------------------------------------- customer panel
if t["author"]:
    st.subheader(tr("inbox.customer", author=t["author"]))
    panel = customer_panel(monitor.store, t["author"])
    p1, p2 = st.columns([3, 2])
    with p1:
        st.caption(tr("inbox.customer_mentions"))
        st.dataframe(pd.DataFrame({
            tr("inbox.col.created"): [tr.datetime(x) for x in panel.mentions["ts"]],
            tr("inbox.col.source"): panel.mentions["source"],
            tr("inbox.col.text"): panel.mentions["text"],
            tr("inbox.col.sentiment"): [tr(f"sentiment.{s}") for s in
                                        panel.mentions["sentiment_label"].fillna("neutral")],
            tr("inbox.col.category"): [tr(f"category.{c}") for c in
                                       panel.mentions["category"].fillna("other")],
        }), hide_index=True, width="stretch", height=220)
        st.caption(tr("inbox.customer_tickets"))
        st.dataframe(pd.DataFrame({
            tr("inbox.col.ticket"): panel.tickets["id"],
            tr("inbox.col.created"): [tr.datetime(x) for x in panel.tickets["created_at"]],
            tr("inbox.department"): [departments.get(d, d) for d in panel.tickets["department"]],
            tr("inbox.col.state"): [tr(f"inbox.state.{s}") for s in panel.tickets["state"]],
        }), hide_index=True, width="stretch", height=160)
    with p2:
        st.caption(tr("inbox.customer_sentiment"))
        fig = go.Figure(go.Scatter(x=panel.sentiment["day"], y=panel.sentiment["mean_sentiment"],
                                   mode="lines+markers"))
        fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                          yaxis={"range": [-1, 1]})
        st.plotly_chart(fig, width="stretch")
