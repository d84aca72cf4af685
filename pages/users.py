"""Accounts and the audit log (admin only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from monitoring.audit import audit_csv, audit_rows
from monitoring.auth import ROLES, PermissionDenied
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import require_page, translator
from monitoring.users import UserError, add_user, list_users, set_disabled, set_role

user = require_page("admin")
monitor = get_monitor()
tr = translator()
st.title(tr("users.title"))
accounts = list_users(monitor.store)
st.dataframe(accounts, hide_index=True, width="stretch")


def attempt(change: Callable[[], object]) -> None:
    try:
        change()
    except (UserError, PermissionDenied) as exc:
        st.error(str(exc))
    else:
        st.success(tr("users.saved"))


with st.form("add_user", clear_on_submit=True):
    st.subheader(tr("users.add"))
    c1, c2, c3, c4 = st.columns(4)
    name = c1.text_input(tr("users.username"), max_chars=64)
    display = c2.text_input(tr("users.display_name"), max_chars=100)
    role = c3.selectbox(tr("users.role"), ROLES, format_func=lambda r: tr(f"role.{r}"))
    password = c4.text_input(tr("users.password"), type="password", max_chars=200)
    if st.form_submit_button(tr("users.save")):
        attempt(lambda: add_user(monitor.store, user, name, role, password,
                                 now=datetime.now(UTC), display_name=display))

if len(accounts):
    c1, c2, c3, c4 = st.columns(4)
    who = c1.selectbox(tr("users.username"), list(accounts["username"]), key="who")
    new_role = c2.selectbox(tr("users.role"), ROLES, format_func=lambda r: tr(f"role.{r}"),
                            key="new_role")
    if c3.button(tr("users.save"), key="save_role"):
        attempt(lambda: set_role(monitor.store, user, who, new_role, now=datetime.now(UTC)))
    if c4.button(tr("users.disable"), key="disable"):
        attempt(lambda: set_disabled(monitor.store, user, who, True, now=datetime.now(UTC)))

st.subheader(tr("users.audit"))
rows = audit_rows(monitor.store)
st.dataframe(rows.tail(200), hide_index=True, width="stretch")
st.download_button(tr("users.export"), audit_csv(rows), file_name="sentinella-audit.csv",
                   mime="text/csv")
