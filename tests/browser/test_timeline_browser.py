"""The timeline's HTML export and the inbox in real headless Chromium, on the running demo."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from monitoring.store import Store
from tests.browser.conftest import Dashboard, go_to, log_in, start_dashboard, stop_dashboard


@pytest.fixture(scope="module")
def operator_dashboard(tmp_path_factory) -> Iterator[Dashboard]:
    dash = start_dashboard(tmp_path_factory.mktemp("timeline"), users={"anna": "operator"})
    yield dash
    stop_dashboard(dash)


def open_page(page, dash: Dashboard, title: str) -> None:
    """Log in as the operator, then open the page called ``title`` from the sidebar."""
    log_in(page, dash, "anna")
    go_to(page, title)


@pytest.fixture
def it_page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1400}, locale="it-IT",
                                  timezone_id="Europe/Rome", accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    context.close()


def test_inbox_shows_queues(operator_dashboard, it_page, screenshots):
    page = it_page
    deadline = time.monotonic() + 300
    open_page(page, operator_dashboard, "Richieste")
    reply = page.get_by_role("button", name="Segna come risposta")
    while True:  # the demo's backfill fills the queues; on a busy machine that takes a while
        page.get_by_role("heading", name="Richieste").wait_for()
        try:
            reply.first.wait_for(timeout=20_000)
            break
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
        go_to(page, "Timeline")  # and back: a reload would end the logged-in session
        page.get_by_role("heading", name="Timeline della crisi").wait_for()
        go_to(page, "Richieste")
    page.wait_for_selector("[data-testid=stDataFrame]")
    page.screenshot(path=str(screenshots / "inbox.png"), full_page=True)
    assert (screenshots / "inbox.png").stat().st_size > 20_000


def test_timeline_export_opens_offline(operator_dashboard, it_page, screenshots, tmp_path):
    page = it_page
    deadline = time.monotonic() + 300
    open_page(page, operator_dashboard, "Timeline")
    while True:  # review the demo's first alert once the detectors have opened it
        page.get_by_role("heading", name="Timeline della crisi").wait_for()
        page.get_by_role("heading", name="Numeri chiave").wait_for()
        page.wait_for_selector(".js-plotly-plot")
        reviewed_alert = not page.get_by_text("Flusso", exact=True).count()  # no range picker
        if reviewed_alert or time.monotonic() > deadline:
            break  # without an alert yet, the last six hours are exported instead
        page.wait_for_timeout(10_000)
        go_to(page, "Richieste")  # and back: a reload would end the logged-in session
        go_to(page, "Timeline")
    page.screenshot(path=str(screenshots / "timeline.png"), full_page=True)
    page.get_by_role("button", name="Prepara report HTML").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Scarica report HTML").click()
    report = tmp_path / "report.html"
    download.value.save_as(report)
    html = report.read_text(encoding="utf-8")
    assert "Timeline della crisi" in html and "Plotly.newPlot" in html
    assert ("Alert aperto" in html) is reviewed_alert      # the alert's opening is an event
    assert re.search(r"<script[^>]*\bsrc=", html) is None
    # Opened from disk with every request blocked: the chart still draws.
    offline = page.context.new_page()
    offline.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
        "file://") else route.continue_())
    offline.goto(report.as_uri())
    offline.wait_for_selector(".js-plotly-plot .main-svg")
    offline.screenshot(path=str(screenshots / "timeline_report.png"), full_page=True)
    assert (screenshots / "timeline_report.png").stat().st_size > 20_000
    stop_dashboard(operator_dashboard)  # DuckDB has one writer: read the audit after it
    store = Store(operator_dashboard.db, read_only=True)
    try:
        audit = store.reader().execute(
            "SELECT actor, detail FROM audit_log WHERE action = 'timeline.export'").fetchall()
    finally:
        store.close()
    assert [a for a, _ in audit] == ["anna"] and '"masked": true' in audit[0][1]
