"""Running one page with AppTest against a real DuckDB file and the demo settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streamlit.testing.v1 import AppTest

from monitoring.auth import User
from monitoring.monitor import Monitor

ROOT = Path(__file__).resolve().parent.parent


def quiet_config(tmp: Path) -> Path:
    """The demo settings without sources (the tests seed the database themselves)."""
    text = (ROOT / "data" / "demo.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[\[sources\]\].*?(?=^\[\[departments\]\])", "", text)
    text = re.sub(r"(?m)^speed = .*$", "speed = 1", text)
    path = tmp / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def page_monitor(tmp: Path, monkeypatch) -> Iterator[Monitor]:
    """The process's Monitor on a fresh database (stopped and forgotten afterwards)."""
    from monitoring.ui.runtime import get_monitor

    monkeypatch.setenv("SENTINELLA_CONFIG", str(quiet_config(tmp)))
    monkeypatch.setenv("SENTINELLA_DB", str(tmp / "pages.duckdb"))
    get_monitor.clear()
    monitor = get_monitor()
    try:
        yield monitor
    finally:
        monitor.stop()
        monitor.store.close()
        get_monitor.clear()


def run_page(name: str, user: User | None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    if user is not None:
        at.session_state["user"] = user
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)
