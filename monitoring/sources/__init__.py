"""Collectors: one module per kind of source, all implementing :mod:`monitoring.sources.base`.

:func:`build_source` turns one ``[[sources]]`` entry of the settings into a collector.
Each source module exposes ``from_config(cfg, settings) -> Source``; the module is only
imported when a source of its kind is configured, so an optional client library that is
missing affects only that source.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from monitoring.sources.base import Source, SourceError

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

#: Source kind -> module under ``monitoring.sources`` that implements it.
SOURCE_MODULES: dict[str, str] = {
    "demo": "demo",
}


def build_source(cfg: SourceConfig, settings: Settings) -> Source:
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
    return import_module(f"monitoring.sources.{module}").from_config(cfg, settings)
