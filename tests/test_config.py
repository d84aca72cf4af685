from __future__ import annotations

import pytest

from monitoring.config import ConfigError, load_settings, parse_settings

BASE = {"streams": [{"id": "acme", "name": "ACME", "keywords": ["acme"]}]}


def test_demo_settings_load():
    s = load_settings()
    assert s.stream("lumea").name == "Lumea Energia"
    assert any(d.default for d in s.departments)


@pytest.mark.parametrize("patch,needle", [
    ({"streams": [{"id": "Bad Id", "name": "x", "keywords": ["x"]}]}, "streams.0.id"),
    ({"sources": [{"name": "s", "kind": "demo", "streams": ["nope"]}]}, "unknown stream 'nope'"),
    ({"sources": [{"name": "s", "kind": "x", "credentials": {"token": "abc123secret"}}]},
     "never go in the settings file"),
    ({"app": {"bin_minutes": 0}}, "app.bin_minutes"),
    ({"app": {"timezone": "Mars/Base"}}, "unknown time zone"),
    ({"sources": [{"name": "s", "kind": "telepathy"}]}, "sources.0.kind"),
])
def test_invalid_settings_name_the_field(patch, needle):
    with pytest.raises(ConfigError) as exc:
        parse_settings({**BASE, **patch})
    assert needle in str(exc.value)


def test_bad_toml(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text("[app\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(p)
