"""Config loading: any file gives Settings or a ConfigError naming the problem, never a traceback."""

from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from monitoring.config import DEFAULT_CONFIG, ConfigError, Settings, load_settings, parse_settings
from tests.fuzz.strategies import json_value

DEMO = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


DEMO_PATHS = [p for p in _paths(DEMO) if p]


def _mutate(doc, path, value, delete):
    import copy

    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def _valid_or_clear(load) -> None:
    try:
        assert isinstance(load(), Settings)
    except ConfigError as exc:
        message = str(exc)
        assert message and "Traceback" not in message


@given(st.lists(st.tuples(st.sampled_from(DEMO_PATHS), json_value, st.booleans()),
                min_size=1, max_size=4))
def test_mutated_demo_settings_load_or_fail_clearly(mutations):
    doc = DEMO
    for path, value, delete in mutations:
        try:
            doc = _mutate(doc, path, value, delete)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    _valid_or_clear(lambda: parse_settings(doc))


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(
    lambda b: b.decode("utf-8", errors="replace"))))
def test_random_files_load_or_fail_clearly(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "settings.toml"
    path.write_text(text, encoding="utf-8")
    _valid_or_clear(lambda: load_settings(path))


@given(st.binary(min_size=1, max_size=100))
def test_undecodable_files_fail_clearly(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "settings.toml"
    path.write_bytes(b"\xff\xfe" + data)
    _valid_or_clear(lambda: load_settings(path))
