from __future__ import annotations

import pytest

from monitoring.store import Store


@pytest.fixture
def fresh_db() -> Store:
    """A store with the schema on an in-memory DuckDB."""
    store = Store(":memory:")
    yield store
    store.close()


# Hypothesis profiles for tests/fuzz: "suite" (the default run, a modest number of
# examples) and "deep" (python -m pytest tests/fuzz -m fuzz, or --hypothesis-profile=deep).
from hypothesis import HealthCheck, settings

settings.register_profile("suite", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=2_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])


def pytest_configure(config: pytest.Config) -> None:
    chosen = config.getoption("hypothesis_profile", None)
    if chosen is None:
        deep = (config.getoption("markexpr") or "").strip() == "fuzz"
        settings.load_profile("deep" if deep else "suite")
