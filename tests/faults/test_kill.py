"""SIGKILL ``python -m monitoring replay`` (ingest + detection) at random moments, then finish.

Whatever the moment of the kill, the final database must hold every mention once, a
rollup equal to a recount from the mentions, the cursor at the end of the file, and the
same alerts as an uninterrupted replay (never two open alerts of one stream and kind).
Delivery is not part of a replay (a replay of history must not notify anybody): kills
during delivery are in ``test_kill_delivery.py``.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.support import check_exact, write_replay_file


def _replay_cmd(src: Path, db: Path, batch: int) -> list[str]:
    return [sys.executable, "-m", "monitoring", "replay", str(src), "--db", str(db),
            "--stream", "lumea", "--batch", str(batch)]


def _kill_and_finish(cmd: list[str], kills: int, seed: int, window: tuple[float, float]) -> int:
    """Start ``cmd``, SIGKILL it after a random delay ``kills`` times, then run it to the end."""
    rng = random.Random(seed)
    killed = 0
    for _ in range(kills):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(*window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    subprocess.run(cmd, check=True, timeout=600, capture_output=True)
    return killed


def _run(tmp_path: Path, rows: int, kills: int, batch: int, window: tuple[float, float],
         days: float = 9.0) -> None:
    src = tmp_path / "feed.jsonl"
    assert write_replay_file(src, rows, days=days) == rows
    reference_db, killed_db = tmp_path / "reference.duckdb", tmp_path / "killed.duckdb"
    subprocess.run(_replay_cmd(src, reference_db, batch), check=True, timeout=600,
                   capture_output=True)
    reference = check_exact(reference_db, rows)
    assert reference, "the feed should make detection open alerts"
    killed = _kill_and_finish(_replay_cmd(src, killed_db, batch), kills, seed=rows,
                              window=window)
    assert killed >= kills // 2
    assert check_exact(killed_db, rows) == reference


def test_sigkill_during_replay_with_detection_is_exact(tmp_path):
    _run(tmp_path, rows=4_000, kills=4, batch=400, window=(2.0, 5.0), days=1.0)


@pytest.mark.long
@pytest.mark.timeout(1800)
def test_20_sigkills_during_50k_replay_with_detection_is_exact(tmp_path):
    _run(tmp_path, rows=50_000, kills=20, batch=1_000, window=(2.0, 9.0))
