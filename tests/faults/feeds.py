"""Generated input files for the fault-injection suite (no evaluation data involved)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitoring.sources.demo import DemoScenario

#: The demo's scripted events start at this moment (after ``days`` of clean history).
ANCHOR = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def write_replay_file(path: Path, n: int, days: float = 9.0, seed: int = 5) -> int:
    """Write the first ``n`` demo mentions from ``ANCHOR - days`` on as JSONL; rows written.

    The demo's outage and polemic (every six hours from ``ANCHOR``) make detection open
    and close alerts during the replay.
    """
    scenario = DemoScenario(stream="lumea", seed=seed, anchor=ANCHOR, cycle_hours=6)
    t, rows = ANCHOR - timedelta(days=days), 0
    with path.open("w", encoding="utf-8") as fh:
        while rows < n:
            for m in scenario.generate(t, t + timedelta(hours=6)):
                if rows == n:
                    break
                fh.write(json.dumps({"id": m.source_id, "ts": m.ts.isoformat(),
                                     "author": m.author, "text": m.text,
                                     "author_reach": m.author_reach, "lang": m.lang_hint},
                                    ensure_ascii=False) + "\n")
                rows += 1
            t += timedelta(hours=6)
    return rows
