"""Timeline: post-crisis review of an alert or a time range, annotations and exports."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from monitoring.alerts import own_terms
from monitoring.auth import PermissionDenied
from monitoring.store import naive_utc
from monitoring.timeline import (
    TimelineError,
    add_annotation,
    default_range,
    events_table,
    export_review,
    key_numbers_text,
    phase_posts,
    review_figure,
    review_for_alert,
    review_range,
)
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import require_page, translator

user = require_page("operator")
monitor = get_monitor()
settings = monitor.settings
tr = translator()
now = monitor.clock.now()
streams = {s.id: s.name for s in settings.streams}
brands = own_terms(*settings.streams)  # never a phase's topic

st.title(tr("timeline.title"))
if flash := st.session_state.pop("timeline_flash", None):
    st.success(flash)

alerts = monitor.store.alerts_since(now - timedelta(days=30)).sort_values(
    "opened_at", ascending=False)
mode = st.radio(tr("timeline.mode"), ["alert", "range"], horizontal=True,
                format_func=lambda m: tr(f"timeline.mode.{m}"), key="timeline_mode",
                index=0 if len(alerts) else 1)


def local_pick(label_day: str, label_time: str, default: datetime, key: str) -> datetime:
    local = tr.local(default)
    c1, c2 = st.columns(2)
    day = c1.date_input(tr(label_day), value=local.date(), key=f"{key}_day")
    at = c2.time_input(tr(label_time), value=local.time().replace(second=0, microsecond=0),
                       key=f"{key}_time")
    return naive_utc(datetime.combine(day, at, tzinfo=tr.tz))


try:
    if mode == "alert" and len(alerts):
        options = {int(a.id): tr("timeline.alert_option", id=a.id, kind=tr(f"kind.{a.kind}"),
                                 stream=streams.get(a.stream, a.stream),
                                 when=tr.datetime(a.opened_at))
                   for a in alerts.itertuples()}
        alert_id = st.selectbox(tr("timeline.pick_alert"), list(options),
                                format_func=options.get, key="timeline_alert")
        review = review_for_alert(monitor.store, alert_id, now=now, exclude=brands)
    else:
        if mode == "alert":
            st.info(tr("timeline.no_alerts"))
        stream = st.selectbox(tr("timeline.stream"), list(streams), format_func=streams.get,
                              key="timeline_stream")
        start0, end0 = default_range(now)
        start = local_pick("timeline.from", "timeline.from_time", start0, "timeline_from")
        end = local_pick("timeline.to", "timeline.to_time", end0, "timeline_to")
        review = review_range(monitor.store, stream, start, end, exclude=brands)
except TimelineError:
    st.error(tr("timeline.bad_range"))
    st.stop()

# ---------------------------------------------------------------- key numbers and chart
st.subheader(tr("timeline.key_numbers"))
pairs = key_numbers_text(review, tr)
for first in range(0, len(pairs), 4):  # four per row: eight in one row cut their values
    for col, (label, value) in zip(st.columns(4), pairs[first:first + 4]):
        col.metric(label, value)
st.plotly_chart(review_figure(review, tr), width="stretch")

# ---------------------------------------------------------------- phases and events
st.subheader(tr("timeline.phases"))
for phase in review.phases:
    with st.expander(f"{tr(f'timeline.phase.{phase.name}')}: {tr.datetime(phase.start)} – "
                     f"{tr.datetime(phase.end)}", expanded=phase.name in ("during", "range")):
        st.caption(f"{tr('timeline.terms')}: {', '.join(phase.terms) or '—'}")
        posts = phase_posts(phase)
        st.dataframe(pd.DataFrame({
            tr("timeline.col.when"): [tr.datetime(t) for t in posts["ts"]],
            tr("timeline.col.author"): posts["author"],
            tr("timeline.col.text"): posts["text"],
            tr("timeline.col.category"): [tr(f"category.{c}") for c in
                                          posts["category"].fillna("other")],
        }), hide_index=True, width="stretch")

st.subheader(tr("timeline.events"))
events = events_table(review)
if events.empty:
    st.info(tr("timeline.no_events"))
else:
    st.dataframe(pd.DataFrame({
        tr("timeline.col.when"): [tr.datetime(t, "medium") for t in events["ts"]],
        tr("timeline.col.event"): [tr(f"timeline.event.{e}") for e in events["event"]],
        tr("timeline.col.actor"): events["actor"],
        tr("timeline.col.detail"): events["detail"],
    }), hide_index=True, width="stretch")

# ---------------------------------------------------------------- annotate
with st.expander(tr("timeline.annotate")):
    note = st.text_area(tr("timeline.annotation_text"), max_chars=2000, key="timeline_note")
    when = local_pick("timeline.annotation_day", "timeline.annotation_time", now,
                      "timeline_note_at")
    if st.button(tr("timeline.annotation_save"), key="timeline_annotate"):
        try:
            add_annotation(monitor.store, user, when, note, now=monitor.clock.now(),
                           stream=review.stream)
        except (TimelineError, PermissionDenied) as exc:
            st.error(str(exc))
        else:
            st.session_state["timeline_flash"] = tr("timeline.annotation_saved")
            st.rerun()

# ---------------------------------------------------------------- export
st.subheader(tr("timeline.export"))
unmasked = user.can("admin") and st.checkbox(tr("timeline.export_unmasked"),
                                             key="timeline_unmasked")
signature = (review.stream, review.start, review.end, review.alert_id, unmasked)
e1, e2 = st.columns(2)
for col, fmt in ((e1, "html"), (e2, "csv")):
    if col.button(tr(f"timeline.prepare_{fmt}"), key=f"timeline_export_{fmt}"):
        try:
            st.session_state[f"timeline_{fmt}"] = signature, export_review(
                monitor.store, user, review, fmt, tr, now=monitor.clock.now(),
                unmasked=unmasked, title=settings.app.title)
        except PermissionDenied as exc:
            st.error(str(exc))
    prepared = st.session_state.get(f"timeline_{fmt}")
    if prepared and prepared[0] == signature:
        body = prepared[1]
        stamp = tr.local(review.start).strftime("%Y%m%d-%H%M")
        col.download_button(tr(f"timeline.download_{fmt}"), body,
                            file_name=f"timeline-{review.stream}-{stamp}.{fmt}",
                            mime="text/html" if fmt == "html" else "text/csv",
                            key=f"timeline_download_{fmt}")
