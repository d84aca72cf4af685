"""A real Streamlit server on loopback and Debian's headless Chromium, driven by Playwright.

The ``dashboard`` fixture starts ``streamlit run app.py`` once per test session on a free
port, on a fresh DuckDB file and on a demo configuration whose scripted cycle started
45 minutes ago (``lead_minutes``), so that the demo's blackout (a critical service
incident) is under way when the first page loads; other servers start 100 minutes into
the cycle, in the polemic.  ``browser`` launches ``/usr/bin/chromium`` (``apt-get install
chromium``; the README's test command installs it) with the flags this machine's closed
network needs.  Screenshots go to ``$SENTINELLA_SCREENSHOTS`` when set (the README's
pictures are made that way), else to a temporary directory.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SENTINELLA_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_config(tmp: Path, lead_minutes: int = 100, backfill_days: int = 2,
                **app: object) -> Path:
    """The demo settings with a short backfill, a past cycle start and fast refresh."""
    text = (ROOT / "data" / "demo.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^backfill_days = .*$",
                  f"backfill_days = {backfill_days}\nlead_minutes = {lead_minutes}", text)
    text = re.sub(r"(?m)^speed = .*$", f"speed = {app.get('speed', 1)}", text)
    text = re.sub(r"(?m)^refresh_seconds = .*$",
                  f"refresh_seconds = {app.get('refresh_seconds', 2)}", text)
    path = tmp / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Dashboard:
    """A running Streamlit server: its URL, database and log."""

    def __init__(self, url: str, db: Path, config: Path, log: Path,
                 process: subprocess.Popen[bytes], passwords: dict[str, str] | None = None):
        self.url, self.db, self.config, self.log, self.process = url, db, config, log, process
        #: Accounts created before the start: name -> password.
        self.passwords = passwords or {}

    def page_url(self, path: str = "", **query: str) -> str:
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{self.url}/{path}" + (f"?{q}" if q else "")


def add_user(db: Path, config: Path, name: str, role: str) -> str:
    """Create an account with the CLI, as an administrator would; its password."""
    password = secrets.token_urlsafe(12)
    subprocess.run([sys.executable, "-m", "monitoring", "user", "add", name, "--role", role,
                    "--password-stdin", "--db", str(db), "--config", str(config)],
                   input=password + "\n", text=True, check=True, capture_output=True,
                   cwd=ROOT, timeout=120)
    return password


def start_dashboard(tmp: Path, env: dict[str, str] | None = None,
                    lead_minutes: int = 100, users: dict[str, str] | None = None,
                    backfill_days: int = 2) -> Dashboard:
    """Start ``streamlit run app.py`` on the demo; ``users`` (name -> role) get accounts."""
    port = free_port()
    config = demo_config(tmp, lead_minutes, backfill_days)
    db = tmp / "wall.duckdb"
    passwords = {name: add_user(db, config, name, role) for name, role in (users or {}).items()}
    log = tmp / "streamlit.log"
    full_env = dict(os.environ, SENTINELLA_CONFIG=str(config), SENTINELLA_DB=str(db),
                    PYTHONUNBUFFERED="1", **(env or {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=full_env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return Dashboard(url, db, config, log, process, passwords)
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"streamlit did not answer in 90 s:\n{log.read_text()[-3000:]}")


def go_to(page, title: str) -> None:
    """Open a page from the sidebar: a reload would start a new, logged-out session."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.count() and expand.is_visible():  # the sidebar starts collapsed
        expand.click()
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()


def log_in(page, dash: Dashboard, name: str) -> None:
    """Open the login page directly and log in through its form.

    Not through the wall: its self-refreshing fragment would keep rerunning in the
    session after the move to another page."""
    page.goto(dash.page_url("login"))
    page.get_by_label("Nome utente").fill(name)
    page.get_by_role("textbox", name="Password").fill(dash.passwords[name])
    page.get_by_role("button", name="Entra").click()
    page.get_by_text("Connesso come").wait_for()


def stop_dashboard(dash: Dashboard) -> None:
    dash.process.terminate()
    try:
        dash.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        dash.process.kill()


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    # The wall's blackout must reach critical whatever the hour the tests run: with two
    # days of history, an evening after a weekend may leave it a warning (the detectors
    # have not learned the weekly rhythm yet), so this server backfills the demo's week.
    dash = start_dashboard(tmp_path_factory.mktemp("dashboard"), lead_minutes=45,
                           backfill_days=7)
    yield dash
    stop_dashboard(dash)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium);"
                    " `bash scripts/dev.sh test` does it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="it-IT",
                                  timezone_id="Europe/Rome")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("SENTINELLA_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
