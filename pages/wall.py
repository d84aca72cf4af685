"""The wall: live volume, negative share, open alerts, latest mentions (first cut)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from monitoring.enrich.pii import mask_pii
from monitoring.store import SQL_BINS_RANGE, SQL_LATEST_MENTIONS, SQL_OPEN_ALERTS, naive_utc
from monitoring.ui.runtime import get_monitor

monitor = get_monitor()
settings = monitor.settings
streams = {s.id: s.name for s in settings.streams}
stream = st.selectbox("Stream", list(streams), format_func=streams.get, label_visibility="collapsed")


@st.cache_data(ttl=2, show_spinner=False)
def wall_data(stream: str, now_key: str) -> dict[str, pd.DataFrame]:
    now = monitor.clock.now()
    cur = monitor.store.reader()
    start = naive_utc(now - timedelta(hours=6))
    return {
        "bins": cur.execute(SQL_BINS_RANGE, [stream, start, naive_utc(now)]).df(),
        "latest": cur.execute(SQL_LATEST_MENTIONS, [stream, start, 12]).df(),
        "alerts": cur.execute(SQL_OPEN_ALERTS).df(),
    }


@st.fragment(run_every=settings.app.refresh_seconds)
def live() -> None:
    now = monitor.clock.now()
    data = wall_data(stream, now.strftime("%Y%m%d%H%M%S"))
    bins, latest, alerts = data["bins"], data["latest"], data["alerts"]
    st.markdown(f"### {settings.app.title} — {streams[stream]} · "
                f"{now.astimezone().strftime('%d/%m %H:%M')} UTC")
    last = bins.tail(15)
    rate = float(last["n"].mean()) if len(last) else 0.0
    neg = float(last["n_negative"].sum() / max(last["n"].sum(), 1)) if len(last) else 0.0
    c1, c2, c3 = st.columns(3)
    c1.metric("Menzioni/min (15')", f"{rate:.1f}")
    c2.metric("Quota negativa (15')", f"{neg:.0%}")
    c3.metric("Alert aperti", len(alerts))
    left, right = st.columns([3, 2])
    with left:
        fig = go.Figure()
        fig.add_scatter(x=bins["bin_start"], y=bins["n"], name="mentions/min", mode="lines")
        share = bins["n_negative"] / bins["n"].clip(lower=1)
        fig.add_scatter(x=bins["bin_start"], y=share, name="negative share", yaxis="y2",
                        mode="lines", line={"dash": "dot"})
        fig.update_layout(template="plotly_dark", height=380, margin={"l": 10, "r": 10, "t": 10},
                          yaxis2={"overlaying": "y", "side": "right", "range": [0, 1]},
                          legend={"orientation": "h"})
        st.plotly_chart(fig, width="stretch")
    with right:
        for a in alerts.head(5).itertuples():
            st.error(f"**{a.kind.replace('_', ' ').upper()}** · {a.stream} · severity "
                     f"{a.severity} · since {a.first_bin:%H:%M}", icon="🚨")
        if alerts.empty:
            st.success("Nessun alert aperto / no open alerts")
    shown = latest.assign(text=latest["text"].map(lambda t: mask_pii(t or "")[:280]))
    st.dataframe(shown[["ts", "author", "text", "sentiment_label", "category", "priority"]],
                 hide_index=True, width="stretch")


live()
