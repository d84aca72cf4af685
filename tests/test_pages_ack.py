"""Pages of the escalation flow on a real Monitor: the link from a real e-mail acknowledges."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from loopback import SECRET, SECRET_ENV, SmtpSink, open_alert
from streamlit.testing.v1 import AppTest

from monitoring.auth import User
from monitoring.config import DEFAULT_CONFIG
from monitoring.escalation import escalate_alert
from monitoring.tokens import TokenSigner
from monitoring.users import add_user

PAGES = Path(__file__).resolve().parent.parent / "pages"


@pytest.fixture
def monitor(tmp_path, monkeypatch, request):
    from monitoring.ui.runtime import get_monitor

    with SmtpSink() as smtp:
        text = DEFAULT_CONFIG.read_text().replace('kind = "demo"', 'kind = "demo"\nenabled = false')
        text = text[:text.index("\n[smtp]")]  # the demo's own SMTP server is replaced below
        text = text.replace('language = "it" ', 'language = "en" ', 1) + f"""
[smtp]
host = "127.0.0.1"
port = {smtp.port}
[notify]
interval_seconds = 0.2
[auth]
token_secret_env = "{SECRET_ENV}"
{getattr(request, "param", "")}
"""
        cfg = tmp_path / "pages.toml"
        cfg.write_text(text)
        monkeypatch.setenv("SENTINELLA_CONFIG", str(cfg))
        monkeypatch.setenv("SENTINELLA_DB", str(tmp_path / "pages.duckdb"))
        monkeypatch.setenv(SECRET_ENV, SECRET)
        get_monitor.clear()
        m = get_monitor()
        m.smtp = smtp
        yield m
        m.stop()
        get_monitor.clear()


def _page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_link_in_the_delivered_email_acknowledges(monitor):
    now = datetime.now(UTC)
    alert_id = open_alert(monitor.store, now)
    escalate_alert(monitor.store, monitor.settings, User("anna", "operator"), alert_id,
                   "ladder:crisis", "Please decide", now=now)
    deadline = time.monotonic() + 30
    while not monitor.smtp.messages and time.monotonic() < deadline:
        time.sleep(0.1)  # the monitor's deliver job sends it
    body = monitor.smtp.messages[0].get_body(("plain",)).get_content()
    token = re.search(r"/ack\?token=([A-Za-z0-9_.-]+)", body).group(1)
    at = _page("ack.py", token=token)
    assert not at.exception
    assert "Reputation crisis on lumea" in at.subheader[0].value
    assert at.text[0].value == "Please decide"
    at.button[0].click().run()
    assert "Acknowledged at" in at.success[0].value
    state = monitor.store.reader().execute(
        "SELECT state FROM alerts WHERE id = ?", [alert_id]).fetchall()[0][0]
    assert state == "acknowledged"
    again = _page("ack.py", token=token)
    assert "already acknowledged by contact:comms-director" in again.success[0].value
    assert not again.button


@pytest.mark.parametrize(("make", "message"), [
    (lambda: TokenSigner(SECRET.encode()).sign(
        "ack", "1", datetime.now(UTC) - timedelta(minutes=1)), "expired"),
    (lambda: TokenSigner(b"not-the-real-secret-123").sign(
        "ack", "1", datetime.now(UTC) + timedelta(days=1)), "not valid"),
    (lambda: "garbage", "not valid"),
])
def test_expired_or_forged_links_show_an_error_and_no_button(monitor, make, message):
    alert_id = open_alert(monitor.store, datetime.now(UTC))
    escalate_alert(monitor.store, monitor.settings, User("anna", "operator"), alert_id,
                   "ladder:crisis", "x", now=datetime.now(UTC))
    at = _page("ack.py", token=make())
    assert message in at.error[0].value and not at.button
    assert SECRET not in str(at)


@pytest.mark.parametrize(("params", "shown"), [
    ({"kiosk": "1"}, None),
    ({"kiosk": "1", "token": "forged.token"}, None),
    ("valid", "Logged in as wall (viewer)"),
])
def test_kiosk_token_makes_a_viewer_without_login(monitor, params, shown):
    if params == "valid":
        token = TokenSigner(SECRET.encode()).sign("kiosk", "wall",
                                                  datetime.now(UTC) + timedelta(days=1))
        params = {"kiosk": "1", "token": token}
    at = _page("login.py", **params)
    texts = [m.value for m in at.markdown]
    if shown:
        assert shown in texts
    else:
        assert at.text_input and not any("Logged in" in t for t in texts)


def test_login_form_refuses_a_wrong_password_and_admits_the_right_one(monitor):
    add_user(monitor.store, User("root", "admin"), "anna", "operator", "correct horse 1",
             now=datetime.now(UTC), rounds=4)
    at = _page("login.py")
    at.text_input[0].input("anna")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert at.error[0].value == "Wrong username or password."
    at.text_input[1].input("correct horse 1")
    at.button[0].click().run()
    assert at.session_state["user"].role == "operator"


@pytest.mark.parametrize(("user", "allowed"), [
    (None, False), (User("v", "viewer"), False), (User("o", "operator"), False),
    (User("root", "admin"), True),
])
def test_users_page_is_for_admins_only(monitor, user, allowed):
    at = AppTest.from_file(str(PAGES / "users.py"), default_timeout=60)
    if user:
        at.session_state["user"] = user
    at.run()
    assert not at.exception
    assert bool(at.dataframe) is allowed
    assert bool(at.warning) is not allowed


def _viewer_page() -> None:
    import streamlit as st

    from monitoring.ui.session import require_page

    st.write(f"wall for {require_page('viewer').username}")


@pytest.mark.parametrize("monitor", ["require_login = true"], indirect=True)
@pytest.mark.parametrize(("kiosk", "shown"), [
    (None, None), ("forged", None), ("valid", "wall for kiosk:sala"),
])
def test_require_login_hides_the_wall_from_anonymous_sessions(monitor, kiosk, shown):
    at = AppTest.from_function(_viewer_page, default_timeout=60)
    if kiosk:
        signer = TokenSigner((SECRET if kiosk == "valid" else "x" * 20).encode())
        at.query_params["kiosk"] = "1"
        at.query_params["token"] = signer.sign("kiosk", "sala",
                                               datetime.now(UTC) + timedelta(days=1))
    at.run()
    assert not at.exception
    if shown:
        assert [m.value for m in at.markdown] == [shown] and not at.warning
    else:
        assert "kiosk link" in at.warning[0].value and not at.markdown


def test_without_require_login_anonymous_sessions_see_the_wall(monitor):
    at = AppTest.from_function(_viewer_page, default_timeout=60).run()
    assert [m.value for m in at.markdown] == ["wall for anonymous"]


def test_an_admin_adds_a_user_and_changes_its_role(monitor):
    from monitoring.users import authenticate

    at = AppTest.from_file(str(PAGES / "users.py"), default_timeout=60)
    at.session_state["user"] = User("root", "admin")
    at.run()
    at.text_input[0].input("marco")
    at.text_input[1].input("Marco B.")
    at.selectbox[0].select("operator")
    at.text_input[2].input("a long password 1")
    at.button[0].click().run()
    assert not at.exception and at.success[0].value == "Saved."
    assert authenticate(monitor.store, "marco", "a long password 1").role == "operator"
    at.selectbox[1].select("marco")
    at.selectbox[2].select("viewer")
    at.button[1].click().run()
    assert authenticate(monitor.store, "marco", "a long password 1").role == "viewer"
    actions = monitor.store.reader().execute(
        "SELECT actor, action, target_id FROM audit_log ORDER BY id").fetchall()
    assert actions == [("root", "user.add", "marco"), ("root", "user.role", "marco")]


def test_a_disabled_or_demoted_account_loses_its_rights_at_the_next_rerun(monitor):
    from monitoring.users import set_disabled, set_role

    root = User("root", "admin")
    add_user(monitor.store, root, "boss", "admin", "correct horse 1", now=datetime.now(UTC),
             rounds=4)
    add_user(monitor.store, root, "anna", "admin", "correct horse 1", now=datetime.now(UTC),
             rounds=4)
    at = AppTest.from_file(str(PAGES / "users.py"), default_timeout=60)
    at.session_state["user"] = User("anna", "admin")
    at.run()
    assert at.dataframe and not at.warning
    set_role(monitor.store, root, "anna", "operator", now=datetime.now(UTC))
    at.run()
    assert not at.dataframe and at.warning and at.session_state["user"].role == "operator"
    set_disabled(monitor.store, root, "anna", True, now=datetime.now(UTC))
    login = AppTest.from_file(str(PAGES / "login.py"), default_timeout=60)
    login.session_state["user"] = User("anna", "operator")
    login.run()
    assert "user" not in login.session_state and login.text_input  # back to the login form
