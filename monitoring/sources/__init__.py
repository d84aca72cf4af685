"""Collectors: one module per kind of source, all implementing :mod:`monitoring.sources.base`.

:func:`build_source` turns one ``[[sources]]`` entry of the settings into a collector.
Each source module exposes ``from_config(cfg, settings[, secrets]) -> Source``; the module
is only imported when a source of its kind is configured, so an optional client library
that is missing affects only that source.  Credentials come from the environment or from
``secrets`` (e.g. Streamlit secrets), never from the settings file.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

from monitoring.sources.base import Source, SourceError

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

#: Source kind -> module under ``monitoring.sources`` that implements it.
SOURCE_MODULES: dict[str, str] = {
    "demo": "demo",
    "replay": "file",
    "file": "file",
    "rss": "rss",
    "mastodon": "mastodon",
    "x": "x",
    "bluesky": "bluesky",
    "reddit": "reddit",
    "imap": "imap",
}


def build_source(cfg: SourceConfig, settings: Settings,
                 secrets: Mapping[str, Any] | None = None) -> Source:
    """Instantiate the collector for one configured source.

    Raises :class:`SourceError` (``state="not_configured"``) when the kind is not
    available or its credentials are missing, so the monitor shows the source as
    "not configured" instead of crashing.

    >>> from monitoring.config import load_settings
    >>> s = load_settings()
    >>> build_source(s.sources[0], s).name
    'demo'
    """
    module = SOURCE_MODULES.get(cfg.kind)
    if module is None:
        raise SourceError(f"source {cfg.name!r}: kind {cfg.kind!r} is not available in this "
                          "version", state="not_configured")
    try:
        factory = import_module(f"monitoring.sources.{module}").from_config
    except ImportError as exc:
        raise SourceError(f"source {cfg.name!r}: the client library for {cfg.kind!r} is not "
                          f"installed ({exc.name})", state="not_configured") from None
    if len(inspect.signature(factory).parameters) >= 3:
        return factory(cfg, settings, secrets)
    return factory(cfg, settings)
