from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from monitoring.backup import BackupError, backup, restore
from monitoring.config import load_settings
from monitoring.monitor import Clock, Monitor
from monitoring.store import Store

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def source_db(tmp_path_factory):
    """A database with a day of demo mentions, tickets, bins, bands and alerts."""
    path = tmp_path_factory.mktemp("src") / "s.duckdb"
    store = Store(path)
    settings = load_settings().model_copy(update={"sources": [
        load_settings().sources[0].model_copy(update={"options": {"backfill_days": 1,
                                                                  "lead_minutes": 100}})]})
    monitor = Monitor(settings, store, clock=Clock(speed=1, start=START))
    monitor.collect_all()
    monitor.detect()
    yield store
    store.close()


def _dump(store: Store) -> dict[str, list]:
    tables = [r[0] for r in store.reader().execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    ).fetchall()]
    return {t: store.reader().execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall()
            for t in tables}


def test_round_trip_restores_every_row_and_the_sequences(source_db, tmp_path):
    folder = backup(source_db, tmp_path / "backups", now=START)
    restored = restore(folder, tmp_path / "restored.duckdb")
    before, after = _dump(source_db), _dump(restored)
    assert before.keys() == after.keys() and before == after
    assert len(before["mentions"]) > 1000 and before["tickets"] and before["alerts"]
    # sequences continue where they were: a new alert does not reuse an id
    max_id = max(r[0] for r in before["alerts"])
    new_id = restored.reader().execute(
        "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
        "last_bin, updated_at) VALUES ('s', 'k', 'open', 1, 1, now(), now(), now(), now()) "
        "RETURNING id").fetchall()[0][0]
    assert new_id > max_id
    restored.close()


def test_incomplete_backup_is_refused_and_nothing_is_left(source_db, tmp_path):
    folder = backup(source_db, tmp_path, now=START)
    (folder / "tickets.parquet").unlink()
    target = tmp_path / "r.duckdb"
    with pytest.raises(BackupError):
        restore(folder, target)
    assert not target.exists()


def test_restore_never_overwrites_without_force(source_db, tmp_path):
    folder = backup(source_db, tmp_path, now=START)
    target = tmp_path / "r.duckdb"
    restore(folder, target).close()
    with pytest.raises(BackupError, match="already exists"):
        restore(folder, target)
    restore(folder, target, force=True).close()


@pytest.mark.parametrize("broken", ["missing", "not json"])
def test_a_folder_without_manifest_is_not_a_backup(tmp_path, broken):
    folder = tmp_path / "b"
    folder.mkdir()
    if broken == "not json":
        (folder / "manifest.json").write_text("{")
    with pytest.raises(BackupError, match="not a Sentinella backup"):
        restore(folder, tmp_path / "r.duckdb")


def test_backup_folder_is_never_reused(source_db, tmp_path):
    backup(source_db, tmp_path, now=START)
    with pytest.raises(BackupError, match="already exists"):
        backup(source_db, tmp_path, now=START)
    shutil.rmtree(tmp_path / "sentinella-20260302-080000")
