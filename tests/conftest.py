from __future__ import annotations

import pytest

from monitoring.store import Store


@pytest.fixture
def fresh_db() -> Store:
    """A store with the schema on an in-memory DuckDB."""
    store = Store(":memory:")
    yield store
    store.close()
