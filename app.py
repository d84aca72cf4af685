"""Sentinella dashboard: navigation and page config; the Monitor starts once per process."""

from __future__ import annotations

import streamlit as st

from monitoring.ui.runtime import get_monitor

st.set_page_config(page_title="Sentinella", page_icon="🛰️", layout="wide",
                   initial_sidebar_state="collapsed")
get_monitor()
page = st.navigation([st.Page("pages/wall.py", title="Wall", icon="📺", default=True),
                      st.Page("pages/users.py", title="Users", icon="👥"),
                      st.Page("pages/login.py", title="Login", icon="🔑"),
                      st.Page("pages/ack.py", title="Ack", url_path="ack", visibility="hidden")])
page.run()
