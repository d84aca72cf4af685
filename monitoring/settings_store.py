"""Settings edited from the dashboard: validated, kept as revisions, revertible.

The settings file stays the base.  An admin's edits are stored as **revisions** in the
``settings_revisions`` table: each revision's document holds the sections that differ
from the file (``streams``, ``sources``, ``departments``, ``contacts``, ``escalation``,
``thresholds``, ``app``), whole.  The **effective settings** are the file with the
latest revision's sections laid over it, validated by the same pydantic model as the
file, so a dashboard edit can never produce a configuration the file could not.
Reverting writes a new revision equal to an older one (or to the file alone), so the
history is never rewritten.  Every save and revert is audited.

A few settings need a restart (the database file, the bin width): they can only be
changed in the file.

Examples
--------
>>> from datetime import datetime
>>> from monitoring.auth import User
>>> from monitoring.config import load_settings
>>> from monitoring.store import Store
>>> store, base = Store(":memory:"), load_settings()
>>> admin = User("root", "admin")
>>> rev = save_settings(store, admin, base, {"app": {**base.model_dump(mode="json")["app"],
...                                                  "language": "en"}},
...                     now=datetime(2026, 3, 2, 10), note="English wall")
>>> effective_settings(store, base).app.language, rev.sections
('en', ['app'])
>>> _ = revert_settings(store, admin, base, 0, now=datetime(2026, 3, 2, 11))
>>> effective_settings(store, base).app.language
'it'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from monitoring.auth import User, require
from monitoring.config import ConfigError, Settings, parse_settings
from monitoring.sources.health import Freshness, freshness
from monitoring.store import Store, naive_utc

__all__ = [
    "SECTIONS",
    "SettingsError",
    "SettingsRevision",
    "effective_settings",
    "parse_section",
    "revert_settings",
    "revisions",
    "save_settings",
    "section_json",
    "source_status",
    "with_stream_edits",
]

#: Sections an admin may edit from the dashboard.
SECTIONS = ("streams", "sources", "departments", "contacts", "escalation", "thresholds", "app")
#: ``app`` fields that only take effect on restart: changed in the file only.
RESTART_ONLY = ("database", "bin_minutes")
MAX_NOTE_CHARS = 500
MAX_DOCUMENT_CHARS = 1_000_000

SQL_LATEST_REVISION = """
SELECT id, created_at, actor, document, note FROM settings_revisions ORDER BY id DESC LIMIT 1
"""
SQL_REVISION = "SELECT id, created_at, actor, document, note FROM settings_revisions WHERE id = ?"
SQL_REVISIONS = """
SELECT id, created_at, actor, note, document FROM settings_revisions ORDER BY id DESC LIMIT ?
"""
SQL_INSERT_REVISION = """
INSERT INTO settings_revisions (created_at, actor, document, note) VALUES (?, ?, ?, ?)
RETURNING id
"""


class SettingsError(ValueError):
    """A settings edit that cannot be saved (invalid, restart-only, nothing changed)."""


@dataclass(frozen=True, slots=True)
class SettingsRevision:
    """A saved revision: its id, the sections it overrides, and the settings it gives."""

    id: int
    sections: list[str]
    settings: Settings


def _base_document(base: Settings) -> dict[str, Any]:
    return base.model_dump(mode="json")


def _overrides(store: Store) -> tuple[int, dict[str, Any]]:
    row = store.reader().execute(SQL_LATEST_REVISION).fetchone()
    if row is None:
        return 0, {}
    return int(row[0]), json.loads(row[3])


def _merge(base: Settings, overrides: Mapping[str, Any], origin: str) -> Settings:
    document = _base_document(base)
    document.update({k: v for k, v in overrides.items() if k in SECTIONS})
    return parse_settings(document, origin)


def effective_settings(store: Store, base: Settings) -> Settings:
    """The file's settings with the latest revision laid over them.

    Raises :class:`~monitoring.config.ConfigError` (naming the revision) when the latest
    revision is no longer valid against the file, e.g. after a stream was removed there.
    """
    rev_id, overrides = _overrides(store)
    return _merge(base, overrides, f"settings revision {rev_id}") if rev_id else base


def section_json(settings: Settings, section: str) -> str:
    """One section as indented JSON, for the settings page's editor.

    >>> from monitoring.config import load_settings
    >>> '"sensitivity": "normal"' in section_json(load_settings(), "streams")
    True
    """
    if section not in SECTIONS:
        raise SettingsError(f"unknown settings section {section!r}")
    return json.dumps(_base_document(settings)[section], indent=2, ensure_ascii=False)


def _store_revision(store: Store, user: User, overrides: dict[str, Any],
                    action: str, detail: dict[str, Any], note: str, now: datetime) -> int:
    document = json.dumps(overrides, ensure_ascii=False, sort_keys=True)
    if len(document) > MAX_DOCUMENT_CHARS:
        raise SettingsError("the settings are too large")
    with store.transaction() as cur:
        rev_id = int(cur.execute(SQL_INSERT_REVISION, [
            naive_utc(now), user.username, document,
            (note or "").strip()[:MAX_NOTE_CHARS] or None]).fetchone()[0])
        store.audit(cur, user.username, action, "settings", rev_id, detail, now)
    return rev_id


def save_settings(store: Store, user: User, base: Settings, changes: Mapping[str, Any], *,
                  now: datetime, note: str = "") -> SettingsRevision:
    """Validate and save edited sections as a new revision (admin only).

    ``changes`` maps section names to their whole new value (as in the file).  Raises
    :class:`SettingsError` for an unknown section, a restart-only change or no change,
    and :class:`~monitoring.config.ConfigError` (field-named) for invalid settings.
    """
    require(user, "admin")
    unknown = sorted(set(changes) - set(SECTIONS))
    if unknown:
        raise SettingsError(f"unknown settings section(s): {', '.join(unknown)}")
    base_doc = _base_document(base)
    _, overrides = _overrides(store)
    current = dict(base_doc, **overrides)
    if "app" in changes:
        for key in RESTART_ONLY:
            if dict(changes["app"]).get(key, current["app"][key]) != current["app"][key]:
                raise SettingsError(f"app.{key} needs a restart: change it in the settings file")
    merged = dict(current, **{k: changes[k] for k in changes})
    settings = parse_settings(merged, "edited settings")
    normal = _base_document(settings)           # validated, defaults filled in
    before = _base_document(_merge(base, overrides, "current settings"))
    changed = [s for s in SECTIONS if normal[s] != before[s]]
    if not changed:
        raise SettingsError("nothing changed")
    new_overrides = {s: normal[s] for s in SECTIONS if normal[s] != base_doc[s]}
    rev_id = _store_revision(store, user, new_overrides, "settings.save",
                             {"sections": changed}, note, now)
    return SettingsRevision(rev_id, sorted(new_overrides), settings)


def revert_settings(store: Store, user: User, base: Settings, revision_id: int, *,
                    now: datetime) -> SettingsRevision:
    """Make an older revision (``0``: the file alone) current again, as a new revision."""
    require(user, "admin")
    if revision_id:
        row = store.reader().execute(SQL_REVISION, [int(revision_id)]).fetchone()
        if row is None:
            raise SettingsError(f"settings revision {revision_id} does not exist")
        overrides = json.loads(row[3])
    else:
        overrides = {}
    try:
        settings = _merge(base, overrides, f"settings revision {revision_id}")
    except ConfigError as exc:
        raise SettingsError(f"revision {revision_id} is not valid with the current file: "
                            f"{exc}") from None
    rev_id = _store_revision(store, user, overrides, "settings.revert",
                             {"to": int(revision_id)}, f"revert to {revision_id}", now)
    return SettingsRevision(rev_id, sorted(overrides), settings)


def revisions(store: Store, limit: int = 50) -> pd.DataFrame:
    """Latest revisions first: ``id, created_at, actor, note, sections``."""
    frame = store.reader().execute(SQL_REVISIONS, [int(limit)]).df()
    frame["sections"] = [", ".join(sorted(json.loads(d))) for d in frame["document"]]
    return frame.drop(columns=["document"])


def source_status(store: Store, settings: Settings, now: datetime) -> list[Freshness]:
    """Each configured source's freshness (what the settings page lists)."""
    return freshness(store.source_health(), now, settings.app.silent_after_minutes,
                     settings.sources)


def parse_section(section: str, text: str) -> Any:
    """Parse the JSON of one section from the editor (errors name the section).

    >>> parse_section("streams", "[1,")
    Traceback (most recent call last):
    ...
    monitoring.settings_store.SettingsError: streams: invalid JSON (line 1, column 4)
    """
    if section not in SECTIONS:
        raise SettingsError(f"unknown settings section {section!r}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{section}: invalid JSON (line {exc.lineno}, column {exc.colno})"
                            ) from None


def with_stream_edits(settings: Settings, edits: Sequence[Mapping[str, Any]]) -> list[dict]:
    """The ``streams`` section with each stream's keywords and sensitivity replaced.

    ``edits`` rows: ``id``, ``keywords`` (comma-separated text or list), ``sensitivity``.

    >>> from monitoring.config import load_settings
    >>> s = load_settings()
    >>> with_stream_edits(s, [{"id": "lumea", "keywords": "lumea, luce ",
    ...                        "sensitivity": "high"}])[0]["keywords"]
    ['lumea', 'luce']
    """
    by_id = {e["id"]: e for e in edits}
    out = []
    for stream in _base_document(settings)["streams"]:
        edit = by_id.get(stream["id"])
        if edit:
            words = edit.get("keywords", stream["keywords"])
            if isinstance(words, str):
                words = [w.strip() for w in words.split(",")]
            stream = dict(stream, keywords=[w for w in words if w],
                          sensitivity=edit.get("sensitivity", stream["sensitivity"]))
        out.append(stream)
    return out
