"""Banners about the monitor itself (see ``Monitor.status()``): the database refusing
writes, and history still being loaded or analysed (a first start, a long backlog)."""

from __future__ import annotations

import streamlit as st

from monitoring.i18n import Translator
from monitoring.monitor import MonitorStatus


def store_paused_banner(status: MonitorStatus, tr: Translator) -> bool:
    """Show a prominent error while writing is paused; return whether it was shown.

    The database's error message is shown as plain text (it may hold paths with markdown
    characters).
    """
    if not status.store_paused:
        return False
    since = tr.time(status.store_paused_since) if status.store_paused_since else "—"
    st.error(tr("store.paused", since=since, failures=status.store_failures), icon=":material/block:")
    st.text(tr("store.paused_detail", error=status.store_error))
    return True


def catch_up_banner(status: MonitorStatus, tr: Translator) -> bool:
    """Say that the monitor is still catching up with history, and how far it has come;
    return whether it was shown (the wall's numbers and alerts are not current yet)."""
    catch_up = status.catch_up
    if catch_up is None:
        return False
    reached = tr.datetime(catch_up.reached) if catch_up.reached else tr("wall.catch_up_none")
    if catch_up.phase == "collect":
        text = tr("wall.catch_up_collect", sources=", ".join(catch_up.sources), reached=reached)
    else:
        text = tr("wall.catch_up_detect", reached=reached)
    st.info(text, icon=":material/hourglass_top:")
    return True
