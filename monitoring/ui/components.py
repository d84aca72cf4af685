"""Streamlit pieces of the wall: kiosk style, shared snapshot cache, panels.

Markdown is used only for text the product writes (labels, numbers, configured names);
anything that comes from a mention (text, author, terms, errors) goes through
``st.text``, which shows it as plain text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from monitoring.i18n import Translator
from monitoring.sources.health import Freshness
from monitoring.ui.charts import severity_colour
from monitoring.ui.runtime import get_monitor
from monitoring.wall import WallSnapshot, wall_snapshot

__all__ = [
    "alert_cards",
    "crisis_banner",
    "failed_panel",
    "kiosk_style",
    "mentions_panel",
    "queues_panel",
    "shared_snapshot",
    "sources_panel",
    "terms_panel",
]

#: Colour names of ``st.markdown``'s ``:colour[...]`` syntax per severity colour.
_MD_COLOUR = {"#ff4b4b": "red", "#ffa421": "orange", "#29b5e8": "blue"}
_DOT = {"green": ":green[●]", "orange": ":orange[●]", "red": ":red[●]", "grey": ":gray[○]"}

# Static CSS (no user text): hide Streamlit's chrome, big type, tight padding.
KIOSK_CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], footer { display: none !important; }
.stApp { background: #0b0f17; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: 0.6rem 1.2rem 0 1.2rem !important; max-width: 100% !important; }
html, body, .stApp { overflow: hidden !important; }
[data-testid="stMarkdownContainer"] p { font-size: 1.25rem; }
[data-testid="stMetricValue"] p { font-size: 3.4rem !important; line-height: 1.1; font-weight: 700; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; }
[data-testid="stMetricDelta"] p { font-size: 1.2rem !important; }
[data-testid="stText"] { font-family: inherit; font-size: 1.15rem; white-space: pre-wrap; }
[data-testid="stVerticalBlock"] { gap: 0.35rem; }
[data-testid="stAlertContainer"] { padding: 0.5rem 1rem; }
[data-testid="stAlertContainer"] p { font-size: 1.9rem; font-weight: 700; line-height: 1.3; }
[data-testid="stMetric"] { padding: 0.4rem 0.8rem !important; }
</style>
"""
# Outside kiosk mode, only mention text is made readable (wrapping, normal font).
PAGE_CSS = """
<style>
[data-testid="stText"] { font-family: inherit; white-space: pre-wrap; }
</style>
"""


def kiosk_style(kiosk: bool) -> None:
    """Inject the page's static CSS (the kiosk one hides every menu and button)."""
    st.markdown(KIOSK_CSS if kiosk else PAGE_CSS, unsafe_allow_html=True)


@st.cache_data(ttl=30, max_entries=32, show_spinner=False)
def _snapshot(stream: str, bucket: int) -> WallSnapshot:
    monitor = get_monitor()
    return wall_snapshot(monitor.store, monitor.settings, stream, monitor.clock.now())


def shared_snapshot(stream: str) -> WallSnapshot:
    """The wall's data, computed once per refresh interval for every session watching."""
    refresh = get_monitor().settings.app.refresh_seconds
    return _snapshot(stream, int(time.time() // refresh))


def _text(value: object, limit: int = 300) -> None:
    st.text(str(value)[:limit])


# While a critical alert is open the whole screen gets a red frame (static CSS).
CRISIS_CSS = """
<style>
.stApp { box-shadow: inset 0 0 0 14px #ff4b4b; }
</style>
"""


def crisis_banner(snap: WallSnapshot, tr: Translator, stream_names: dict[str, str]) -> None:
    """The takeover state shown while a critical alert is open: red frame, banner."""
    st.markdown(CRISIS_CSS, unsafe_allow_html=True)
    top = snap.alerts.iloc[0]
    st.error(f"{tr('wall.crisis')} · " + tr(
        "wall.crisis_line", kind=tr(f"kind.{top['kind']}"),
        stream=stream_names.get(top["stream"], top["stream"]),
        since=tr.time(top["first_bin"]), severity=int(top["severity"])))


def alert_cards(snap: WallSnapshot, tr: Translator, stream_names: dict[str, str],
                limit: int = 4, pending: bool = False) -> None:
    """Open alerts as cards, most severe first.

    ``pending``: history is still being loaded, so no alert is not an all-clear.
    """
    st.markdown(f"#### {tr('wall.open_alerts')}")
    if not len(snap.alerts):
        if pending:
            st.info(tr("wall.alerts_pending"))
        else:
            st.success(tr("wall.no_alerts"))
        return
    for a in snap.alerts.head(limit).itertuples():
        colour = _MD_COLOUR[severity_colour(int(a.severity), snap.critical_severity)]
        with st.container(border=True):
            st.markdown(f"**:{colour}[{tr(f'kind.{a.kind}')}]** · "
                        f"{stream_names.get(a.stream, a.stream)}  \n"
                        + tr("wall.card_since", since=tr.time(a.first_bin),
                             severity=int(a.severity), state=tr(f"state.{a.state}"))
                        + "  \n" + _observed_line(a, tr))
            if a.top_terms:
                _text(" · ".join(str(t) for t in a.top_terms), 160)


def _observed_line(alert: Any, tr: Translator) -> str:
    observed, expected = alert.observed, alert.expected
    if observed is None or expected is None or pd.isna(observed) or pd.isna(expected):
        return ""
    if alert.kind == "negative_shift":
        return tr("wall.card_share", observed=tr.percent(observed), expected=tr.percent(expected))
    return tr("wall.card_volume", observed=tr.number(observed), expected=tr.number(expected, 1))


def queues_panel(queues: pd.DataFrame, tr: Translator, department_names: dict[str, str]) -> None:
    """Requests waiting and SLA breaches per department."""
    st.markdown(f"#### {tr('wall.queues')}")
    if not len(queues):
        st.markdown(tr("wall.no_queues"))
        return
    for q in queues.head(4).itertuples():
        late = int(q.breached)
        name = department_names.get(q.department, q.department or "—")
        line = tr("wall.queue_line", waiting=tr.number(q.waiting), late=tr.number(late))
        st.markdown(f"**{name}** · " + (f":red[{line}]" if late else line))


def terms_panel(terms: Sequence[tuple[str, float]], tr: Translator, limit: int = 10) -> None:
    """Emerging terms, strongest first."""
    st.markdown(f"#### {tr('wall.terms')}")
    if not terms:
        st.markdown(tr("wall.no_terms"))
        return
    _text("  ·  ".join(term for term, _ in terms[:limit]), 400)


def mentions_panel(mentions: pd.DataFrame, tr: Translator, limit: int = 4,
                   chars: int = 320) -> None:
    """Latest high-priority mentions (already masked), as plain text."""
    st.markdown(f"#### {tr('wall.mentions')}")
    if not len(mentions):
        st.markdown(tr("wall.no_mentions"))
        return
    for m in mentions.head(limit).itertuples():
        label = tr(f"category.{m.category}") if m.category else "—"
        _text(f"{tr.time(m.ts)} · {m.author} · {label}\n{str(m.text)[:chars]}", chars + 80)


def sources_panel(sources: Sequence[Freshness], tr: Translator) -> None:
    """One line per source; red when silent or failing."""
    st.markdown(f"#### {tr('wall.sources')}")
    for f in sources:
        when = tr.time(f.last_success) if f.last_success else tr("wall.never")
        line = tr("wall.source_line", source=f.source, state=tr(f"source_state.{f.state}"),
                  when=when)
        st.markdown(f"{_DOT.get(f.colour, ':gray[○]')} " + (f":red[**{line}**]" if f.is_red else line))


def failed_panel(failed: pd.DataFrame, tr: Translator) -> None:
    """Failed notifications, in red (nothing when every notification went out)."""
    if not len(failed):
        return
    st.markdown(f"#### :red[{tr('wall.failed')}]")
    for f in failed.itertuples():
        st.markdown(f":red[alert {int(f.alert_id)} → {f.contact} ({f.channel})]")
        if f.last_error:
            _text(f.last_error, 160)
