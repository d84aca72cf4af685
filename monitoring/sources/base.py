"""The source protocol every collector implements.

A source is asked for what is new since its saved cursor and answers with normalised
mentions, the cursor to save *in the same transaction* as those mentions, and the
items it had to reject (kept in the quarantine table with the reason).  Sources never
write to the store themselves: the Monitor does, so a crash can neither lose nor
duplicate a mention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from monitoring.models import Mention


@dataclass(slots=True)
class Rejected:
    """One input item a source could not normalise.

    >>> Rejected(payload='{"id": 1', reason="truncated JSON").reason
    'truncated JSON'
    """

    payload: str
    reason: str


@dataclass(slots=True)
class FetchResult:
    """What one ``fetch`` call returns.

    Parameters
    ----------
    mentions : list[Mention]
        Normalised mentions, in any order (duplicates are removed by the store).
    cursor : str | None
        Opaque position to resume from; saved with the mentions in one transaction.
    rejected : list[Rejected]
        Items quarantined with their reason.
    exhausted : bool
        True when a finite source (file, replay) has nothing more to give.
    progress : tuple[int, int] | None
        ``(done, total)`` for finite sources, for progress bars.
    state : str
        Health state after this fetch: ``"ok"``, or ``"rate_limited"`` /
        ``"budget_exhausted"`` when the source stopped early but keeps what it got.
    retry_after : float | None
        Seconds to wait before the next fetch (rate limit, exhausted budget).
    detail : str
        Human-readable note for the health indicator (never a credential).
    budget : tuple[int, int] | None
        ``(used, limit)`` of a paid read budget in the current period.

    Examples
    --------
    >>> FetchResult([], "42").exhausted
    False
    """

    mentions: list[Mention]
    cursor: str | None
    rejected: list[Rejected] = field(default_factory=list)
    exhausted: bool = False
    progress: tuple[int, int] | None = None
    state: str = "ok"
    retry_after: float | None = None
    detail: str = ""
    budget: tuple[int, int] | None = None


class SourceError(Exception):
    """A source failed as a whole (network, credentials, rate limit).

    ``retry_after`` (seconds) is set when the source knows when to try again.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, state: str = "failing"):
        super().__init__(message)
        self.retry_after = retry_after
        self.state = state


@runtime_checkable
class Source(Protocol):
    """Protocol of a collector: ``fetch(cursor, now) -> FetchResult``."""

    name: str

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:  # pragma: no cover
        ...


def load_json_cursor(cursor: str | None, name: str) -> dict[str, Any]:
    """A cursor saved as a JSON object ({} when there is none yet).

    >>> load_json_cursor('{"a": 1}', "rss"), load_json_cursor(None, "rss")
    ({'a': 1}, {})
    >>> load_json_cursor("{oops", "rss")
    Traceback (most recent call last):
    ...
    monitoring.sources.base.SourceError: rss: unreadable cursor '{oops'
    """
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError:
        raise SourceError(f"{name}: unreadable cursor {cursor[:40]!r}") from None
    return value if isinstance(value, dict) else {}
