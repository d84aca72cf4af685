"""Sentinella dashboard: navigation and page config; the Monitor starts once per process."""

from __future__ import annotations

import os

import streamlit as st

from monitoring.auth import User
from monitoring.i18n import LANGUAGES
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import language, translator

st.set_page_config(page_title="Sentinella", page_icon="🛰️", layout="wide",
                   initial_sidebar_state="collapsed")
get_monitor()
# For local demos and the browser tests only: every session is this user ("name:role").
_autologin = os.environ.get("SENTINELLA_INSECURE_AUTOLOGIN")
if _autologin and "user" not in st.session_state:
    _name, _, _role = _autologin.partition(":")
    st.session_state["user"] = User(_name, _role or "operator")  # type: ignore[arg-type]
kiosk = st.query_params.get("kiosk") == "1"
if not kiosk:
    st.sidebar.selectbox("🌐", list(LANGUAGES), format_func=LANGUAGES.get, key="lang",
                         index=list(LANGUAGES).index(language()))
tr = translator()
page = st.navigation([
    st.Page("pages/wall.py", title=tr("nav.wall"), icon="📺", default=True),
    st.Page("pages/alerts.py", title=tr("nav.alerts"), icon="🚨", url_path="alerts"),
    st.Page("pages/inbox.py", title=tr("inbox.nav"), icon="📥", url_path="inbox"),
    st.Page("pages/timeline.py", title=tr("timeline.nav"), icon="🕓", url_path="timeline"),
    st.Page("pages/settings.py", title=tr("settings.nav"), icon="⚙️", url_path="settings"),
    st.Page("pages/users.py", title=tr("nav.users"), icon="👥", url_path="users"),
    st.Page("pages/login.py", title=tr("nav.login"), icon="🔑", url_path="login"),
    st.Page("pages/ack.py", title="Ack", url_path="ack", visibility="hidden"),
], position="hidden" if kiosk else "sidebar")
page.run()
