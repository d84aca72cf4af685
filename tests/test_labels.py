from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from monitoring.config import load_settings
from monitoring.enrich.learned import TextModel
from monitoring.enrich.pipeline import Enricher
from monitoring.labels import (
    MIN_TRAIN_LABELS,
    LabelError,
    import_labels_csv,
    model_path,
    record_label,
    stored_labels,
    train,
)
from monitoring.models import Mention
from monitoring.store import Store

NOW = datetime(2026, 3, 30, 12, tzinfo=UTC)
SETTINGS = load_settings()
POSTS = [
    ("x", "1", "@LumeaEnergia bolletta sbagliata, aiutatemi?"),
    ("x", "2", "@LumeaEnergia la luce è tornata, grazie!"),
    ("mastodon", "7", "Lo spot di Lumea è ridicolo"),
]


def _ingest(store: Store) -> None:
    mentions = [Mention(src, sid, "lumea", NOW, "@u", text) for src, sid, text in POSTS]
    store.ingest("test", Enricher(SETTINGS).enrich(mentions), None)


def _rows(store: Store, sql: str, params=()) -> list[tuple]:
    return store.reader().execute(sql, list(params)).fetchall()


@pytest.fixture
def db(fresh_db: Store) -> Store:
    _ingest(fresh_db)
    return fresh_db


@pytest.mark.parametrize(
    ("source", "source_id", "field", "value", "column"),
    [
        ("x", "1", "category", "polemic", "category"),
        ("x", "2", "sentiment", "negative", "sentiment_label"),
        ("mastodon", "7", "department", "communications", "department"),
        ("x", "1", "sentiment", "  positive ", "sentiment_label"),
    ],
)
def test_record_label_stores_who_when_and_corrects_the_mention(
    db, source, source_id, field, value, column
):
    label_id = record_label(db, source, source_id, field, value, "anna", NOW)
    stored = _rows(db, "SELECT source, source_id, field, value, actor, created_at, origin, text "
                       "FROM labels WHERE id = ?", [label_id])
    text = {(s, i): t for s, i, t in POSTS}[(source, source_id)]
    assert stored == [(source, source_id, field, value.strip(), "anna",
                       NOW.replace(tzinfo=None), "operator", text)]
    assert _rows(db, f"SELECT {column} FROM mentions WHERE source = ? AND source_id = ?",
                 [source, source_id]) == [(value.strip(),)]
    audit = _rows(db, "SELECT actor, action, target_id FROM audit_log")
    assert audit == [("anna", f"label.{field}", f"{source}/{source_id}")]


@pytest.mark.parametrize(
    ("mention", "field", "value", "error"),
    [
        ("x/1", "mood", "sad", "cannot label field 'mood'"),
        ("x/1", "category", "rant", "category cannot be 'rant'"),
        ("x/1", "sentiment", "", "sentiment cannot be ''"),
        ("mastodon/7", "department", "   ", "department cannot be ''"),
        ("x/404", "category", "request", "no mention x/404"),
    ],
)
def test_record_label_refuses_bad_labels_and_writes_nothing(db, mention, field, value, error):
    with pytest.raises(LabelError, match=error):
        record_label(db, *mention.split("/"), field, value, "anna", NOW)
    assert _rows(db, "SELECT count(*) FROM labels") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM audit_log") == [(0,)]


@pytest.mark.parametrize(
    ("csv_text", "imported", "rejected"),
    [
        ("text,category\nbolletta doppia,request\nbello spot,praise\n", 2, []),
        (("field,value,text\nsentiment,negative,pessimo\nsentiment,bad,boh\n"
         "mood,sad,x\ncategory,other,\n"), 1,
         [3, 4, 5]),
        ("source,source_id,category\nx,1,request\nx,99,request\nmastodon,7,polemic\n", 2, [3]),
        ("text,sentiment\n", 0, []),
        ("\ufefftext,department\n\"una, due\",billing\n", 1, []),
    ],
)
def test_import_labels_csv_reports_imported_and_rejected_rows(
    db, tmp_path, csv_text, imported, rejected
):
    path = tmp_path / "labels.csv"
    path.write_text(csv_text, encoding="utf-8")
    report = import_labels_csv(db, path, "anna", NOW)
    assert report.imported == imported
    assert [line for line, _ in report.rejected] == rejected
    assert all(reason for _, reason in report.rejected)
    assert _rows(db, "SELECT count(*), count(DISTINCT origin) FILTER (WHERE origin = 'import') "
                     "FROM labels") == [(imported, 1 if imported else 0)]
    assert _rows(db, "SELECT actor, action, target_id FROM audit_log") == [
        ("anna", "labels.import", "labels.csv")]


def test_import_of_stored_mentions_corrects_them(db, tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("source,source_id,field,value\nmastodon,7,category,polemic\n"
                    "x,2,sentiment,negative\n")
    import_labels_csv(db, path, "anna", NOW)
    assert _rows(db, "SELECT source_id, category, sentiment_label FROM mentions "
                     "WHERE source_id IN ('7', '2') ORDER BY source_id") == [
        ("2", _rows(db, "SELECT category FROM mentions WHERE source_id = '2'")[0][0],
         "negative"),
        ("7", "polemic", _rows(db, "SELECT sentiment_label FROM mentions "
                                   "WHERE source_id = '7'")[0][0]),
    ]
    assert _rows(db, "SELECT text FROM labels WHERE source_id = '7'") == [(POSTS[2][2],)]


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("text,colour\n", "needs columns field,value"),
        ("field,value\n", "needs a text column or source,source_id"),
        ("", "needs columns field,value"),
    ],
)
def test_import_refuses_files_without_the_needed_columns(db, tmp_path, header, error):
    path = tmp_path / "bad.csv"
    path.write_text(header)
    with pytest.raises(LabelError, match=error):
        import_labels_csv(db, path, "anna", NOW)
    assert _rows(db, "SELECT count(*) FROM audit_log") == [(0,)]


def test_latest_label_of_a_mention_wins(db):
    record_label(db, "x", "1", "category", "polemic", "anna", NOW)
    record_label(db, "x", "1", "category", "request", "bruno", NOW.replace(hour=13))
    record_label(db, "x", "2", "category", "praise", "anna", NOW)
    texts, values = stored_labels(db, "category")
    assert sorted(zip(texts, values)) == sorted([(POSTS[0][2], "request"),
                                                 (POSTS[1][2], "praise")])


TRAIN_CSV = "text,category\n" + "".join(
    f"{t} {i},{c}\n"
    for i in range(MIN_TRAIN_LABELS)
    for t, c in [("bolletta sbagliata aiutatemi", "request"), ("spot ridicolo vergogna", "polemic")]
)


def test_train_writes_a_model_that_predicts_the_labels(db, tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(TRAIN_CSV)
    import_labels_csv(db, path, "anna", NOW)
    report = train(db, "category", tmp_path / "models")
    assert report.path == model_path(tmp_path / "models", "category") and report.path.exists()
    assert (report.labels, report.classes) == (2 * MIN_TRAIN_LABELS, ["polemic", "request"])
    model = TextModel.load(report.path)
    assert model.predict(["la bolletta è sbagliata", "che spot ridicolo"]) == [
        "request", "polemic"]


@pytest.mark.parametrize(
    ("csv_text", "skipped"),
    [
        ("text,category\nbolletta,request\nspot,polemic\n", "2 labels"),
        ("text,sentiment\n" + "".join(f"male {i},negative\n" for i in range(30)),
         "only one value"),
    ],
)
def test_train_skips_fields_without_enough_labels(db, tmp_path, csv_text, skipped):
    path = tmp_path / "few.csv"
    path.write_text(csv_text)
    import_labels_csv(db, path, "anna", NOW)
    field = csv_text.split(",")[1].split("\n")[0]
    report = train(db, field, tmp_path)
    assert report.path is None and skipped in report.skipped
    assert not model_path(tmp_path, field).exists()


def test_cli_imports_then_trains(tmp_path):
    labels = tmp_path / "train.csv"
    labels.write_text(TRAIN_CSV + "spot,brutto\n")
    db, models = tmp_path / "s.duckdb", tmp_path / "models"

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "monitoring", *argv, "--db", str(db)],
                              capture_output=True, text=True, timeout=180, check=False)

    out = run("import-labels", str(labels), "--user", "anna")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{2 * MIN_TRAIN_LABELS} labels imported, 1 row rejected")
    assert "category cannot be 'brutto'" in out.stdout
    out = run("train", "--models", str(models))
    assert out.returncode == 0, out.stderr
    assert "category: 40 labels" in out.stdout and model_path(models, "category").exists()
    assert "sentiment: not trained" in out.stderr
    out = run("import-labels", str(tmp_path / "missing.csv"))
    assert out.returncode == 2 and "error:" in out.stderr
