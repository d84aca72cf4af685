from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.store import Store

NOW = datetime.now(UTC).replace(tzinfo=None)


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitoring", *args], capture_output=True,
                          text=True, timeout=120, check=False, input=stdin)


@pytest.fixture
def db_file(tmp_path):
    path = tmp_path / "p.duckdb"
    store = Store(path)
    store.reader().execute(
        "INSERT INTO mentions (source, source_id, stream, ts, author, text, batch_id, "
        "ingested_at) VALUES ('x', '1', 'lumea', ?, '@giulia_b', 'ciao', 0, ?), "
        "('x', '2', 'lumea', ?, '@marco', 'salve', 0, ?)",
        [NOW - timedelta(days=100), NOW, NOW, NOW])
    store.close()
    return path


def test_backup_then_restore_from_the_command_line(db_file, tmp_path):
    out = _cli("backup", str(tmp_path / "bk"), "--db", str(db_file))
    assert out.returncode == 0, out.stderr
    folder = next((tmp_path / "bk").iterdir())
    target = tmp_path / "restored.duckdb"
    out = _cli("restore", str(folder), "--db", str(target))
    assert out.returncode == 0 and "2 mentions" in out.stdout, out.stderr
    out = _cli("restore", str(folder), "--db", str(target))
    assert out.returncode == 2 and "already exists" in out.stderr
    assert "Traceback" not in out.stderr


def test_forget_asks_and_erases(db_file):
    out = _cli("forget", "giulia_b", "--db", str(db_file), stdin="n\n")
    assert out.returncode == 1 and "nothing erased" in out.stderr
    out = _cli("forget", "@Giulia_B", "--yes", "--db", str(db_file))
    assert out.returncode == 0 and "erased: 1 mentions" in out.stdout, out.stderr
    store = Store(db_file, read_only=True)
    authors = sorted(r[0] for r in store.reader().execute("SELECT author FROM mentions").fetchall())
    assert authors == ["@marco", "[erased]"]
    actor = store.reader().execute("SELECT actor FROM audit_log").fetchall()[0][0]
    assert actor.startswith("cli:")
    store.close()


def test_retention_needs_a_period_and_applies_it(db_file):
    out = _cli("retention", "--db", str(db_file))
    assert out.returncode == 2 and "privacy.retention_days" in out.stderr
    out = _cli("retention", "--days", "30", "--db", str(db_file))
    assert out.returncode == 0 and "1 mentions" in out.stdout, out.stderr


def test_backup_of_a_database_in_use_is_a_clear_error(db_file, tmp_path):
    holder = Store(db_file)  # this process holds the file for writing
    try:
        out = _cli("backup", str(tmp_path / "bk"), "--db", str(db_file))
    finally:
        holder.close()
    assert out.returncode == 2 and "in use by another Sentinella process" in out.stderr
