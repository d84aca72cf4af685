"""Fault-injection suite: real subprocesses, DuckDB files, loopback servers.

Tests marked ``long`` (the full-scale kill test) are left out of the default run; select
them with ``python -m pytest tests/faults -m long``.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "long" in (config.getoption("markexpr") or ""):
        return
    keep = [i for i in items if i.get_closest_marker("long") is None]
    dropped = [i for i in items if i.get_closest_marker("long") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
