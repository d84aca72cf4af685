"""Source freshness: what the wall's indicator and the settings page show per source.

The monitor records every fetch in the ``source_health`` table; :func:`freshness` turns
those rows into one :class:`Freshness` per configured source with a colour a room can
read: green (fed recently), orange (waiting on a rate limit), red (silent for longer
than ``app.silent_after_minutes``, failing, or out of its read budget), grey (not
configured or never fetched yet).  A rate-limit wait that ended longer than the silence
threshold ago without a successful fetch since also turns red, and a paid read budget
(``budget_used``/``budget_limit`` of ``Store.source_status()``) is added to the detail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from monitoring.config import SourceConfig
    from monitoring.i18n import Translator

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


def freshness(health: pd.DataFrame | Sequence[Mapping], now: datetime,
              silent_after_minutes: float,
              sources: Sequence[SourceConfig] | Sequence[str] = ()) -> list[Freshness]:
    """One :class:`Freshness` per source (configured ones first, in config order).

    ``health`` is ``Store.source_health()`` or its rows as mappings; ``now`` is UTC
    (aware or naive).

    >>> h = pd.DataFrame([{"source": "rss", "state": "ok", "last_success": datetime(2026, 1, 1),
    ...                    "last_error": None, "detail": ""}])
    >>> [f.colour for f in freshness(h, datetime(2026, 1, 1, 0, 5), 15, ["rss", "x"])]
    ['green', 'grey']
    >>> freshness(h, datetime(2026, 1, 1, 1, 0), 15, ["rss"])[0].state
    'silent'
    """
    now = now.replace(tzinfo=None) if now.tzinfo is None else \
        (now - now.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]
    records = health.to_dict("records") if isinstance(health, pd.DataFrame) else health
    rows = {r["source"]: r for r in records}
    names = [s if isinstance(s, str) else s.name for s in sources] or list(rows)
    names += [n for n in rows if n not in names]
    out: list[Freshness] = []
    for name in names:
        row = rows.get(name)
        if row is None:
            out.append(Freshness(name, "waiting", "grey", None, ""))
            continue
        state = str(row.get("state") or "ok")
        last = _time(row.get("last_success"))
        if state == "ok":
            detail = str(row.get("detail") or "")
        else:
            detail = str(row.get("last_error") or row.get("detail") or "")
        silent_for = timedelta(minutes=silent_after_minutes)
        if state == "ok" and (last is None or now - last > silent_for):
            state = "silent"
        waited = _time(row.get("rate_limited_until"))
        if state == "rate_limited" and waited is not None and now - waited > silent_for:
            state = "silent"  # the wait is long over and nothing came in since
        budget = _budget(row)
        if budget and budget not in detail:
            detail = f"{detail} ({budget})" if detail else budget
        colour = "red" if state in RED_STATES else _COLOURS.get(state, "red")
        out.append(Freshness(name, state, colour, last, detail))
    return out


def _time(value: object) -> datetime | None:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    return pd.Timestamp(value).to_pydatetime()  # type: ignore[arg-type]


def _budget(row: dict) -> str:
    """``"read budget 120/500"`` when the source has a paid read budget, else ``""``."""
    used, limit = row.get("budget_used"), row.get("budget_limit")
    if used is None or limit is None or pd.isna(used) or pd.isna(limit):
        return ""
    return f"read budget {int(used)}/{int(limit)}"


#: Columns of :func:`status_table` (message keys ``source.col.<name>``).
STATUS_COLUMNS = ("source", "state", "last_success", "detail", "items_fetched",
                  "consecutive_failures", "next_attempt_at", "last_item_at")


def status_table(status: pd.DataFrame, now: datetime, silent_after_minutes: float,
                 sources: Sequence[SourceConfig] | Sequence[str], tr: Translator
                 ) -> pd.DataFrame:
    """The per-source health for the settings page, translated, one row per source.

    ``status`` is ``Store.source_status()``; times are shown in the translator's zone.

    >>> from monitoring.i18n import Translator
    >>> h = pd.DataFrame([{"source": "rss", "state": "ok", "last_success": datetime(2026, 1, 1),
    ...                    "items_fetched": 12, "detail": ""}])
    >>> t = status_table(h, datetime(2026, 1, 1, 0, 5), 15, ["rss", "x"], Translator("en", "UTC"))
    >>> t.iloc[:, :2].values.tolist()
    [['rss', 'feeding'], ['x', 'waiting for data']]
    """
    rows = {r["source"]: r for r in status.to_dict("records")} if len(status) else {}
    out = []
    for f in freshness(status, now, silent_after_minutes, sources):
        row = rows.get(f.source, {})
        out.append({
            "source": f.source,
            "state": tr(f"source.state.{f.state}"),
            "last_success": _shown(f.last_success, tr),
            "detail": f.detail,
            "items_fetched": int(row.get("items_fetched") or 0),
            "consecutive_failures": int(_number(row.get("consecutive_failures"))),
            "next_attempt_at": _shown(_time(row.get("next_attempt_at")), tr),
            "last_item_at": _shown(_time(row.get("last_item_at")), tr),
        })
    frame = pd.DataFrame(out, columns=list(STATUS_COLUMNS))
    return frame.rename(columns={c: tr(f"source.col.{c}") for c in STATUS_COLUMNS})


def _shown(ts: datetime | None, tr: Translator) -> str:
    return tr.datetime(ts) if ts is not None else ""


def _number(value: object) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]
