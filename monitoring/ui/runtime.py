"""One Monitor per Streamlit server process, shared by every session."""

from __future__ import annotations

import atexit
import os
import sys

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from monitoring.config import load_settings
from monitoring.monitor import Monitor
from monitoring.settings_store import effective_settings
from monitoring.store import Store


def leave_legacy_pages() -> None:
    """Make a direct link (``/alerts``) go through ``app.py``'s ``st.navigation``.

    Streamlit treats a ``pages/`` folder beside the entry script as a legacy multipage
    app until ``st.navigation`` has run once in the process: a fresh server whose first
    visitor opens ``/alerts`` would run ``pages/alerts.py`` alone (no page config, no
    login, a file-name menu).  Every page reaches this through :func:`get_monitor`; in
    that case it switches the process to ``st.navigation`` and reruns through ``app.py``.
    """
    ctx = get_script_run_ctx()
    if PagesManager.uses_pages_directory and ctx is not None and _served() \
            and not _running_inside(ctx.main_script_path):
        PagesManager.uses_pages_directory = False
        st.rerun()


def _served() -> bool:
    """Whether a real Streamlit server runs this script (AppTest runs pages directly)."""
    return Runtime.exists() and type(Runtime.instance()) is Runtime


def _running_inside(script: str) -> bool:
    """Whether ``script`` (the entry point) is on the call stack of this run."""
    target = os.path.realpath(script)
    frame = sys._getframe(1)
    while frame is not None:
        if os.path.realpath(frame.f_code.co_filename) == target:
            return True
        frame = frame.f_back
    return False


def get_monitor() -> Monitor:
    """The process's Monitor (started on first use); see :func:`leave_legacy_pages`."""
    leave_legacy_pages()
    return _start_monitor()


@st.cache_resource
def _start_monitor() -> Monitor:
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


#: Tests restart the Monitor with ``get_monitor.clear()``.
get_monitor.clear = _start_monitor.clear  # type: ignore[attr-defined]
