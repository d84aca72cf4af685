"""Replay a CSV or JSONL file of mentions (exports, call-centre logs) through the pipeline.

The cursor is the number of input rows already consumed, saved with the mentions in one
transaction, so a replay killed at any point resumes exactly where it stopped.  Rows that
cannot be normalised (missing text, unreadable timestamp...) are rejected with the reason
and end up in the quarantine table; the replay goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Rejected, SourceError

#: Default column names: Mention field -> input column.
DEFAULT_COLUMNS = {"id": "id", "ts": "ts", "author": "author", "text": "text",
                   "reach": "author_reach", "lang": "lang", "url": "url", "stream": "stream"}


def parse_mapping(spec: str | None) -> dict[str, str]:
    """Parse ``"text=body,ts=created_at"`` over the defaults.

    >>> parse_mapping("text=body")["text"], parse_mapping(None)["ts"]
    ('body', 'ts')
    """
    columns = dict(DEFAULT_COLUMNS)
    for part in filter(None, (spec or "").split(",")):
        key, _, col = part.partition("=")
        if key.strip() not in DEFAULT_COLUMNS or not col.strip():
            raise ValueError(f"bad column mapping {part!r}: use FIELD=COLUMN with FIELD in "
                             f"{', '.join(DEFAULT_COLUMNS)}")
        columns[key.strip()] = col.strip()
    return columns


class ReplaySource:
    """Read mentions from a file in batches.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.jsonl")
    >>> _ = open(path, "w").write('{"id": 1, "ts": "2026-01-01T10:00:00Z", "author": "a", '
    ...                           '"text": "ciao"}\\n{"id": 2}\\n')
    >>> r = ReplaySource("file", path, stream="s").fetch(None, datetime(2026, 1, 2))
    >>> len(r.mentions), r.rejected[0].reason, r.cursor, r.exhausted
    (1, 'missing text', '2', True)
    """

    def __init__(self, name: str, path: str | Path, stream: str,
                 columns: Mapping[str, str] | None = None, batch: int = 5_000,
                 fmt: str | None = None):
        self.name = name
        self.path = Path(path)
        self.stream = stream
        self.columns = dict(columns or DEFAULT_COLUMNS)
        self.batch = batch
        self.fmt = fmt or ("jsonl" if self.path.suffix.lower() in (".jsonl", ".ndjson") else "csv")
        self._rows: list[tuple[dict[str, Any] | None, str] | str] | None = None

    def _load(self) -> list[tuple[dict[str, Any] | None, str] | str]:
        # JSONL lines stay text until their batch is fetched: a parsed dict per row would
        # take several times the memory (about 1 GB for a million short mentions).
        if self._rows is None:
            try:
                with self.path.open(encoding="utf-8", errors="replace", newline="") as fh:
                    if self.fmt == "csv":
                        self._rows = [(dict(r), "") for r in csv.DictReader(fh)]
                    else:
                        self._rows = [line for line in fh if line.strip()]
            except OSError as exc:
                raise SourceError(f"cannot read {self.path}: {exc}") from None
        return self._rows

    def __len__(self) -> int:
        return len(self._load())

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        rows = self._load()
        start = int(cursor or 0)
        end = min(len(rows), start + self.batch)
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        for i in range(start, end):
            item = rows[i]
            line = item if isinstance(item, str) else None
            row, error = _json_line(item) if line is not None else item
            try:
                if row is None:
                    raise ValueError(error)
                mentions.append(self._mention(row, i, line.strip() if line else None))
            except (ValueError, TypeError) as exc:
                payload = json.dumps(row, default=str) if row is not None else error
                rejected.append(Rejected(payload=payload[:10_000], reason=str(exc)))
        return FetchResult(mentions, str(end), rejected, exhausted=end >= len(rows),
                           progress=(end, len(rows)))

    def _mention(self, row: Mapping[str, Any], index: int, raw: str | None = None) -> Mention:
        """The mention of one row; ``raw`` is the row's own JSON line (kept as it came)."""
        col = self.columns
        text = row.get(col["text"])
        if not isinstance(text, str) or not text.strip():
            raise ValueError("missing text")
        raw_ts = row.get(col["ts"])
        if raw_ts in (None, ""):
            raise ValueError("missing timestamp")
        try:
            ts = datetime.fromisoformat(str(raw_ts))
        except ValueError:
            raise ValueError(f"unreadable timestamp {str(raw_ts)[:40]!r}") from None
        ident = row.get(col["id"])
        reach = row.get(col["reach"]) or 0
        try:
            reach = int(float(reach))
        except (TypeError, ValueError):
            reach = 0
        lang = row.get(col["lang"]) or None
        return Mention(
            source=self.name,
            source_id=str(ident) if ident not in (None, "") else f"row-{index}",
            stream=str(row.get(col["stream"]) or self.stream),
            ts=ts,
            author=str(row.get(col["author"]) or "unknown"),
            text=text,
            author_reach=reach,
            url=row.get(col["url"]) or None,
            lang_hint=str(lang) if lang else None,
            raw=raw or json.dumps(row, default=str, ensure_ascii=False),
        )


def _json_line(line: str) -> tuple[dict[str, Any] | None, str]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg}"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    return value, ""
