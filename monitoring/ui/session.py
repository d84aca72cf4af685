"""Who is looking, and in which language: per-session state of the dashboard.

``st.session_state["user"]`` holds the :class:`monitoring.auth.User` of a logged-in
session and ``st.session_state["lang"]`` the chosen UI language.  Pages read them only
through these helpers.  Without a login a session is an anonymous viewer: it may look at
the wall, and every action function refuses it on the server side.
"""

from __future__ import annotations

import streamlit as st

from monitoring.auth import Role, User
from monitoring.i18n import Translator
from monitoring.ui.runtime import get_monitor

ANONYMOUS = User("anonymous", "viewer", "—")


def current_user() -> User:
    """The session's user (an anonymous viewer when nobody has logged in)."""
    user = st.session_state.get("user")
    return user if isinstance(user, User) else ANONYMOUS


def language() -> str:
    """The session's UI language (default: ``app.language`` of the settings)."""
    return st.session_state.get("lang") or get_monitor().settings.app.language


def translator() -> Translator:
    """Messages and formats in the session's language and the configured time zone."""
    settings = get_monitor().settings
    return Translator(language(), settings.app.timezone)


def require_page(role: Role) -> User:
    """Stop the page (with a message) unless the session's user has at least ``role``.

    Pages call this first; the action functions check the role again on the server side.
    """
    user = current_user()
    if not user.can(role):
        tr = translator()
        st.warning(tr("auth.role_required", role=tr(f"role.{role}")))
        st.stop()
    return user
