"""The settings page's file import panel, rendered with Streamlit's AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

SCRIPT = '''
import os
import streamlit as st
from monitoring.config import parse_settings
from monitoring.i18n import Translator
from monitoring.monitor import Monitor
from monitoring.store import Store
from monitoring.ui.file_import import file_import_panel

class Upload:
    name = "calls.csv"
    def getvalue(self):
        return open(os.environ["IMPORT_FILE"], "rb").read()

st.file_uploader = lambda *a, **k: Upload()  # AppTest cannot drive the browser's file picker
settings = parse_settings({"streams": [{"id": "lumea", "name": "Lumea", "keywords": ["lumea"]}]})
monitor = Monitor(settings, Store(os.environ["IMPORT_DB"]))
report = file_import_panel(monitor, Translator("en"))
st.session_state["stored"] = monitor.store.count_mentions()
monitor.store.close()
'''


def test_panel_imports_with_progress_and_lists_rejected_rows(tmp_path, monkeypatch):
    data = tmp_path / "calls.csv"
    data.write_text("id;data;nota\nc1;02/03/2026 10:15;Lumea bolletta doppia\nc2;ieri;x\n"
                    "c3;02/03/2026 10:20;\n")
    monkeypatch.setenv("IMPORT_FILE", str(data))
    monkeypatch.setenv("IMPORT_DB", str(tmp_path / "db.duckdb"))
    at = AppTest.from_string(SCRIPT, default_timeout=60).run()
    assert not at.exception
    assert at.subheader[0].value == "Import a file"
    at.text_input[0].input("ts=data,text=nota")
    at.text_input[1].input(";")
    at.text_input[2].input("%d/%m/%Y %H:%M")
    at.button[0].click().run()
    assert not at.exception
    assert at.success[0].value == "3 rows: 1 imported, 0 already present, 2 rejected"
    reasons = list(at.dataframe[0].value["reason"])
    assert reasons == ["row 2: unreadable timestamp 'ieri'", "row 3: missing text"]
    assert at.session_state["stored"] == 1
    at.button[0].click().run()  # the same file again: resumed, nothing duplicated
    assert at.success[0].value == "3 rows: 0 imported, 0 already present, 0 rejected"
    assert at.session_state["stored"] == 1
