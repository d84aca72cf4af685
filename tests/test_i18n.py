from __future__ import annotations

import re
import string
from datetime import datetime, timedelta

import pytest

from monitoring.i18n import LANGUAGES, Translator, load_catalog

CATALOG = load_catalog()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_message_has_both_languages_with_the_same_placeholders(key):
    texts = CATALOG[key]
    assert set(texts) == set(LANGUAGES), f"{key}: languages {sorted(texts)}"
    assert all(t.strip() for t in texts.values()), f"{key}: empty text"
    assert _fields(texts["it"]) == _fields(texts["en"]), key


def test_keys_are_dotted_lowercase_names():
    bad = [k for k in CATALOG if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", k)]
    assert bad == []


@pytest.mark.parametrize(("lang", "number", "percent", "when"), [
    ("it", "12.345,7", "38%", "02/03/26, 10:05"),
    ("en", "12,345.7", "38%", "3/2/26, 10:05\u202fAM"),
])
def test_formats_follow_the_language(lang, number, percent, when):
    tr = Translator(lang, "Europe/Rome")
    assert tr.number(12345.67, 1) == number
    assert tr.percent(0.38) == percent
    assert tr.datetime(datetime(2026, 3, 2, 9, 5)) == when
    assert tr.time(datetime(2026, 7, 2, 9, 5)) == "11:05"  # summer time


def test_missing_key_shows_the_key_or_raises_when_strict():
    assert Translator("it")("no.such_key") == "no.such_key"
    with pytest.raises(KeyError):
        Translator("it", strict=True)("no.such_key")


def test_unknown_language_falls_back_to_english():
    assert Translator("de")("kind.service_incident") == "Service incident"
    assert Translator("it").duration(timedelta(hours=2)) == "2 ore"


def test_duplicate_key_across_catalogs_is_an_error(tmp_path):
    (tmp_path / "a.toml").write_text('"x.y" = { it = "a", en = "a" }\n')
    (tmp_path / "b.toml").write_text('"x.y" = { it = "b", en = "b" }\n')
    with pytest.raises(ValueError, match="already defined"):
        load_catalog.__wrapped__(tmp_path)
