"""Sentinella dashboard: navigation and page config; the Monitor starts once per process."""

from __future__ import annotations

import streamlit as st

from monitoring.i18n import LANGUAGES
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import language, translator

st.set_page_config(page_title="Sentinella", page_icon="🛰️", layout="wide",
                   initial_sidebar_state="collapsed")
get_monitor()
kiosk = st.query_params.get("kiosk") == "1"
if not kiosk:
    st.sidebar.selectbox(":material/language:", list(LANGUAGES), format_func=LANGUAGES.get,
                         key="lang", index=list(LANGUAGES).index(language()))
tr = translator()
# Material icons ship with Streamlit's own font, so they draw on any screen (emoji need a
# system emoji font, which wall PCs and headless browsers often lack).
page = st.navigation([
    st.Page("pages/wall.py", title=tr("nav.wall"), icon=":material/tv:", default=True),
    st.Page("pages/alerts.py", title=tr("nav.alerts"), icon=":material/notifications_active:",
            url_path="alerts"),
    st.Page("pages/inbox.py", title=tr("inbox.nav"), icon=":material/inbox:", url_path="inbox"),
    st.Page("pages/timeline.py", title=tr("timeline.nav"), icon=":material/history:",
            url_path="timeline"),
    st.Page("pages/settings.py", title=tr("settings.nav"), icon=":material/settings:",
            url_path="settings"),
    st.Page("pages/users.py", title=tr("nav.users"), icon=":material/group:", url_path="users"),
    st.Page("pages/login.py", title=tr("nav.login"), icon=":material/key:", url_path="login"),
    st.Page("pages/ack.py", title="Ack", url_path="ack", visibility="hidden"),
], position="hidden" if kiosk else "sidebar")
page.run()
