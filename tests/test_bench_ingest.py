from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.parametrize("clock", ["wall", "cpu"])
def test_bench_ingest_reports_rates_and_their_ratio(clock: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "monitoring", "bench", "ingest", "-n", "600", "--batch", "250",
         "--repeat", "1", "--clock", clock],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in map(json.loads, out.stdout.splitlines())}
    assert set(rows) == {"ingest", "vader_alone", "ingest_vs_vader"}
    assert rows["ingest"]["n"] == 600 and rows["ingest"]["clock"] == clock
    assert rows["ingest"]["unit"] == rows["vader_alone"]["unit"] == "mentions/s"
    ratio = rows["ingest"]["value"] / rows["vader_alone"]["value"]
    assert rows["ingest_vs_vader"]["value"] == pytest.approx(ratio, rel=0.01, abs=0.002)


def test_bench_ingest_rejects_an_unknown_clock() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "monitoring", "bench", "ingest", "--clock", "sundial"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert out.returncode == 2 and "invalid choice" in out.stderr
