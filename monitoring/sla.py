"""Service-level targets of requests: when a first response and a resolution are due.

Each department has ``first_response_minutes`` and ``resolution_minutes``.  Without
business hours they are plain elapsed minutes; with ``thresholds.business_hours`` they
count only working time (local time of ``app.timezone``), so a request posted on
Saturday night is due on Monday morning, as a customer-care team measures it.

Examples
--------
>>> from datetime import datetime, time, timezone
>>> from monitoring.config import BusinessHours
>>> cal = SlaCalendar(BusinessHours(start=time(9), end=time(18), weekdays=[0, 1, 2, 3, 4]),
...                   "UTC")
>>> friday_late = datetime(2026, 3, 6, 17, 30, tzinfo=timezone.utc)
>>> cal.due(friday_late, 60).isoformat()            # 30 min on Friday + 30 min on Monday
'2026-03-09T09:30:00+00:00'
>>> SlaCalendar(None, "UTC").due(friday_late, 60).isoformat()
'2026-03-06T18:30:00+00:00'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from monitoring.config import BusinessHours, Department, Settings
from monitoring.models import utc

__all__ = ["SlaCalendar", "TicketDue"]


class SlaCalendar:
    """Adds working minutes to a time, following business hours if any.

    Parameters
    ----------
    hours : BusinessHours | None
        Working days and hours; ``None`` counts every minute.
    timezone : str
        Zone the business hours are expressed in.
    """

    def __init__(self, hours: BusinessHours | None, timezone: str = "Europe/Rome"):
        self.hours = hours
        self.timezone = timezone
        self._tz = ZoneInfo(timezone)
        if hours is not None and (hours.end <= hours.start or not hours.weekdays):
            raise ValueError("business_hours: end must be after start, with at least one "
                             "working weekday")

    def due(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of working time after ``start`` (aware UTC)."""
        start = utc(start)
        if self.hours is None:
            return start + timedelta(minutes=minutes)
        left = timedelta(minutes=minutes)
        local = start.astimezone(self._tz)
        for _ in range(3_700):  # ten years of days: more than any SLA
            day = local.date()
            open_at = datetime.combine(day, self.hours.start, self._tz)
            close_at = datetime.combine(day, self.hours.end, self._tz)
            if day.weekday() in self.hours.weekdays and local < close_at:
                begin = max(local, open_at)
                if begin + left <= close_at:
                    return utc(begin + left)
                left -= close_at - begin
            local = datetime.combine(day + timedelta(days=1), self.hours.start, self._tz)
        raise ValueError(f"SLA of {minutes} minutes does not end within ten years")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between ``start`` and ``end`` (zero if ``end`` is earlier)."""
        start, end = utc(start), utc(end)
        if end <= start:
            return timedelta(0)
        if self.hours is None:
            return end - start
        total = timedelta(0)
        local, stop = start.astimezone(self._tz), end.astimezone(self._tz)
        while local < stop:
            day = local.date()
            open_at = datetime.combine(day, self.hours.start, self._tz)
            close_at = datetime.combine(day, self.hours.end, self._tz)
            if day.weekday() in self.hours.weekdays:
                a, b = max(local, open_at), min(stop, close_at)
                if b > a:
                    total += b - a
            local = datetime.combine(day + timedelta(days=1), time.min, self._tz)
        return total


class TicketDue:
    """Due times of new requests per department, for a batch about to be ingested.

    Examples
    --------
    >>> from monitoring.config import load_settings
    >>> due = TicketDue.from_settings(load_settings())
    >>> frame = pd.DataFrame({"ts": [pd.Timestamp("2026-03-02 10:00")],
    ...                       "category": ["request"], "department": ["billing"]})
    >>> due.add_columns(frame)["first_response_due"].iloc[0]
    Timestamp('2026-03-02 12:00:00')
    """

    def __init__(self, departments: Iterable[Department], calendar: SlaCalendar):
        self.targets: Mapping[str, tuple[float, float]] = {
            d.id: (d.first_response_minutes, d.resolution_minutes) for d in departments
        }
        self.default = next(((d.first_response_minutes, d.resolution_minutes)
                             for d in departments if d.default), (60.0, 480.0))
        self.calendar = calendar

    @classmethod
    def from_settings(cls, settings: Settings) -> TicketDue:
        return cls(settings.departments,
                   SlaCalendar(settings.thresholds.business_hours, settings.app.timezone))

    def targets_of(self, department: str | None) -> tuple[float, float]:
        """``(first_response_minutes, resolution_minutes)`` of a department."""
        return self.targets.get(department or "", self.default)

    def due(self, ts: datetime, department: str | None) -> tuple[datetime, datetime]:
        """Aware UTC due times of a request posted at ``ts`` and routed to ``department``."""
        first, resolve = self.targets_of(department)
        return self.calendar.due(ts, first), self.calendar.due(ts, resolve)

    def add_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Add ``first_response_due`` / ``resolution_due`` (naive UTC) to request rows.

        Other rows get ``NaT``.  Vectorised when there are no business hours.
        """
        out = frame.copy() if len(frame) else frame.assign(
            first_response_due=pd.Series(dtype="datetime64[us]"),
            resolution_due=pd.Series(dtype="datetime64[us]"))
        if not len(frame):
            return out
        is_request = out["category"].eq("request")
        ts = pd.to_datetime(out["ts"])
        if self.calendar.hours is None:
            mins = out["department"].map(lambda d: self.targets_of(d))
            first = pd.to_timedelta(mins.map(lambda t: t[0]), unit="m")
            resolve = pd.to_timedelta(mins.map(lambda t: t[1]), unit="m")
            out["first_response_due"] = (ts + first).where(is_request)
            out["resolution_due"] = (ts + resolve).where(is_request)
            return out
        firsts, resolves = [], []
        for t, dept, req in zip(ts, out["department"], is_request):
            if req:
                a, b = self.due(t.to_pydatetime(), dept)
                firsts.append(a.replace(tzinfo=None))
                resolves.append(b.replace(tzinfo=None))
            else:
                firsts.append(pd.NaT)
                resolves.append(pd.NaT)
        out["first_response_due"] = pd.to_datetime(pd.Series(firsts, index=out.index))
        out["resolution_due"] = pd.to_datetime(pd.Series(resolves, index=out.index))
        return out
