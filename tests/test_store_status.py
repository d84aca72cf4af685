from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _page(paused: bool, lang: str) -> None:
    from datetime import UTC, datetime

    from monitoring.i18n import Translator
    from monitoring.monitor import MonitorStatus
    from monitoring.ui.store_status import store_paused_banner

    status = MonitorStatus(True, "IOException: Could not write /data/**x**.wal", datetime(
        2026, 3, 2, 9, 5, tzinfo=UTC), 3) if paused else MonitorStatus(False, "", None, 0)
    store_paused_banner(status, Translator(lang, "Europe/Rome"))


@pytest.mark.parametrize("paused, lang, expected", [
    (True, "it", "Scrittura sospesa: il database non accetta scritture dalle 10:05 (3"),
    (True, "en", "Writing paused: the database has refused writes since 10:05 (3"),
    (False, "en", None),
])
def test_store_paused_banner(paused, lang, expected):
    at = AppTest.from_function(_page, kwargs={"paused": paused, "lang": lang},
                               default_timeout=60)
    at.run()
    assert not at.exception
    if expected is None:
        assert not at.error and not at.text
    else:
        assert at.error[0].value.startswith(expected)
        assert "**x**.wal" in at.text[0].value  # the raw error, as plain text
