"""The wall: live volume against the expected band, alerts, queues, terms, sources.

``?kiosk=1`` shows it for an unattended screen (no menus, nothing to click, big type).
The panels refresh in a fragment every ``app.refresh_seconds``; their data is one
:class:`monitoring.wall.WallSnapshot`, shared by every session watching the same stream.
"""

from __future__ import annotations

import streamlit as st

from monitoring.ui import components as ui
from monitoring.ui.charts import negative_share_figure, volume_figure
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import language, require_page, translator
from monitoring.ui.store_status import catch_up_banner, store_paused_banner

require_page("viewer")
settings = get_monitor().settings
kiosk = st.query_params.get("kiosk") == "1"
streams = {s.id: s.name for s in settings.streams}
departments = {d.id: d.name.get(language(), d.id) for d in settings.departments}
ui.kiosk_style(kiosk)
tr = translator()
if kiosk:
    stream = st.query_params.get("stream") if st.query_params.get("stream") in streams \
        else next(iter(streams))
else:
    stream = st.selectbox(tr("wall.stream"), list(streams), format_func=streams.get,
                          key="wall_stream")
chart_config = {"displayModeBar": False, "staticPlot": kiosk}
big = 18 if kiosk else 14


@st.fragment(run_every=settings.app.refresh_seconds)
def live() -> None:
    snap = ui.shared_snapshot(stream)
    status = get_monitor().status()
    with st.container():  # a banner coming or going does not move the panels below
        store_paused_banner(status, tr)
        pending = catch_up_banner(status, tr)
    st.markdown(f"### {settings.app.title} — {streams[stream]} · "
                f"{tr('wall.updated', time=tr.time(snap.now, seconds=True))}")
    if snap.crisis:
        ui.crisis_banner(snap, tr, streams)
    expected = snap.expected_rate
    waiting = int(snap.queues["waiting"].sum()) if len(snap.queues) else 0
    late = int(snap.queues["breached"].sum()) if len(snap.queues) else 0
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(tr("wall.rate"), tr.number(snap.rate, 1),
              None if expected is None else tr("wall.rate_expected",
                                                expected=tr.number(expected, 1)),
              delta_color="off", delta_arrow="off", border=True)
    c2.metric(tr("wall.negative"), tr.percent(snap.negative_share), border=True)
    c3.metric(tr("wall.open_alerts"), tr.number(len(snap.alerts)), border=True)
    c4.metric(tr("wall.waiting"), tr.number(waiting), border=True)
    c5.metric(tr("wall.breaches"), tr.number(late), border=True)
    left, right = st.columns([5, 2])
    with left:
        st.plotly_chart(volume_figure(snap.volume, snap.markers, tr, height=310, font_size=big,
                                      critical=snap.critical_severity),
                        width="stretch", config=chart_config, key="wall_volume",
                        theme=None if kiosk else "streamlit")
        st.plotly_chart(negative_share_figure(snap.volume, tr, height=140, font_size=big),
                        width="stretch", config=chart_config, key="wall_negative",
                        theme=None if kiosk else "streamlit")
    with right:
        ui.alert_cards(snap, tr, streams, limit=3 if snap.crisis else 4, pending=pending)
    q, t, m, s = st.columns([3, 2, 5, 2])
    with q:
        ui.queues_panel(snap.queues, tr, departments)
    with t:
        ui.terms_panel(snap.terms, tr)
    with m:
        ui.mentions_panel(snap.mentions, tr, limit=2 if kiosk else 6,
                          chars=150 if kiosk else 320)
    with s:
        ui.sources_panel(snap.sources, tr)
        ui.failed_panel(snap.failed, tr)


live()
