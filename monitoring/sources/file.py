"""File import: CSV/JSONL exports and call-centre logs, with column mapping.

Builds on :class:`monitoring.sources.replay.ReplaySource` (the cursor is the number of
rows consumed, saved with the mentions, so an import resumes where it stopped) and adds
what real exports need: a BOM-tolerant reader, a chosen CSV delimiter (``;`` from Excel
in Italian locale), timestamps in a given ``strptime`` format or as epoch seconds, and
rejected rows numbered so that :func:`import_file` can write a report of them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Rejected, SourceError
from monitoring.sources.options import Options, default_stream
from monitoring.sources.replay import DEFAULT_COLUMNS, ReplaySource, _json_line

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig
    from monitoring.monitor import Monitor

OPTIONS = {"path", "format", "columns", "delimiter", "ts_format", "batch"}


class FileSource(ReplaySource):
    """A CSV/JSONL file of mentions, read in batches.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "calls.csv")
    >>> _ = open(path, "w", encoding="utf-8-sig").write(
    ...     "id;quando;nota\\n1;02/03/2026 10:15;Bolletta doppia\\n2;ieri;Nessuna luce\\n")
    >>> src = FileSource("calls", path, "lumea", {"ts": "quando", "text": "nota"},
    ...                  delimiter=";", ts_format="%d/%m/%Y %H:%M")
    >>> r = src.fetch(None, datetime(2026, 3, 3))
    >>> r.mentions[0].ts.isoformat(), r.rejected[0].reason
    ('2026-03-02T10:15:00+00:00', "row 2: unreadable timestamp 'ieri'")
    """

    def __init__(self, name: str, path: str | Path, stream: str,
                 columns: Mapping[str, str] | None = None, batch: int = 5_000,
                 fmt: str | None = None, delimiter: str = ",", ts_format: str | None = None):
        super().__init__(name, path, stream, {**DEFAULT_COLUMNS, **(columns or {})}, batch, fmt)
        self.delimiter = delimiter
        self.ts_format = ts_format
        self._bad_lines: dict[int, str] = {}

    def _load(self) -> list[tuple[dict[str, Any] | None, str]]:
        if self._rows is None:
            try:
                with self.path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
                    if self.fmt == "csv":
                        reader = csv.DictReader(fh, delimiter=self.delimiter)
                        self._rows = [(_csv_row(r), "") for r in reader]
                    else:
                        lines = [line for line in fh if line.strip()]
                        self._rows = [_json_line(line) for line in lines]
                        self._bad_lines = {i: lines[i] for i, (row, _) in enumerate(self._rows)
                                           if row is None}
            except OSError as exc:
                raise SourceError(f"cannot read {self.path}: {exc.strerror}") from None
        return self._rows

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        rows = self._load()
        try:
            start = int(cursor or 0)
        except ValueError:
            raise SourceError(f"{self.name}: unreadable cursor {str(cursor)[:40]!r}") from None
        end = min(len(rows), start + self.batch)
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        for i in range(start, end):
            row, error = rows[i]
            try:
                if row is None:
                    raise ValueError(error)
                mentions.append(self._mention(self._timestamp(row), i))
            except (ValueError, TypeError) as exc:
                payload = (json.dumps(row, default=str, ensure_ascii=False) if row is not None
                           else self._bad_lines.get(i, error))
                rejected.append(Rejected(payload=payload[:10_000], reason=f"row {i + 1}: {exc}"))
        return FetchResult(mentions, str(end), rejected, exhausted=end >= len(rows),
                           progress=(end, len(rows)))

    def _timestamp(self, row: dict[str, Any]) -> dict[str, Any]:
        """Normalise the timestamp column to ISO 8601 (UTC when the input has no zone)."""
        col = self.columns["ts"]
        raw = row.get(col)
        if raw in (None, "") or (self.ts_format is None and not _is_number(raw)):
            return row
        text = str(raw).strip()
        try:
            if _is_number(raw):
                ts = datetime.fromtimestamp(float(text), tz=UTC)
            else:
                ts = datetime.strptime(text, self.ts_format or "")
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"unreadable timestamp {text[:40]!r}") from None
        return {**row, col: ts.isoformat()}


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return str(value).strip().replace(".", "", 1).isdigit()


def _csv_row(row: dict[str | None, Any]) -> dict[str, Any]:
    """A CSV row with stripped header names; extra cells (a ``None`` key) are dropped."""
    return {k.strip(): v for k, v in row.items() if k is not None}


@dataclass(slots=True)
class ImportReport:
    """Outcome of :func:`import_file`.

    >>> ImportReport(rows=3, inserted=2, duplicates=0, rejected=[("row 3: missing text", "{}")]
    ...              ).summary()
    '3 rows: 2 imported, 0 already present, 1 rejected'
    """

    rows: int
    inserted: int
    duplicates: int
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.rows} rows: {self.inserted} imported, {self.duplicates} already present, "
                f"{len(self.rejected)} rejected")

    def write_rejected(self, path: str | Path) -> None:
        """Write the rejected rows as CSV (``reason``, ``row``: the input row as JSON)."""
        with Path(path).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["reason", "row"])
            writer.writerows(self.rejected)


def import_file(monitor: Monitor, source: FileSource,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Run a whole file through ``monitor`` (enrich, store, quarantine), resuming its cursor.

    ``progress(done, total)`` is called after each batch (CLI progress bar, settings page).
    """
    report = ImportReport(rows=len(source), inserted=0, duplicates=0)
    cursor = monitor.store.get_cursor(source.name)
    while True:
        now = datetime.now(UTC)
        result = source.fetch(cursor, now)
        outcome = monitor.store_fetch(source.name, result, now, health=False)
        report.inserted += outcome.inserted
        report.duplicates += outcome.duplicates
        report.rejected += [(r.reason, r.payload) for r in result.rejected]
        if progress is not None and result.progress is not None:
            progress(*result.progress)
        if result.exhausted or result.cursor == cursor:
            return report
        cursor = result.cursor


def from_config(cfg: SourceConfig, settings: Settings) -> FileSource:
    """Build a ``kind = "file"`` (or ``"replay"``) source.

    Options: ``path`` (required), ``format`` (csv | jsonl; default from the extension),
    ``columns`` (table FIELD = "column" over the defaults), ``delimiter`` (default ``,``),
    ``ts_format`` (``strptime`` format; default ISO 8601 or epoch seconds), ``batch``.
    """
    opts = Options(cfg, OPTIONS)
    columns = opts.mapping("columns", {})
    unknown = set(columns) - set(DEFAULT_COLUMNS)
    if unknown:
        raise opts.error(f"unknown column field(s) {sorted(unknown)}: use "
                         f"{', '.join(DEFAULT_COLUMNS)}")
    fmt = opts.str("format", "") or None
    if fmt not in (None, "csv", "jsonl"):
        raise opts.error(f"option 'format' must be csv or jsonl, not {fmt!r}")
    delimiter = opts.str("delimiter", ",")
    if len(delimiter) != 1:
        raise opts.error("option 'delimiter' must be one character")
    return FileSource(cfg.name, opts.str("path"), default_stream(cfg, settings), columns,
                      batch=opts.int("batch", 5_000, minimum=1), fmt=fmt, delimiter=delimiter,
                      ts_format=opts.str("ts_format", "") or None)
