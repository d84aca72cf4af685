from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest


def test_wall_renders_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("SENTINELLA_DB", str(tmp_path / "w.duckdb"))
    at = AppTest.from_file(os.path.join(os.path.dirname(__file__), "..", "app.py"),
                           default_timeout=120)
    at.run()
    assert not at.exception
    assert any("Sentinella" in m.value for m in at.markdown)
    assert len(at.metric) == 5
    from monitoring.ui.runtime import get_monitor
    get_monitor().stop()
    get_monitor.clear()
