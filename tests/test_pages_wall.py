from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from wall_seed import HOSTILE, start_app_monitor, stop_app_monitor

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def monitor(tmp_path, monkeypatch):
    monitor, _ids = start_app_monitor(tmp_path, monkeypatch)
    yield monitor
    stop_app_monitor(monitor)


def run_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [t.value for t in at.text]
                     + [e.value for e in at.error] + [s.value for s in at.success])


def test_wall_shows_every_panel_with_the_crisis(monitor):
    at = run_app()
    body = texts(at)
    assert "CRISI IN CORSO" in body
    assert "Crisi reputazionale" in body and "Disservizio" in body
    assert [m.label for m in at.metric] == [
        "Menzioni/min (15')", "Quota negativa (15')", "Alert aperti", "Richieste in attesa",
        "SLA superati"]
    assert at.metric[2].value == "2" and at.metric[3].value == "2"
    assert "Tecnico / Rete" in body and "boicotta" in body
    assert ":red[" in body and "rss: in errore" in body           # failing source in red
    assert "Notifiche non consegnate" in body and "SMTP refused" in body
    assert len(at.selectbox) == 2                                  # language + stream


def test_mentions_are_masked_and_rendered_as_plain_text(monitor):
    at = run_app()
    plain = [t.value for t in at.text]
    assert any(HOSTILE in t for t in plain)                        # shown verbatim, as text
    assert not any("evil.example" in m.value for m in at.markdown)  # never as markdown
    assert not any("333 123 4567" in t or "mario.rossi@" in t for t in plain)


def test_kiosk_has_no_widgets_and_english_labels(monitor):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["kiosk"] = "1"
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert len(at.selectbox) == 0 and len(at.button) == 0
    assert "CRISIS UNDER WAY" in texts(at)
    assert at.metric[0].label == "Mentions/min (15')"


def test_stream_selector_switches_the_charts(monitor):
    at = run_app()
    stream = next(s for s in at.selectbox if s.key == "wall_stream")
    stream.select("other").run()
    assert not at.exception
    assert "Other brand" in texts(at)
    assert at.metric[0].value == "0,0"  # no bins for that stream


def test_language_switch_in_the_sidebar(monitor):
    at = run_app()
    next(s for s in at.selectbox if s.key == "lang").select("en").run()
    assert "CRISIS UNDER WAY" in texts(at)
