"""Backups: the whole database to a folder of Parquet files, and back.

:func:`backup` runs DuckDB's ``EXPORT DATABASE`` (schema, sequences at their current
values, one Parquet file per table) into a new timestamped folder and writes a
``manifest.json`` with the schema version and the row count of every table.
:func:`restore` imports such a folder into a *new* database file and checks every count
against the manifest, so a damaged or partial backup is refused instead of silently
restored.  A backup is a consistent snapshot even while the monitor writes (DuckDB's
export reads one transaction).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from monitoring.store import Store
>>> tmp = Path(tempfile.mkdtemp())
>>> folder = backup(Store(":memory:"), tmp)
>>> (folder / "manifest.json").exists()
True
>>> restored = restore(folder, tmp / "restored.duckdb")
>>> restored.schema_version() == SCHEMA_VERSION
True
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from monitoring.store import SCHEMA_VERSION, Store, StoreError

__all__ = ["BackupError", "backup", "restore"]

MANIFEST = "manifest.json"
SQL_TABLES = """
SELECT table_name FROM information_schema.tables
WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name
"""


class BackupError(StoreError):
    """A backup cannot be written, or a folder is not a complete backup."""


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    # Table names come from the catalogue, never from user input.
    tables = [r[0] for r in con.execute(SQL_TABLES).fetchall()]
    return {t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]) for t in tables}


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def backup(store: Store, directory: str | Path, now: datetime | None = None) -> Path:
    """Export the database into a new folder under ``directory``; return the folder."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    target = Path(directory) / f"sentinella-{stamp}"
    if target.exists():
        raise BackupError(f"backup folder {target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    with store.transaction() as cur:
        counts = _counts(cur)
        # EXPORT DATABASE takes no parameters: the path is quoted, and it is ours.
        cur.execute(f"EXPORT DATABASE {_quote_path(target)} (FORMAT parquet)")
    manifest = {"schema_version": store.schema_version(), "created_at": stamp,
                "database": store.path, "tables": counts}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return target


def restore(folder: str | Path, db_path: str | Path, *, force: bool = False) -> Store:
    """Import a backup folder into the new database ``db_path``; return the open store.

    Refuses to overwrite an existing file unless ``force``; checks the row count of every
    table against the manifest.
    """
    folder = Path(folder)
    db_path = Path(db_path)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} is not a Sentinella backup (no readable {MANIFEST}: "
                          f"{exc})") from None
    if manifest.get("schema_version", 0) > SCHEMA_VERSION:
        raise BackupError(f"backup schema version {manifest['schema_version']} is newer than "
                          f"this version of Sentinella ({SCHEMA_VERSION})")
    if db_path.exists():
        if not force:
            raise BackupError(f"{db_path} already exists: restore into a new file, or pass "
                              "--force to replace it")
        db_path.unlink()
        Path(f"{db_path}.wal").unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    try:
        con.execute(f"IMPORT DATABASE {_quote_path(folder)}")
        counts = _counts(con)
    except duckdb.Error as exc:
        con.close()
        db_path.unlink(missing_ok=True)
        raise BackupError(f"cannot restore {folder}: {exc}") from None
    con.close()
    expected = manifest.get("tables", {})
    wrong = {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
    if wrong:
        db_path.unlink(missing_ok=True)
        detail = ", ".join(f"{t}: {got} rows instead of {n}" for t, (n, got) in wrong.items())
        raise BackupError(f"backup {folder} is incomplete ({detail}); nothing restored")
    return Store(db_path)
