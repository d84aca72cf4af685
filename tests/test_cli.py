from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["run", "--help"],
                                  ["evaluate", "nab", "--help"], ["bench", "ingest", "--help"]])
def test_help(args):
    out = subprocess.run([sys.executable, "-m", "monitoring", *args], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0 and "usage" in out.stdout


def test_bad_config_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[[streams]]\nid = "X Y"\nname = "x"\nkeywords = ["x"]\n')
    out = subprocess.run([sys.executable, "-m", "monitoring", "demo", "--config", str(p),
                          "--db", str(tmp_path / "d.duckdb")], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 2 and "streams.0.id" in out.stderr and "Traceback" not in out.stderr


def test_bench_ingest_prints_json_lines():
    out = subprocess.run([sys.executable, "-m", "monitoring", "bench", "ingest", "-n", "2000"],
                         capture_output=True, text=True, timeout=120, check=False)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["name"] for r in rows} == {"ingest", "vader_alone", "ingest_vs_vader"}
    assert all(r["value"] > 0 for r in rows)
