"""The wall in real headless Chromium at 1920×1080."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import Dashboard

KIOSK_HIDDEN = ['[data-testid="stSidebar"]', 'header[data-testid="stHeader"]',
                '[data-testid="stToolbar"]', '[data-testid="stSidebarCollapsedControl"]']


def wait_for_text(page, dash: Dashboard, text: str, seconds: float) -> None:
    """Wait until the self-refreshing page shows ``text`` (the demo needs time to get there)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.get_by_text(text).count():
            return
        page.wait_for_timeout(2_000)
    raise AssertionError(f"{text!r} not shown in {seconds:.0f} s; server log:\n"
                         f"{dash.log.read_text()[-2000:]}")


@pytest.mark.timeout(1200)
def test_kiosk_wall_with_demo_crisis(dashboard, page, screenshots):
    page.goto(dashboard.page_url(kiosk="1"))
    page.wait_for_selector(".js-plotly-plot")
    # the demo's blackout is under way: wait for the critical incident's takeover
    wait_for_text(page, dashboard, "CRISI IN CORSO", 720)
    page.wait_for_timeout(3_000)
    for selector in KIOSK_HIDDEN:
        assert not page.locator(selector).is_visible(), selector
    assert page.locator("button:visible").count() == 0      # nothing to click
    assert page.locator("input:visible").count() == 0
    main = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    assert main <= 1080, f"the kiosk wall needs {main} px: it must fit 1080 without scrolling"
    assert page.get_by_text("Alert aperti").count() >= 1
    assert page.locator(".js-plotly-plot").count() == 2
    page.screenshot(path=str(screenshots / "wall.png"))
    assert (screenshots / "wall.png").stat().st_size > 50_000


def test_wall_refreshes_itself(dashboard, page):
    page.goto(dashboard.page_url(kiosk="1"))
    stamp = page.get_by_text("aggiornato alle").first
    stamp.wait_for()
    first = stamp.inner_text()
    # the stamp shows the data's second: a later one appears without any reload or click
    # (every app.refresh_seconds; a loaded machine may delay a refresh, not skip it)
    deadline = time.monotonic() + 120
    latest = first
    while latest == first and time.monotonic() < deadline:
        page.wait_for_timeout(2_000)
        stamps = page.get_by_text("aggiornato alle")
        latest = stamps.first.inner_text() if stamps.count() else first
    assert latest != first


def test_direct_link_opens_the_alerts_page(dashboard, page):
    page.goto(dashboard.page_url("alerts"))
    page.get_by_role("heading", name="Alert").first.wait_for()
    page.get_by_text("Stato").first.wait_for(timeout=180_000)     # the queue's state filter
    assert page.get_by_text("aggiornato alle").count() == 0         # not the wall
    assert page.locator('[data-testid="stSidebarNav"]').count() <= 1
