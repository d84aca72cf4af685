from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from monitoring.config import parse_settings
from monitoring.enrich.pipeline import Enricher
from monitoring.models import Mention
from monitoring.store import Store, StoreLockedError

SETTINGS = parse_settings({"streams": [{"id": "acme", "name": "ACME", "keywords": ["acme"]}]})


def _mentions(ids, minute=0):
    return [Mention("src", str(i), "acme", datetime(2026, 1, 1, 10, minute, tzinfo=UTC),
                    f"@u{i}", f"acme bill wrong {i}", lang_hint="en") for i in ids]


def test_ingest_is_idempotent_and_rolls_up_once(fresh_db):
    enr = Enricher(SETTINGS)
    r1 = fresh_db.ingest("src", enr.enrich(_mentions(range(5))), "c1")
    r2 = fresh_db.ingest("src", enr.enrich(_mentions(range(3, 8))), "c2")
    assert (r1.inserted, r2.inserted, r2.duplicates) == (5, 3, 2)
    assert fresh_db.count_mentions() == 8
    total = fresh_db.reader().execute("SELECT sum(n) FROM bins").fetchall()[0][0]
    assert total == 8
    assert fresh_db.get_cursor("src") == "c2"


def test_failed_ingest_keeps_cursor(fresh_db):
    enr = Enricher(SETTINGS)
    fresh_db.ingest("src", enr.enrich(_mentions(range(2))), "c1")
    bad = enr.enrich(_mentions(range(2, 4))).drop(columns=["text"])
    with pytest.raises(duckdb.Error):
        fresh_db.ingest("src", bad, "c2")
    assert fresh_db.get_cursor("src") == "c1"
    assert fresh_db.count_mentions() == 2


def test_second_writer_gets_clear_error(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "x.duckdb"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c",
                               ("import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); "
                               "print('ok', flush=True); time.sleep(30)"), str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreLockedError, match="in use by another"):
            Store(db)
    finally:
        holder.kill()


@pytest.mark.parametrize("batches", [
    [range(5)],
    [range(5), range(3, 8)],
    [range(4), range(4, 9), range(9)],
])
def test_each_request_opens_one_ticket_across_batches(fresh_db, batches):
    # The tickets insert names its conflict target (source, source_id): the table has two
    # unique indexes and a bare ON CONFLICT slowed every ingest as the table grew.
    enr = Enricher(SETTINGS)
    due = datetime(2026, 1, 1, 12)
    for i, ids in enumerate(batches):
        frame = enr.enrich(_mentions(ids)).assign(category="request", first_response_due=due,
                                                  resolution_due=due)
        fresh_db.ingest("src", frame, f"c{i}")
    distinct = len(set().union(*map(set, batches)))
    rows = fresh_db.reader().execute(
        "SELECT count(*), count(DISTINCT source_id) FROM tickets").fetchall()[0]
    assert rows == (distinct, distinct)
