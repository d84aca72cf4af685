"""A paid read budget per UTC day and month (X bills every post read).

The counters live in the source's cursor, so they are saved with the mentions they paid
for and survive restarts.  :meth:`ReadBudget.allowance` says how many reads the next
request may use; at zero the source stops polling until the period that ran out
starts again, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring.models import utc


@dataclass(slots=True)
class ReadBudget:
    """Reads allowed and used in the current UTC day and month (``None``: no limit).

    Examples
    --------
    >>> b = ReadBudget(day_limit=100, month_limit=1_000)
    >>> now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    >>> b.spend(95, now); b.allowance(now)
    5
    >>> b.exhausted_detail(now, minimum=10)
    'read budget of 100 posts per day reached (95 read); polling resumes at 2026-03-03 00:00 UTC'
    >>> b.allowance(now + timedelta(hours=2))  # a new day
    100
    >>> b.used_and_limit(now + timedelta(hours=2))
    (0, 100)
    """

    day_limit: int | None = None
    month_limit: int | None = None
    day: str = ""
    day_used: int = 0
    month: str = ""
    month_used: int = 0

    def _roll(self, now: datetime) -> None:
        now = utc(now)
        day, month = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")
        if self.day != day:
            self.day, self.day_used = day, 0
        if self.month != month:
            self.month, self.month_used = month, 0

    def allowance(self, now: datetime) -> int | None:
        """Reads still allowed now (``None`` when there is no limit)."""
        self._roll(now)
        left = [lim - used for lim, used in ((self.day_limit, self.day_used),
                                             (self.month_limit, self.month_used)) if lim]
        return max(0, min(left)) if left else None

    def spend(self, reads: int, now: datetime) -> None:
        self._roll(now)
        self.day_used += reads
        self.month_used += reads

    def resumes_at(self, now: datetime, minimum: int = 1) -> datetime:
        """When enough reads are allowed again: the next day, or the next month."""
        now = utc(now)
        tomorrow = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        month_left = (self.month_limit - self.month_used) if self.month_limit else None
        if month_left is not None and month_left < minimum:
            year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
            return datetime(year, month, 1, tzinfo=UTC)
        return tomorrow

    def exhausted_detail(self, now: datetime, minimum: int = 1) -> str:
        self._roll(now)
        month_out = self.month_limit and self.month_limit - self.month_used < minimum
        period, limit, used = (("month", self.month_limit, self.month_used) if month_out
                               else ("day", self.day_limit, self.day_used))
        return (f"read budget of {limit} posts per {period} reached ({used} read); polling "
                f"resumes at {self.resumes_at(now, minimum):%Y-%m-%d %H:%M} UTC")

    def used_and_limit(self, now: datetime) -> tuple[int, int] | None:
        """``(used, limit)`` of the period closest to its limit, for the health indicator."""
        self._roll(now)
        periods = [(lim - used, used, lim) for lim, used in ((self.day_limit, self.day_used),
                                                            (self.month_limit, self.month_used))
                   if lim]
        if not periods:
            return None
        _, used, limit = min(periods)
        return used, limit

    def state(self) -> dict[str, Any]:
        return {"day": self.day, "day_used": self.day_used, "month": self.month,
                "month_used": self.month_used}

    def load(self, state: dict[str, Any]) -> None:
        self.day = str(state.get("day", ""))
        self.day_used = int(state.get("day_used", 0))
        self.month = str(state.get("month", ""))
        self.month_used = int(state.get("month_used", 0))
