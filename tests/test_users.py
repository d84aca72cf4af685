from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest

from monitoring import users
from monitoring.auth import PermissionDenied, User
from monitoring.users import UserError, add_user, authenticate, set_disabled, set_password, set_role

NOW = datetime(2026, 3, 2, 9, 0)
ROOT = User("root", "admin")
PW = "correct horse battery"


@pytest.fixture
def accounts(fresh_db, monkeypatch):
    monkeypatch.setattr(users, "BCRYPT_ROUNDS", 4)  # real bcrypt, cheap cost factor
    add_user(fresh_db, ROOT, "boss", "admin", PW, now=NOW)
    add_user(fresh_db, ROOT, "anna", "operator", PW, now=NOW, display_name="Anna R.")
    add_user(fresh_db, ROOT, "wall", "viewer", PW, now=NOW)
    return fresh_db


@pytest.mark.parametrize(("username", "password", "expected"), [
    ("anna", PW, "operator"),
    ("ANNA ", PW, "operator"),
    ("anna", PW + "x", None),
    ("anna", "", None),
    ("anna", "ü" * 100, None),
    ("nobody", PW, None),
    ("", "", None),
])
def test_only_the_right_password_logs_in(accounts, username, password, expected):
    user = authenticate(accounts, username, password)
    assert (user.role if user else None) == expected


def test_passwords_are_stored_only_as_salted_hashes(accounts):
    hashes = [h for (h,) in accounts.reader().execute(
        "SELECT password_hash FROM users").fetchall()]
    assert all(h.startswith("$2b$04$") and PW not in h for h in hashes)
    assert len(set(hashes)) == 3  # same password, different salts
    assert "password_hash" not in users.list_users(accounts).columns


@pytest.mark.parametrize("actor", [User("wall", "viewer"), User("anna", "operator"), None])
@pytest.mark.parametrize("change", [
    lambda s, a: add_user(s, a, "mallory", "admin", PW, now=NOW),
    lambda s, a: set_role(s, a, "anna", "admin", now=NOW),
    lambda s, a: set_disabled(s, a, "boss", True, now=NOW),
    lambda s, a: set_password(s, a, "boss", "new password 123", now=NOW),
])
def test_only_admins_change_accounts_even_calling_the_functions(accounts, actor, change):
    before = users.list_users(accounts).to_dict("records")
    audit = accounts.reader().execute("SELECT count(*) FROM audit_log").fetchall()
    with pytest.raises(PermissionDenied):
        change(accounts, actor)
    assert users.list_users(accounts).to_dict("records") == before
    assert accounts.reader().execute("SELECT count(*) FROM audit_log").fetchall() == audit
    assert authenticate(accounts, "boss", PW) is not None


def test_admin_changes_are_audited_and_take_effect(accounts):
    set_role(accounts, ROOT, "wall", "operator", now=NOW)
    set_password(accounts, User("anna", "operator"), "anna", "a new password 1", now=NOW)
    set_disabled(accounts, ROOT, "wall", True, now=NOW)
    assert authenticate(accounts, "anna", "a new password 1").display_name == "Anna R."
    assert authenticate(accounts, "anna", PW) is None
    assert authenticate(accounts, "wall", PW) is None  # disabled
    set_disabled(accounts, ROOT, "wall", False, now=NOW)
    assert authenticate(accounts, "wall", PW).role == "operator"
    rows = accounts.reader().execute(
        "SELECT actor, action, target_id, detail FROM audit_log ORDER BY id").fetchall()
    assert [r[1] for r in rows] == ["user.add"] * 3 + [
        "user.role", "user.password", "user.disable", "user.enable"]
    assert rows[4][0] == "anna" and all(PW not in (r[3] or "") for r in rows)


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: set_role(s, ROOT, "boss", "viewer", now=NOW), "last active admin"),
    (lambda s: set_disabled(s, ROOT, "boss", True, now=NOW), "last active admin"),
    (lambda s: add_user(s, ROOT, "anna", "viewer", PW, now=NOW), "already exists"),
    (lambda s: add_user(s, ROOT, "x y", "viewer", PW, now=NOW), "username"),
    (lambda s: add_user(s, ROOT, "bob", "boss", PW, now=NOW), "unknown role"),
    (lambda s: add_user(s, ROOT, "bob", "viewer", "short", now=NOW), "at least 10"),
    (lambda s: add_user(s, ROOT, "bob", "viewer", "é" * 40, now=NOW), "at most 72 bytes"),
    (lambda s: set_role(s, ROOT, "ghost", "viewer", now=NOW), "no user"),
])
def test_refused_account_changes(accounts, change, message):
    with pytest.raises(UserError, match=message):
        change(accounts)


def test_cli_adds_lists_and_changes_users(tmp_path):
    db = str(tmp_path / "u.duckdb")
    base = [sys.executable, "-m", "monitoring", "user"]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([*base, *args, "--db", db], input=stdin, text=True,
                              capture_output=True, timeout=120, check=False)

    assert run("add", "anna", "--role", "operator", "--password-stdin",
               stdin=PW + "\n").returncode == 0
    assert run("role", "anna", "--role", "admin").returncode == 0
    listed = run("list")
    assert "anna" in listed.stdout and "admin" in listed.stdout and PW not in listed.stdout
    refused = run("add", "bob", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert refused.returncode == 2 and "at least 10" in refused.stderr
    last = run("disable", "anna")
    assert last.returncode == 2 and "last active admin" in last.stderr
    from monitoring.store import Store

    store = Store(db)
    assert authenticate(store, "anna", PW).role == "admin"
    actors = {a for (a,) in store.reader().execute("SELECT actor FROM audit_log").fetchall()}
    store.close()
    assert all(a.startswith("cli:") for a in actors)


def test_login_is_audited_and_locks_a_name_after_repeated_failures(accounts):
    from datetime import timedelta

    from monitoring.users import LOCKOUT_MINUTES, MAX_FAILED_LOGINS, login

    assert login(accounts, "anna", PW, now=NOW).role == "operator"
    for i in range(MAX_FAILED_LOGINS):
        assert login(accounts, "anna", f"guess number {i}", now=NOW) is None
    assert login(accounts, "anna", PW, now=NOW) is None  # locked, even with the password
    assert login(accounts, "boss", PW, now=NOW).role == "admin"  # other names unaffected
    later = NOW + timedelta(minutes=LOCKOUT_MINUTES, seconds=1)
    assert login(accounts, "anna", PW, now=later).role == "operator"
    actions = [a for (a,) in accounts.reader().execute(
        "SELECT action FROM audit_log WHERE target_id = 'anna' AND action LIKE 'user.login%' "
        "ORDER BY id").fetchall()]
    assert actions == ["user.login"] + ["user.login_failed"] * (MAX_FAILED_LOGINS + 1) + [
        "user.login"]
    details = accounts.reader().execute("SELECT detail FROM audit_log").fetchall()
    assert all("guess number" not in d and PW not in d for (d,) in details)


def test_cli_demo_accounts_once_per_database(tmp_path):
    db = str(tmp_path / "demo.duckdb")
    cmd = [sys.executable, "-m", "monitoring", "user", "demo", "--db", db]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    passwords = dict(line.split("\t") for line in done.stdout.splitlines())
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 2 and "already exist" in again.stderr
    from monitoring.store import Store

    store = Store(db)
    roles = {name: authenticate(store, name, pw).role for name, pw in passwords.items()}
    store.close()
    assert roles == {"admin": "admin", "anna": "operator", "wall": "viewer"}
