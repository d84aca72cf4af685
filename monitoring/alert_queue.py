"""The alert queue and one alert's detail, as the Alerts page shows them.

The page lists alerts by state (open, acknowledged, escalated, resolved, dismissed), opens
one, and acts on it through :mod:`monitoring.actions` and :mod:`monitoring.escalation`;
this module only reads.

Examples
--------
>>> from datetime import datetime
>>> from monitoring.store import Store
>>> store = Store(":memory:")
>>> _ = store.reader().execute(
...     "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
...     "last_bin, updated_at, observed, expected, explanation) VALUES ('lumea', "
...     "'service_incident', 'open', 7, 6.0, '2026-03-02 10:30', '2026-03-02 10:30', "
...     "'2026-03-02 10:40', '2026-03-02 10:40', 40, 6.5, '{}')")
>>> state_counts(store, datetime(2026, 3, 2, 11))
{'open': 1, 'acknowledged': 0, 'escalated': 0, 'resolved': 0, 'dismissed': 0}
>>> alert_queue(store, "open", datetime(2026, 3, 2, 11))["kind"].tolist()
['service_incident']
>>> detail = alert_detail(store, 1, datetime(2026, 3, 2, 11))
>>> detail.context["severity"], len(detail.events)
(7, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from monitoring.actions import ALERT_STATES
from monitoring.escalation import alert_context
from monitoring.store import SQL_ALERT_EVENTS, naive_utc
from monitoring.wall import volume_series

if TYPE_CHECKING:
    from monitoring.config import Settings
    from monitoring.store import Store

__all__ = ["AlertDetail", "alert_detail", "alert_queue", "escalation_targets", "state_counts"]

#: Days of alerts the queue covers.
QUEUE_DAYS = 30
#: Alerts listed per state.
QUEUE_ROWS = 50
#: Minutes of context drawn before the alert's first bin and after its last.
CHART_BEFORE_MINUTES = 90
CHART_AFTER_MINUTES = 30

SQL_ALERT_QUEUE = """
SELECT id, stream, kind, state, severity, opened_at, first_bin, last_bin, closed_at,
       observed, expected
FROM alerts WHERE state = ? AND opened_at >= ?
ORDER BY severity DESC, opened_at DESC
LIMIT ?
"""
SQL_ALERT_STATE_COUNTS = """
SELECT state, count(*) AS n FROM alerts WHERE opened_at >= ? GROUP BY state
"""


def state_counts(store: Store, now: datetime, days: int = QUEUE_DAYS) -> dict[str, int]:
    """How many alerts of the last ``days`` are in each state."""
    rows = dict(store.reader().execute(
        SQL_ALERT_STATE_COUNTS, [naive_utc(now) - timedelta(days=days)]).fetchall())
    return {state: int(rows.get(state, 0)) for state in ALERT_STATES}


def alert_queue(store: Store, state: str, now: datetime, days: int = QUEUE_DAYS,
                limit: int = QUEUE_ROWS) -> pd.DataFrame:
    """Alerts in ``state`` opened in the last ``days``, most severe first."""
    if state not in ALERT_STATES:
        raise ValueError(f"unknown alert state {state!r}; expected one of {ALERT_STATES}")
    return store.reader().execute(
        SQL_ALERT_QUEUE, [state, naive_utc(now) - timedelta(days=days), limit]).df()


@dataclass(frozen=True)
class AlertDetail:
    """One alert as its detail panel shows it.

    Parameters
    ----------
    context : dict
        :func:`monitoring.escalation.alert_context` (masked samples, shares, top terms).
    volume : pd.DataFrame
        The stream's bins around the alert, with the expected band.
    events : pd.DataFrame
        The alert's history (``alert_events``).
    """

    context: dict[str, Any]
    volume: pd.DataFrame
    events: pd.DataFrame

    @property
    def request_share(self) -> float | None:
        return self.context.get("request_share")

    @property
    def opinion_share(self) -> float | None:
        return self.context.get("opinion_share")


def alert_detail(store: Store, alert_id: int, now: datetime) -> AlertDetail:
    """The alert's context, its chart window and its history."""
    cur = store.reader()
    context = alert_context(cur, int(alert_id))
    first = datetime.fromisoformat(context["first_bin"])
    last = datetime.fromisoformat(context["last_bin"])
    start = first - timedelta(minutes=CHART_BEFORE_MINUTES)
    end = min(last + timedelta(minutes=CHART_AFTER_MINUTES), naive_utc(now))
    volume = volume_series(cur, context["stream"], start, max(end, last + timedelta(minutes=1)))
    events = cur.execute(SQL_ALERT_EVENTS, [int(alert_id)]).df()
    events = events[events["event"] != "update"].reset_index(drop=True)
    return AlertDetail(context, volume, events)


def escalation_targets(settings: Settings) -> dict[str, str]:
    """Escalation targets of the settings: ``ladder:<id>`` and ``contact:<id>`` → name.

    >>> from monitoring.config import load_settings
    >>> list(escalation_targets(load_settings()))[:3]
    ['ladder:crisis', 'ladder:service', 'contact:duty-manager']
    """
    targets = {f"ladder:{ladder.id}": ladder.name for ladder in settings.escalation.ladders}
    targets.update({f"contact:{c.id}": c.name for c in settings.contacts})
    return targets
