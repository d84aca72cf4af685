"""One Monitor per Streamlit server process, shared by every session."""

from __future__ import annotations

import atexit
import os

import streamlit as st

from monitoring.config import load_settings
from monitoring.monitor import Monitor
from monitoring.settings_store import effective_settings
from monitoring.store import Store


@st.cache_resource
def get_monitor() -> Monitor:
    """Start the Monitor once per process (settings from $SENTINELLA_CONFIG or the demo)."""
    settings = load_settings(os.environ.get("SENTINELLA_CONFIG"))
    db = os.environ.get("SENTINELLA_DB") or settings.database_path()
    store = Store(db)
    monitor = Monitor(effective_settings(store, settings), store,  # file + saved edits
                      secrets=_secrets())
    monitor.start()
    atexit.register(monitor.stop)
    return monitor


def _secrets() -> dict[str, object]:
    """Streamlit secrets (``.streamlit/secrets.toml``) for source credentials; {} without."""
    try:
        return dict(st.secrets)
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return {}
