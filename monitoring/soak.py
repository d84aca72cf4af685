"""Soak benchmark: one kiosk wall session refreshing for N minutes; server memory over time.

``python -m monitoring bench soak --minutes 30`` starts ``streamlit run app.py`` on a fresh
database (the demo settings unless ``--config``), opens ``/?kiosk=1`` in Debian's headless
Chromium (Playwright with ``executable_path``), lets the wall refresh itself every
``app.refresh_seconds`` and samples the server's resident memory (RSS, the server process
and its children) every ``--sample-seconds``.  It prints one JSON line: RSS after the
warm-up, at the end, the largest, and the growth.  The monitor keeps ingesting while it
runs, so part of any growth is DuckDB caching new data, not the page.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return round(total / 2**20, 1)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer on {url} in {seconds:.0f} s")


def soak(minutes: float, *, config: str | None = None, warmup_seconds: float = 60.0,
         sample_seconds: float = 60.0, chromium: str = "/usr/bin/chromium") -> dict:
    """Run the soak and return its result (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="sentinella-soak-") as tmp:
        port = _free_port()
        env = dict(os.environ, SENTINELLA_DB=str(Path(tmp) / "soak.duckdb"))
        if config:
            env["SENTINELLA_CONFIG"] = str(Path(config).resolve())
        log = (Path(tmp) / "streamlit.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, server)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS,
                                             headless=True)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(f"{url}/?kiosk=1")
                page.wait_for_selector(".js-plotly-plot", timeout=180_000)
                page.wait_for_timeout(warmup_seconds * 1000)
                samples = [rss_mb(server.pid)]
                end = time.monotonic() + minutes * 60
                while (left := end - time.monotonic()) > 0:
                    page.wait_for_timeout(min(sample_seconds, left) * 1000)
                    samples.append(rss_mb(server.pid))
                stamp = page.locator('[data-testid="stMarkdownContainer"] h3').first.inner_text()
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
    start, last = samples[0], samples[-1]
    return {"bench": "soak", "minutes": minutes, "sessions": 1,
            "rss_start_mb": start, "rss_end_mb": last, "rss_max_mb": max(samples),
            "growth_mb": round(last - start, 1),
            "growth_pct": round(100 * (last - start) / start, 1) if start else None,
            "samples_mb": samples, "last_header": stamp[:120]}


def main(minutes: float, config: str | None, warmup_seconds: float,
         sample_seconds: float) -> int:
    result = soak(minutes, config=config, warmup_seconds=warmup_seconds,
                  sample_seconds=sample_seconds)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0
