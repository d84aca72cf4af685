"""Acknowledge an escalation from the signed link of its e-mail or chat message."""

from __future__ import annotations

import streamlit as st

from monitoring.notify.ladder import acknowledge_escalation, escalation_for_token
from monitoring.tokens import TokenError
from monitoring.ui.runtime import get_monitor
from monitoring.ui.session import translator

monitor = get_monitor()
tr = translator()
st.title(tr("ack.title"))
token = str(st.query_params.get("token", ""))[:1024]
if not token:
    st.info(tr("ack.missing"))
    st.stop()
try:
    esc = escalation_for_token(monitor.store, monitor.settings, token, now=monitor.clock.now())
except TokenError as exc:
    st.error(tr("ack.expired") if "expired" in str(exc) else tr("ack.invalid"))
    st.stop()
st.subheader(tr("notify.headline", kind=tr(f"kind.{esc['kind']}"), stream=esc["stream"],
                severity=esc["severity"]))
st.caption(tr("notify.level", level=esc["level"]))
st.text(esc["message"] or "")
if esc["state"] == "acknowledged":
    st.success(tr("ack.already", who=esc["acknowledged_by"]))
    st.stop()
note = st.text_area(tr("ack.note"), max_chars=1000)
if st.button(tr("ack.button"), type="primary"):
    result = acknowledge_escalation(monitor.store, monitor.settings, token,
                                    now=monitor.clock.now(), note=note)
    if result.already:
        st.success(tr("ack.already", who=result.acknowledged_by))
    else:
        st.success(tr("ack.done", time=tr.time(result.acknowledged_at)))
