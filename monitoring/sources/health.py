"""Source freshness: what the wall's indicator and the settings page show per source.

The monitor records every fetch in the ``source_health`` table; :func:`freshness` turns
those rows into one :class:`Freshness` per configured source with a colour a room can
read: green (fed recently), orange (waiting on a rate limit), red (silent for longer
than ``app.silent_after_minutes``, failing, or out of its read budget), grey (not
configured or never fetched yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from monitoring.config import SourceConfig

#: Health states that turn the indicator red.
RED_STATES = frozenset({"failing", "silent", "budget_exhausted"})
_COLOURS = {"ok": "green", "rate_limited": "orange", "not_configured": "grey",
            "waiting": "grey"}


@dataclass(frozen=True, slots=True)
class Freshness:
    """The freshness of one source at one moment.

    >>> Freshness("x", "ok", "green", None, "").is_red
    False
    """

    source: str
    state: str
    colour: str
    last_success: datetime | None
    detail: str

    @property
    def is_red(self) -> bool:
        return self.colour == "red"


def freshness(health: pd.DataFrame, now: datetime, silent_after_minutes: float,
              sources: Sequence[SourceConfig] | Sequence[str] = ()) -> list[Freshness]:
    """One :class:`Freshness` per source (configured ones first, in config order).

    ``health`` is ``Store.source_health()``; ``now`` is UTC (aware or naive).

    >>> h = pd.DataFrame([{"source": "rss", "state": "ok", "last_success": datetime(2026, 1, 1),
    ...                    "last_error": None, "detail": ""}])
    >>> [f.colour for f in freshness(h, datetime(2026, 1, 1, 0, 5), 15, ["rss", "x"])]
    ['green', 'grey']
    >>> freshness(h, datetime(2026, 1, 1, 1, 0), 15, ["rss"])[0].state
    'silent'
    """
    now = now.replace(tzinfo=None) if now.tzinfo is None else \
        (now - now.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]
    rows = {r["source"]: r for r in health.to_dict("records")} if len(health) else {}
    names = [s if isinstance(s, str) else s.name for s in sources] or list(rows)
    names += [n for n in rows if n not in names]
    out: list[Freshness] = []
    for name in names:
        row = rows.get(name)
        if row is None:
            out.append(Freshness(name, "waiting", "grey", None, ""))
            continue
        state = str(row.get("state") or "ok")
        last = row.get("last_success")
        last = None if last is None or pd.isna(last) else pd.Timestamp(last).to_pydatetime()
        detail = str(row.get("last_error") or row.get("detail") or "")
        if state == "ok" and (last is None or now - last > timedelta(minutes=silent_after_minutes)):
            state = "silent"
        colour = "red" if state in RED_STATES else _COLOURS.get(state, "red")
        out.append(Freshness(name, state, colour, last, detail))
    return out
