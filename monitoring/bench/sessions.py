"""``bench sessions``: N wall sessions in headless Chromium against a real Streamlit server.

The server is ``streamlit run app.py`` on loopback, on a fresh database holding a
synthetic history that ends now (so the wall's last hours are full) and on the demo
settings running in real time (the demo source keeps ingesting live, as in production)
with ``refresh_seconds`` set to ``--refresh``.  N browser contexts (Debian's
``/usr/bin/chromium`` driven by Playwright) open the wall and leave it refreshing by
itself.  After a warm-up the benchmark measures, over ``--minutes``:

* the server process's CPU time / wall time (1.0 = one core fully busy), with psutil;
* every script run each browser sees: the time the page's ``stApp`` element spends in
  ``data-test-script-state="running"`` (what a viewer waits for on each refresh);
* the server's resident memory at the start and at the end of the window.

The server's CPU with no session open (the Monitor's own jobs, measured first) is
reported apart; the rest per script run, times the runs a second the sessions ask for
(``sessions / refresh``), gives the share it needs at the full refresh rate
(``sessions_server_cpu_full_rate``), which stays meaningful when a busy machine makes
refreshes fall behind.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitoring.bench import Reporter, percentile
from monitoring.bench.synth import SynthSpec, generate, minute_floor, stream_ids
from monitoring.config import load_settings
from monitoring.soak import CHROMIUM_FLAGS
from monitoring.store import Store

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SENTINELLA_CHROMIUM", "/usr/bin/chromium")
#: Target of the issue: 10 sessions at a 5 s refresh use at most half a core.
TARGET_CPU_SHARE = 0.5

#: Records each script run the page sees (start and end, in page milliseconds).
RUN_RECORDER = """
window.__runs = [];
window.__runStart = null;
new MutationObserver(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return;
  const running = app.getAttribute('data-test-script-state') === 'running';
  if (running && window.__runStart === null) { window.__runStart = performance.now(); }
  if (!running && window.__runStart !== null) {
    window.__runs.push([window.__runStart, performance.now()]);
    window.__runStart = null;
  }
}).observe(document, {subtree: true, attributes: true, childList: true,
                      attributeFilter: ['data-test-script-state']});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_config(tmp: Path, refresh: float) -> Path:
    """The demo settings in real time, without backfill, refreshing every ``refresh`` s."""
    text = (ROOT / "data" / "demo.toml").read_text(encoding="utf-8")
    for key, value in (("speed", "1"), ("refresh_seconds", f"{refresh:g}"),
                       ("backfill_days", "0")):
        text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        if count != 1:
            raise RuntimeError(f"data/demo.toml: expected one '{key} = ' line, found {count}")
    path = tmp / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_server(tmp: Path, config: Path, db: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SENTINELLA_CONFIG=str(config), SENTINELLA_DB=str(db),
               PYTHONPATH=str(ROOT))
    log = (tmp / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("streamlit exited early:\n"
                               + (tmp / "streamlit.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                        timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("streamlit did not answer in 120 s")


def run(reporter: Reporter, sessions: int, minutes: float, refresh: float, mentions: int,
        port: int = 0, warmup: float = 20.0, idle: float = 20.0) -> int:
    """Run the benchmark; returns the exit code (0)."""
    import psutil
    from playwright.sync_api import sync_playwright

    settings = load_settings(None)
    with tempfile.TemporaryDirectory(prefix="sentinella-sessions-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "wall.duckdb"
        store = Store(db)
        streams = stream_ids([s.id for s in settings.streams], 5)
        generate(store, SynthSpec(n=mentions, days=max(1, min(90, mentions // 100_000)),
                                  streams=streams, end=minute_floor(datetime.now(UTC))))
        store.close()
        port = port or _free_port()
        server = start_server(tmp, server_config(tmp, refresh), db, port)
        proc = psutil.Process(server.pid)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             headless=True)
                # A first session starts the Monitor (once per server process); closed, it
                # leaves the Monitor's own jobs, measured as the idle share.
                _open_pages(browser, port, 1)[0].context.close()
                time.sleep(idle / 2)
                idle_cpu, t_idle = proc.cpu_times(), time.monotonic()
                time.sleep(idle)
                idle_share = _share(idle_cpu, proc.cpu_times(), time.monotonic() - t_idle)
                pages = _open_pages(browser, port, sessions)
                _idle(pages, warmup)
                marks = [page.evaluate("performance.now()") for page in pages]
                cpu0, t0 = proc.cpu_times(), time.monotonic()
                rss0 = proc.memory_info().rss
                _idle(pages, minutes * 60)
                cpu1, elapsed = proc.cpu_times(), time.monotonic() - t0
                rss1 = proc.memory_info().rss
                runs: list[float] = []
                for page, mark in zip(pages, marks):
                    runs += [end - start for start, end in page.evaluate("window.__runs")
                             if start >= mark]
                browser.close()
        finally:
            _stop(server)
    cpu = _share(cpu0, cpu1, elapsed)
    common = {"sessions": sessions, "refresh_s": refresh, "minutes": minutes,
              "mentions": mentions}
    reporter.emit("sessions_server_cpu", cpu, "cores", target=TARGET_CPU_SHARE,
                  meets_target=cpu <= TARGET_CPU_SHARE, **common)
    # On a busy machine refreshes fall behind (fewer runs than sessions x minutes / refresh)
    # and the CPU share falls with them: the CPU per run, scaled to the full refresh rate,
    # is what the server would need.
    per_run = max(0.0, cpu - idle_share) * elapsed / max(len(runs), 1)
    reporter.emit("sessions_server_cpu_idle", idle_share, "cores",
                  note="no session open: the Monitor's own jobs")
    reporter.emit("sessions_server_cpu_per_refresh", per_run * 1000, "ms", runs=len(runs))
    full = idle_share + per_run * sessions / refresh
    reporter.emit("sessions_server_cpu_full_rate", full, "cores", target=TARGET_CPU_SHARE,
                  meets_target=full <= TARGET_CPU_SHARE)
    reporter.emit("sessions_refresh_p50", percentile(runs, 50), "ms", runs=len(runs))
    reporter.emit("sessions_refresh_p95", percentile(runs, 95), "ms", runs=len(runs),
                  expected_runs=round(sessions * minutes * 60 / refresh))
    reporter.emit("sessions_server_rss", rss1 / 2**20, "MB",
                  start_mb=round(rss0 / 2**20, 1),
                  growth=round(rss1 / rss0 - 1.0, 4) if rss0 else 0.0)
    return 0


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _open_pages(browser: Any, port: int, count: int) -> list[Any]:
    """Open the wall in ``count`` new browser contexts; return once every page has run."""
    pages = []
    for _ in range(count):
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_init_script(RUN_RECORDER)
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(f"http://127.0.0.1:{port}/")
        pages.append(page)
    for page in pages:
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    return pages


def _share(before: Any, after: Any, seconds: float) -> float:
    """Cores used between two ``psutil`` CPU-time samples ``seconds`` apart."""
    return (after.user - before.user + after.system - before.system) / seconds


def _idle(pages: list, seconds: float) -> None:
    """Let the pages refresh by themselves, keeping Playwright's event loop serviced."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pages[0].wait_for_timeout(min(1000.0, max(1.0, (end - time.monotonic()) * 1000)))
