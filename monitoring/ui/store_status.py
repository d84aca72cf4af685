"""The banner a page shows while the database refuses writes (see ``Monitor.status()``)."""

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
