"""Replay rows -> Mention: any JSON line or CSV row is either a mention or a quarantined reject."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from monitoring.sources.replay import DEFAULT_COLUMNS, ReplaySource
from tests.fuzz.strategies import hostile_text, json_value

FIELDS = sorted(set(DEFAULT_COLUMNS.values()))
row_values = st.one_of(
    json_value,
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    hostile_text,
)
rows = st.dictionaries(st.sampled_from(FIELDS + ["other"]), row_values, max_size=9)
lines = st.one_of(rows.map(lambda r: json.dumps(r)), json_value.map(json.dumps),
                  st.text(max_size=60), st.binary(max_size=60).map(
                      lambda b: b.decode("latin-1")))


@given(st.lists(lines, min_size=1, max_size=25))
def test_every_jsonl_line_becomes_a_mention_or_a_reject(tmp_path_factory, batch):
    path = tmp_path_factory.mktemp("fuzz") / "rows.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in batch) + "\n",
                    encoding="utf-8", errors="surrogatepass")
    source = ReplaySource("fuzz", path, stream="lumea", batch=100)
    result = source.fetch(None, datetime(2026, 1, 1, tzinfo=UTC))
    assert len(result.mentions) + len(result.rejected) == len(source)
    assert result.cursor == str(len(source)) and result.exhausted
    for m in result.mentions:
        assert m.text.strip() and m.ts.tzinfo is not None and m.source == "fuzz"
        assert m.author_reach >= 0 and isinstance(m.source_id, str)
    for r in result.rejected:
        assert r.reason and len(r.payload) <= 10_000


@given(st.lists(st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=8),
                min_size=1, max_size=15))
def test_every_csv_row_becomes_a_mention_or_a_reject(tmp_path_factory, batch):
    path = tmp_path_factory.mktemp("fuzz") / "rows.csv"
    with path.open("w", encoding="utf-8", errors="surrogatepass", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(batch)
    source = ReplaySource("fuzz", path, stream="lumea")
    result = source.fetch(None, datetime(2026, 1, 1, tzinfo=UTC))
    assert len(result.mentions) + len(result.rejected) == len(source)
