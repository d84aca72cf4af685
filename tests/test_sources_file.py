from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sources_support import settings_with

from monitoring.config import ConfigError
from monitoring.monitor import Monitor
from monitoring.sources import build_source
from monitoring.sources.file import FileSource, import_file
from monitoring.store import Store

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 3, tzinfo=UTC)

CALLS_CSV = (
    "id;quando;nota;operatore\n"
    "c1;02/03/2026 10:15;Bolletta doppia, chiedo rimborso a Lumea;anna\n"
    "c2;02/03/2026 10:20;;marco\n"
    "c3;ieri;Nessuna luce in via Roma;sara\n"
    "c4;02/03/2026 10:31;Contatore fermo da due giorni;anna\n"
)
MAPPING = {"id": "id", "ts": "quando", "text": "nota", "author": "operatore"}


@pytest.mark.parametrize("name,content,kwargs,ok,reasons", [
    ("calls.csv", CALLS_CSV, {"columns": MAPPING, "delimiter": ";",
                              "ts_format": "%d/%m/%Y %H:%M"},
     ["c1", "c4"], ["row 2: missing text", "row 3: unreadable timestamp 'ieri'"]),
    ("m.jsonl", ('{"id": 1, "ts": "2026-03-02T10:00:00Z", "text": "ciao", "author": "a"}\n'
                 '{"id": 2, "ts": 1772445600, "text": "epoch", "author": "b"}\n'
                 '{"id": 3, "ts": "2026-03-02T10:00:00Z", "text": "tronc\n'
                 '[1, 2]\n'),
     {}, ["1", "2"], ["row 3: malformed JSON",
                      "row 4: not a JSON object"]),
    ("bom.csv", "\ufeffid,ts,text\n7,2026-03-02T09:00:00,Lumea ok\n", {}, ["7"], []),
])
def test_rows_are_mapped_or_rejected_with_their_number(tmp_path, name, content, kwargs, ok,
                                                       reasons):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")  # bom.csv carries its own BOM
    result = FileSource("calls", path, "lumea", **kwargs).fetch(None, NOW)
    assert [m.source_id for m in result.mentions] == ok
    assert len(result.rejected) == len(reasons)
    for got, want in zip(result.rejected, reasons):
        assert got.reason.startswith(want)
    assert result.exhausted and result.progress == (len(ok) + len(reasons),) * 2


def test_malformed_line_is_kept_verbatim_for_audit(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": 1, "text": "tronc\n')
    [rejected] = FileSource("f", path, "lumea").fetch(None, NOW).rejected
    assert rejected.payload == '{"id": 1, "text": "tronc\n'


def test_epoch_timestamp_is_utc(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text('{"id": 2, "ts": 1772445600, "text": "x", "author": "b"}\n')
    [m] = FileSource("f", path, "lumea").fetch(None, NOW).mentions
    assert m.ts == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_import_resumes_after_a_crash_without_gap_or_duplicate(tmp_path):
    path = tmp_path / "calls.csv"
    rows = "".join(f"c{i};02/03/2026 10:{i:02d};Lumea problema numero {i};op\n"
                   for i in range(25))
    path.write_text("id;quando;nota;operatore\n" + rows)
    settings = settings_with()
    store = Store(tmp_path / "db.duckdb")
    monitor = Monitor(settings, store)
    source = FileSource("calls", path, "lumea", MAPPING, batch=10, delimiter=";",
                        ts_format="%d/%m/%Y %H:%M")
    real = monitor.store_fetch
    calls = []

    def crash_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monitor.store_fetch = crash_on_second_batch
    with pytest.raises(RuntimeError):
        import_file(monitor, source)
    assert store.count_mentions() == 10 and store.get_cursor("calls") == "10"
    store.close()

    store = Store(tmp_path / "db.duckdb")
    monitor = Monitor(settings, store)
    seen: list[tuple[int, int]] = []
    report = import_file(monitor, FileSource("calls", path, "lumea", MAPPING, batch=10,
                                             delimiter=";", ts_format="%d/%m/%Y %H:%M"),
                         progress=lambda done, total: seen.append((done, total)))
    assert (report.inserted, report.duplicates, report.rejected) == (15, 0, [])
    assert seen == [(20, 25), (25, 25)]
    ids = store.reader().execute("SELECT source_id FROM mentions ORDER BY ts").fetchall()
    assert [r[0] for r in ids] == [f"c{i}" for i in range(25)]


def test_cli_import_prints_progress_and_writes_rejected_report(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(CALLS_CSV)
    report = tmp_path / "rejected.csv"
    cmd = [sys.executable, "-m", "monitoring", "import", str(path), "--db",
           str(tmp_path / "db.duckdb"), "--map", "ts=quando,text=nota,author=operatore",
           "--delimiter", ";", "--ts-format", "%d/%m/%Y %H:%M", "--report", str(report),
           "--name", "calls"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert "import done: 4 rows: 2 imported, 0 already present, 2 rejected" in run.stderr
    assert "4/4" in run.stderr  # the progress bar reached the end
    with report.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["reason"] for r in rows] == ["row 2: missing text",
                                           "row 3: unreadable timestamp 'ieri'"]
    assert json.loads(rows[1]["row"])["operatore"] == "sara"
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert "0 imported" in again.stderr
    store = Store(tmp_path / "db.duckdb", read_only=True)
    assert store.count_mentions() == 2 and store.quarantined("calls") == 2
    assert "calls" not in set(store.source_health()["source"])  # not a watched source


@pytest.mark.parametrize("options,message", [
    ({}, "option 'path' is required"),
    ({"path": "x.csv", "colums": {}}, "unknown option 'colums'"),
    ({"path": "x.csv", "columns": {"body": "text"}}, "unknown column field(s) ['body']"),
    ({"path": "x.csv", "format": "xml"}, "must be csv or jsonl"),
    ({"path": "x.csv", "delimiter": ";;"}, "one character"),
])
def test_bad_options_fail_loudly(options, message):
    settings = settings_with({"name": "calls", "kind": "file", "options": options})
    with pytest.raises(ConfigError, match="source 'calls'") as info:
        build_source(settings.sources[0], settings)
    assert message in str(info.value)


def test_file_source_from_config(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,ts,body\n1,2026-03-02T10:00:00,acme down\n")
    settings = settings_with({"name": "export", "kind": "file", "streams": ["acme"],
                              "options": {"path": str(path), "columns": {"text": "body"}}})
    result = build_source(settings.sources[0], settings).fetch(None, NOW)
    assert [(m.stream, m.text) for m in result.mentions] == [("acme", "acme down")]
