"""Corrections from the team: an operator's category, sentiment or department for a mention.

Labels are kept with who and when (``labels`` table, plus an audit row in the same
transaction); ``python -m monitoring train`` learns from them.  The mention itself is
updated too, so the queues show the corrected value at once.  Labels can also be
imported from a CSV file (:func:`import_labels_csv`); :func:`train` fits the light text
model (:class:`~monitoring.enrich.learned.TextModel`) on them, one file per field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from monitoring.store import Store, naive_utc

#: Fields an operator may correct, with the values each accepts (None = any non-empty).
FIELDS: dict[str, frozenset[str] | None] = {
    "category": frozenset({"request", "polemic", "praise", "other"}),
    "sentiment": frozenset({"negative", "neutral", "positive"}),
    "department": None,
}
_MENTION_COLUMN = {"category": "category", "sentiment": "sentiment_label",
                   "department": "department"}

SQL_MENTION_TEXT_FOR_LABEL = "SELECT text FROM mentions WHERE source = ? AND source_id = ?"
SQL_INSERT_LABEL = """
INSERT INTO labels (source, source_id, text, field, value, actor, created_at, origin)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
"""
SQL_UPDATE_MENTION_LABEL = {
    field: f"UPDATE mentions SET {column} = ? WHERE source = ? AND source_id = ?"
    for field, column in _MENTION_COLUMN.items()
}


class LabelError(ValueError):
    """A label that cannot be recorded (unknown field, bad value, unknown mention)."""


def record_label(store: Store, source: str, source_id: str, field: str, value: str,
                 actor: str, now: datetime, origin: str = "operator") -> int:
    """Record one correction and apply it to the mention; returns the label id.

    >>> from monitoring.store import Store
    >>> record_label(Store(), "x", "1", "mood", "sad", "anna", datetime(2026, 1, 1))
    Traceback (most recent call last):
    ...
    monitoring.labels.LabelError: cannot label field 'mood' (category, sentiment, department)
    """
    value = _check_value(field, value)
    with store.transaction() as cur:
        row = cur.execute(SQL_MENTION_TEXT_FOR_LABEL, [source, source_id]).fetchone()
        if row is None:
            raise LabelError(f"no mention {source}/{source_id}")
        label_id = cur.execute(SQL_INSERT_LABEL, [source, source_id, row[0], field, value, actor,
                                                  naive_utc(now), origin]).fetchone()[0]
        cur.execute(SQL_UPDATE_MENTION_LABEL[field], [value, source, source_id])
        store.audit(cur, actor, f"label.{field}", "mention", f"{source}/{source_id}",
                    {"value": value, "origin": origin}, now)
    return int(label_id)


# -- import from CSV ----------------------------------------------------------------------

#: Rows read from one CSV file at most (a bigger file is refused, not truncated silently).
MAX_IMPORT_ROWS = 200_000
#: Characters of a label's text kept (the text the model learns from).
MAX_LABEL_TEXT_CHARS = 4_000

SQL_MENTION_KEYS_FOR_IMPORT = "SELECT source, source_id, text FROM mentions WHERE source = ?"
SQL_INSERT_IMPORTED_LABEL = """
INSERT INTO labels (source, source_id, text, field, value, actor, created_at, origin)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
SQL_LATEST_LABELS = """
SELECT text, value FROM (
    SELECT text, value, row_number() OVER (
        PARTITION BY coalesce(source || '/' || source_id, text) ORDER BY created_at DESC, id DESC
    ) AS k
    FROM labels WHERE field = ? AND text IS NOT NULL AND text <> ''
) WHERE k = 1
"""


@dataclass(slots=True)
class ImportReport:
    """Outcome of :func:`import_labels_csv`.

    ``rejected`` holds ``(line number, reason)`` for each row not imported.

    >>> ImportReport(3, [(5, "sentiment cannot be 'meh'")]).summary()
    "3 labels imported, 1 row rejected (line 5: sentiment cannot be 'meh')"
    """

    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self, shown: int = 5) -> str:
        """One line for people: counts and the first rejections."""
        n = len(self.rejected)
        text = f"{self.imported} labels imported, {n} row{'s' if n != 1 else ''} rejected"
        if n:
            text += " (" + "; ".join(f"line {i}: {why}" for i, why in self.rejected[:shown])
            text += "; …)" if n > shown else ")"
        return text


def _check_value(field_name: str, value: str) -> str:
    allowed = FIELDS.get(field_name, ())
    if allowed == ():
        raise LabelError(f"cannot label field {field_name!r} ({', '.join(FIELDS)})")
    value = (value or "").strip()
    if not value or (allowed is not None and value not in allowed):
        raise LabelError(f"{field_name} cannot be {value!r}"
                         + (f" ({', '.join(sorted(allowed))})" if allowed else ""))
    return value


def import_labels_csv(store: Store, path: Path | str, user: str,
                      now: datetime | None = None) -> ImportReport:
    """Import labels from a CSV file, as ``user``, in one transaction with one audit row.

    Columns: ``field`` and ``value`` (or a column named after the field, e.g. ``category``,
    for a file labelling one field), and either ``source`` + ``source_id`` of a stored
    mention (the mention is corrected too) or the labelled ``text`` itself.  Bad rows are
    rejected with their reason; a file without the needed columns raises
    :class:`LabelError`.

    >>> import tempfile, os
    >>> from monitoring.store import Store
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +ELLIPSIS
    ...     p = os.path.join(d, "l.csv")
    ...     _ = open(p, "w").write("text,sentiment\\nbad service,negative\\nok,meh\\n")
    ...     import_labels_csv(Store(), p, "anna", datetime(2026, 1, 1)).summary()
    "1 labels imported, 1 row rejected (line 3: sentiment cannot be 'meh' (negative, ...))"
    """
    now = now or datetime.now(UTC)
    path = Path(path)
    report = ImportReport()
    rows: list[list] = []
    mentions: dict[str, dict[str, str]] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = {c.strip().lower(): c for c in reader.fieldnames or []}
        fixed = [c for c in FIELDS if c in columns and "field" not in columns]
        if not ({"field", "value"} <= columns.keys() or len(fixed) == 1):
            raise LabelError(f"{path}: needs columns field,value or one of "
                             f"{', '.join(FIELDS)} (found: {', '.join(columns) or 'none'})")
        if not ("text" in columns or {"source", "source_id"} <= columns.keys()):
            raise LabelError(f"{path}: needs a text column or source,source_id columns")
        for line, row in enumerate(reader, start=2):
            if line - 1 > MAX_IMPORT_ROWS:
                raise LabelError(f"{path}: more than {MAX_IMPORT_ROWS} rows; split the file")

            def get(name: str, row: dict = row) -> str:
                return (row.get(columns.get(name, ""), "") or "").strip()

            try:
                field_name = fixed[0] if fixed else get("field")
                value = _check_value(field_name, get(fixed[0] if fixed else "value"))
                source, source_id, text = get("source"), get("source_id"), get("text")
                if source and source_id:
                    if source not in mentions:
                        mentions[source] = {
                            sid: t for _, sid, t in store.reader().execute(
                                SQL_MENTION_KEYS_FOR_IMPORT, [source]).fetchall()}
                    if source_id not in mentions[source]:
                        raise LabelError(f"no mention {source}/{source_id}")
                    text = mentions[source][source_id]
                elif not text:
                    raise LabelError("no text and no source/source_id")
                else:
                    source = source_id = None
                rows.append([source, source_id, text[:MAX_LABEL_TEXT_CHARS], field_name, value,
                             user, naive_utc(now), "import"])
            except LabelError as exc:
                report.rejected.append((line, str(exc)))
    with store.transaction() as cur:
        for row in rows:
            cur.execute(SQL_INSERT_IMPORTED_LABEL, row)
            if row[0] is not None:
                cur.execute(SQL_UPDATE_MENTION_LABEL[row[3]], [row[4], row[0], row[1]])
        store.audit(cur, user, "labels.import", "file", path.name,
                    {"imported": len(rows), "rejected": len(report.rejected)}, now)
    report.imported = len(rows)
    return report


# -- training -------------------------------------------------------------------------------

#: Labels of a field needed before a model is trained on it.
MIN_TRAIN_LABELS = 20


def model_path(models_dir: Path | str, field_name: str) -> Path:
    """Where the model learned for ``field_name`` is kept.

    >>> model_path("data", "category").as_posix()
    'data/model_category.joblib'
    """
    return Path(models_dir) / f"model_{field_name}.joblib"


@dataclass(slots=True)
class TrainReport:
    """What :func:`train` did for one field: labels used, classes, file written."""

    field: str
    labels: int
    classes: list[str]
    path: Path | None
    skipped: str = ""


def stored_labels(store: Store, field_name: str) -> tuple[list[str], list[str]]:
    """Texts and values of ``field_name``'s labels, the latest per mention (or text)."""
    if field_name not in FIELDS:
        raise LabelError(f"cannot label field {field_name!r} ({', '.join(FIELDS)})")
    rows = store.reader().execute(SQL_LATEST_LABELS, [field_name]).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def train(store: Store, field_name: str, models_dir: Path | str) -> TrainReport:
    """Fit the light text model on the stored labels of one field and save it.

    A field with fewer than :data:`MIN_TRAIN_LABELS` labels or a single value is skipped
    (``skipped`` says why) and any older model file is left as it is.
    """
    from monitoring.enrich.learned import TextModel

    texts, values = stored_labels(store, field_name)
    classes = sorted(set(values))
    if len(texts) < MIN_TRAIN_LABELS or len(classes) < 2:
        why = (f"{len(texts)} labels (at least {MIN_TRAIN_LABELS} needed)"
               if len(texts) < MIN_TRAIN_LABELS else f"only one value ({classes[0]})")
        return TrainReport(field_name, len(texts), classes, None, why)
    path = model_path(models_dir, field_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    TextModel().fit(texts, values).save(tmp)
    tmp.replace(path)  # readers never see a half-written model
    return TrainReport(field_name, len(texts), classes, path)
