"""Who is looking, and in which language: per-session state of the dashboard.

``st.session_state["user"]`` holds the :class:`monitoring.auth.User` of a logged-in
session and ``st.session_state["lang"]`` the chosen UI language.  Pages read them only
through these helpers.  Without a login a session is an anonymous viewer: it may look at
the wall, and every action function refuses it on the server side.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from monitoring.auth import Role, User
from monitoring.i18n import Translator
from monitoring.tokens import TokenError, signer_from_settings
from monitoring.ui.runtime import get_monitor
from monitoring.users import login, user_by_email

ANONYMOUS = User("anonymous", "viewer", "—")


def current_user() -> User:
    """The session's user (an anonymous viewer when nobody has logged in).

    A session opened with ``?kiosk=1&token=…`` (see ``python -m monitoring token kiosk``)
    is a viewer named after the screen; with ``auth.oidc`` an identity-provider login is
    mapped to the account with the same e-mail.
    """
    user = st.session_state.get("user")
    if isinstance(user, User):
        return user
    user = _kiosk_user() or _oidc_user()
    if user is not None:
        st.session_state["user"] = user
        return user
    return ANONYMOUS


def _kiosk_user() -> User | None:
    params = st.query_params
    if params.get("kiosk") != "1" or not params.get("token"):
        return None
    monitor = get_monitor()
    try:
        name = signer_from_settings(monitor.settings).verify(
            params["token"], "kiosk", now=datetime.now(UTC))
    except TokenError:
        return None
    return User(f"kiosk:{name}"[:64], "viewer", name)


def _oidc_user() -> User | None:
    monitor = get_monitor()
    if not monitor.settings.auth.oidc or not st.user.is_logged_in:
        return None
    return user_by_email(monitor.store, str(st.user.get("email") or ""))


def login_panel() -> None:
    """Login form (or the logged-in user and a logout button), in the session's language."""
    tr = translator()
    user = current_user()
    if user is not ANONYMOUS:
        st.write(tr("login.as", user=user.label, role=tr(f"role.{user.role}")))
        if st.button(tr("login.logout")):
            st.session_state.pop("user", None)
            if get_monitor().settings.auth.oidc and st.user.is_logged_in:
                st.logout()
            st.rerun()
        return
    st.subheader(tr("login.title"))
    with st.form("login"):
        username = st.text_input(tr("users.username"), max_chars=64)
        password = st.text_input(tr("users.password"), type="password", max_chars=200)
        submitted = st.form_submit_button(tr("login.submit"))
    if submitted:
        found = login(get_monitor().store, username, password, now=datetime.now(UTC))
        if found is None:
            st.error(tr("login.failed"))
        else:
            st.session_state["user"] = found
            st.rerun()
    if get_monitor().settings.auth.oidc and st.button(tr("login.oidc")):
        st.login()


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
    With ``auth.require_login`` an anonymous session sees nothing, not even the wall: it
    needs a login or a kiosk link.
    """
    user = current_user()
    if user is ANONYMOUS and get_monitor().settings.auth.require_login:
        st.warning(translator()("login.required"))
        st.stop()
    if not user.can(role):
        tr = translator()
        st.warning(tr("auth.role_required", role=tr(f"role.{role}")))
        st.stop()
    return user
