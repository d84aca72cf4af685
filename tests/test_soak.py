from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from monitoring.__main__ import build_parser
from monitoring.soak import rss_mb

# A parent holding 80 MiB that starts a child holding 40 MiB, then waits.
PARENT = ("import subprocess, sys, time; b = bytearray(80 * 2**20); "
          "c = subprocess.Popen([sys.executable, '-c', 'import time; x = bytearray(40 * 2**20);"
          " print(1, flush=True); time.sleep(60)'], stdout=subprocess.PIPE); c.stdout.readline();"
          " print('ready', flush=True); time.sleep(60)")


def test_rss_counts_the_process_and_its_children():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        own = psutil.Process(parent.pid).memory_info().rss / 2**20
        assert own > 80
        assert rss_mb(parent.pid) > own + 30
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()


@pytest.mark.parametrize("argv, minutes, warmup", [
    (["bench", "soak"], 30.0, 60.0),
    (["bench", "soak", "--minutes", "2", "--warmup", "5"], 2.0, 5.0),
])
def test_soak_command_line(argv, minutes, warmup):
    args = build_parser().parse_args(argv)
    assert (args.minutes, args.warmup, args.func.__name__) == (minutes, warmup, "cmd_bench_soak")


