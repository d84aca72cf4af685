"""Users, roles and the server-side permission check every state-changing action makes.

Three roles, each including the ones before it:

* ``viewer``   – reads the wall (a kiosk token lets an unattended screen do so);
* ``operator`` – works alerts and the inbox: acknowledge, escalate, assign, respond, label;
* ``admin``    – changes settings and users.

Pages may hide buttons a user cannot use, but that is only a courtesy: every function in
:mod:`monitoring.actions` (and the other modules that change state) calls :func:`require`
first, so a viewer cannot escalate even by calling the function directly.

Examples
--------
>>> op = User("anna", "operator")
>>> require(op, "operator").username
'anna'
>>> require(op, "admin")
Traceback (most recent call last):
...
monitoring.auth.PermissionDenied: anna (operator) may not do this: admin role required
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["viewer", "operator", "admin"]

#: Roles from least to most privileged; a role may do everything the ones before it may.
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


class PermissionDenied(PermissionError):
    """The user's role does not allow the action (or nobody is logged in)."""


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated user (or the monitor itself, :data:`SYSTEM`).

    Parameters
    ----------
    username : str
        Login name; what the audit log records as the actor.
    role : Role
        ``viewer``, ``operator`` or ``admin``.
    display_name : str
        Name shown in the UI (defaults to the username).
    """

    username: str
    role: Role
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def can(self, role: Role) -> bool:
        """Whether this user has at least ``role``.

        >>> User("v", "viewer").can("operator"), User("a", "admin").can("operator")
        (False, True)
        """
        return ROLES.index(self.role) >= ROLES.index(role)


#: The monitor's own automatic actions (auto-escalation, ladder, detector closes).
SYSTEM = User("system", "admin", "Sentinella")


def require(user: User | None, role: Role) -> User:
    """Return ``user`` if it has at least ``role``; raise :class:`PermissionDenied` otherwise."""
    if user is None:
        raise PermissionDenied(f"log in first: {role} role required")
    if not user.can(role):
        raise PermissionDenied(
            f"{user.username} ({user.role}) may not do this: {role} role required"
        )
    return user
