"""Collectors: one module per kind of source, all implementing :mod:`monitoring.sources.base`."""
