from __future__ import annotations


def test_wall_loads_in_chromium(dashboard, page, screenshots):
    page.goto(dashboard.page_url())
    page.get_by_text("Sentinella").first.wait_for()
    page.wait_for_selector(".js-plotly-plot")
    page.screenshot(path=str(screenshots / "wall.png"))
    assert (screenshots / "wall.png").stat().st_size > 10_000
