"""Dashboard accounts: the ``users`` table, bcrypt password hashes, admin operations.

Passwords are stored only as salted bcrypt hashes.  Every change (add, role, password,
disable, enable) requires the *admin* role on the server side — a user may also change
their own password — and appends an audit row (never the password) in the same
transaction.  The last active admin can be neither demoted nor disabled, so an
installation cannot lock itself out.

Examples
--------
>>> from datetime import datetime
>>> from monitoring.auth import User
>>> from monitoring.store import Store
>>> store, root = Store(":memory:"), User("root", "admin")
>>> add_user(store, root, "anna", "operator", "correct horse 1", now=datetime(2026, 3, 2),
...          rounds=4).role
'operator'
>>> authenticate(store, "anna", "correct horse 1")
User(username='anna', role='operator', display_name='anna')
>>> authenticate(store, "anna", "wrong password") is None
True
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import bcrypt
import pandas as pd

from monitoring.auth import ROLES, User, require
from monitoring.store import Store, naive_utc

__all__ = [
    "DEMO_ACCOUNTS",
    "UserError",
    "add_demo_accounts",
    "add_user",
    "authenticate",
    "hash_password",
    "list_users",
    "login",
    "set_disabled",
    "set_password",
    "set_role",
    "user_by_email",
]

#: bcrypt cost factor of new hashes (2**12 rounds, ~0.25 s on this machine class).
BCRYPT_ROUNDS = 12
MIN_PASSWORD_CHARS = 10
#: Failed logins of one username that lock it for :data:`LOCKOUT_MINUTES`.
MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
#: bcrypt reads at most 72 bytes; longer passwords are refused rather than truncated.
MAX_PASSWORD_BYTES = 72

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
# Checked when the user does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"no such user", bcrypt.gensalt(4))

SQL_INSERT_USER = """
INSERT INTO users (username, display_name, role, password_hash, email, created_at, disabled)
VALUES (?, ?, ?, ?, ?, ?, false)
"""
SQL_USER = """
SELECT username, display_name, role, password_hash, email, disabled FROM users WHERE username = ?
"""
SQL_USER_BY_EMAIL = """
SELECT username, display_name, role FROM users
WHERE lower(email) = lower(?) AND NOT disabled ORDER BY username LIMIT 1
"""
SQL_USERS = """
SELECT username, display_name, role, email, created_at, disabled FROM users ORDER BY username
"""
SQL_RECENT_FAILURES = """
SELECT count(*) FROM audit_log
WHERE action = 'user.login_failed' AND target_type = 'user' AND target_id = ? AND ts >= ?
"""
SQL_SET_PASSWORD = "UPDATE users SET password_hash = ? WHERE username = ?"
SQL_SET_ROLE = "UPDATE users SET role = ? WHERE username = ?"
SQL_SET_DISABLED = "UPDATE users SET disabled = ? WHERE username = ?"
SQL_OTHER_ADMINS = """
SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled AND username <> ?
"""


class UserError(ValueError):
    """The account change is not possible (bad name or password, unknown user...)."""


def hash_password(password: str, rounds: int | None = None) -> str:
    """A salted bcrypt hash of ``password`` (checked for length first)."""
    data = (password or "").encode("utf-8")
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise UserError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(data) > MAX_PASSWORD_BYTES:
        raise UserError(f"the password must be at most {MAX_PASSWORD_BYTES} bytes long")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds or BCRYPT_ROUNDS)).decode("ascii")


def _check(password: str, hashed: str | None) -> bool:
    data = (password or "").encode("utf-8")
    if not hashed or len(data) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(b"x", _DUMMY_HASH)
        return False
    return bcrypt.checkpw(data, hashed.encode("ascii"))


def _row(store: Store, username: str) -> tuple | None:
    rows = store.reader().execute(SQL_USER, [username]).fetchall()
    return rows[0] if rows else None


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the name and password match an enabled account; ``None`` otherwise."""
    row = _row(store, (username or "").strip().lower()[:64])
    if row is None:
        _check(password, None)
        return None
    name, display, role, hashed, _, disabled = row
    if not _check(password, hashed) or disabled:
        return None
    return User(name, role, display or name)


def login(store: Store, username: str, password: str, *, now: datetime) -> User | None:
    """:func:`authenticate` for the login form: audited, and throttled per username.

    After :data:`MAX_FAILED_LOGINS` failures within :data:`LOCKOUT_MINUTES` the name is
    refused without checking the password until the window has passed.
    """
    name = (username or "").strip().lower()[:64]
    t = naive_utc(now)
    failures = store.reader().execute(
        SQL_RECENT_FAILURES, [name, t - timedelta(minutes=LOCKOUT_MINUTES)]).fetchall()[0][0]
    user = None if failures >= MAX_FAILED_LOGINS else authenticate(store, name, password)
    with store.transaction() as cur:
        store.audit(cur, name or "?", "user.login" if user else "user.login_failed", "user",
                    name, {"locked": failures >= MAX_FAILED_LOGINS} if not user else {}, now)
    return user


def user_by_email(store: Store, email: str) -> User | None:
    """The enabled account with this e-mail (an OIDC login maps to it); ``None`` if none."""
    rows = store.reader().execute(SQL_USER_BY_EMAIL, [(email or "")[:320]]).fetchall()
    return User(rows[0][0], rows[0][2], rows[0][1] or rows[0][0]) if rows else None


def list_users(store: Store) -> pd.DataFrame:
    """Every account, without password hashes."""
    return store.reader().execute(SQL_USERS).df()


def _role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def add_user(store: Store, actor: User, username: str, role: str, password: str, *,
             now: datetime, display_name: str | None = None, email: str | None = None,
             rounds: int | None = None) -> User:
    """Create an account (admin only)."""
    require(actor, "admin")
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise UserError("a username is 2-64 lowercase letters, digits, '.', '_', '@' or '-'")
    hashed = hash_password(password, rounds)
    display = (display_name or "").strip()[:100] or name
    with store.transaction() as cur:
        if cur.execute(SQL_USER, [name]).fetchall():
            raise UserError(f"the user {name!r} already exists")
        cur.execute(SQL_INSERT_USER, [name, display, _role(role), hashed,
                                      (email or "").strip()[:320] or None, naive_utc(now)])
        store.audit(cur, actor.username, "user.add", "user", name, {"role": role}, now)
    return User(name, role, display)  # type: ignore[arg-type]


#: The demo's accounts: one per role.
DEMO_ACCOUNTS = (("admin", "admin", "Admin"), ("anna", "operator", "Anna (operatrice)"),
                 ("wall", "viewer", "Sala crisi"))


def add_demo_accounts(store: Store, actor: User, *, now: datetime,
                      rounds: int | None = None) -> dict[str, str]:
    """Create :data:`DEMO_ACCOUNTS` with random passwords, returned once (admin only).

    Refused when any account already exists, so it can never reset a real installation.
    """
    import secrets

    require(actor, "admin")
    if len(list_users(store)):
        raise UserError("accounts already exist: demo accounts are only for an empty database")
    passwords = {}
    for name, role, display in DEMO_ACCOUNTS:
        passwords[name] = secrets.token_urlsafe(12)
        add_user(store, actor, name, role, passwords[name], now=now, display_name=display,
                 rounds=rounds)
    return passwords


def _change(store: Store, actor: User, username: str, sql: str, value: object, action: str,
            detail: dict, now: datetime, *, keeps_admin: bool) -> None:
    with store.transaction() as cur:
        rows = cur.execute(SQL_USER, [username]).fetchall()
        if not rows:
            raise UserError(f"no user {username!r}")
        was_admin = rows[0][2] == "admin" and not rows[0][5]
        if was_admin and not keeps_admin and not cur.execute(
                SQL_OTHER_ADMINS, [username]).fetchall()[0][0]:
            raise UserError(f"{username!r} is the last active admin")
        cur.execute(sql, [value, username])
        store.audit(cur, actor.username, action, "user", username, detail, now)


def set_role(store: Store, actor: User, username: str, role: str, *, now: datetime) -> None:
    """Change an account's role (admin only; the last admin keeps theirs)."""
    require(actor, "admin")
    _change(store, actor, username, SQL_SET_ROLE, _role(role), "user.role", {"role": role},
            now, keeps_admin=role == "admin")


def set_disabled(store: Store, actor: User, username: str, disabled: bool, *,
                 now: datetime) -> None:
    """Disable (or enable again) an account (admin only; never the last admin)."""
    require(actor, "admin")
    _change(store, actor, username, SQL_SET_DISABLED, bool(disabled),
            "user.disable" if disabled else "user.enable", {}, now, keeps_admin=not disabled)


def set_password(store: Store, actor: User, username: str, password: str, *, now: datetime,
                 rounds: int | None = None) -> None:
    """Set a new password (admin, or the user themselves)."""
    if actor is None or actor.username != username:
        require(actor, "admin")
    hashed = hash_password(password, rounds)
    _change(store, actor, username, SQL_SET_PASSWORD, hashed, "user.password", {}, now,
            keeps_admin=True)
