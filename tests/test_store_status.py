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


def _catch_up_page(phase: str | None, lang: str) -> None:
    from datetime import UTC, datetime

    from monitoring.i18n import Translator
    from monitoring.monitor import CatchUp, MonitorStatus
    from monitoring.ui.components import alert_cards
    from monitoring.ui.store_status import catch_up_banner
    from monitoring.wall import WallSnapshot

    reached = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    catch_up = None if phase is None else CatchUp(
        phase, ("demo", "rss") if phase == "collect" else (), reached)
    tr = Translator(lang, "Europe/Rome")
    pending = catch_up_banner(MonitorStatus(False, "", None, 0, catch_up), tr)
    now = datetime(2026, 3, 2, 10, 0)
    alert_cards(WallSnapshot("s", now, now), tr, {"s": "S"}, pending=pending)


@pytest.mark.parametrize("phase, lang, banner, cards", [
    ("collect", "it", "Recupero dello storico in corso (demo, rss): dati fino a 02/03/26, 10:05.",
     "Gli alert compaiono a recupero finito"),
    ("detect", "en", "Analysing history: up to 3/2/26, 10:05\u202fAM.",
     "Alerts appear once the history is in"),
    (None, "it", None, "Nessun alert aperto"),
])
def test_catch_up_banner_and_no_false_all_clear(phase, lang, banner, cards):
    at = AppTest.from_function(_catch_up_page, kwargs={"phase": phase, "lang": lang},
                               default_timeout=60)
    at.run()
    assert not at.exception
    if banner is None:
        assert not at.info and at.success[0].value == cards  # nothing pending: all clear
    else:
        assert at.info[0].value.startswith(banner)
        assert at.info[1].value == cards and not at.success  # not an all-clear
