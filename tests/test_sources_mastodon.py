from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from sources_support import Reply, fixture, loopback, settings_with

from monitoring.config import ConfigError
from monitoring.monitor import Clock, Monitor
from monitoring.sources import build_source
from monitoring.sources.base import SourceError
from monitoring.sources.health import freshness
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
JSON = {"Content-Type": "application/json; charset=utf-8"}
TAG = "/api/v1/timelines/tag/lumea"


def page(name: str) -> Reply:
    return Reply(fixture(name), headers=JSON)


EMPTY = Reply(b"[]", headers=JSON)


def instance(srv) -> None:
    srv.add("/api/v2/instance/", page("mastodon_instance.json"))


def fedi_settings(url: str, **extra):
    options = {"instance": url, "hashtags": ["#lumea"], "page_size": 2, **extra.pop("options", {})}
    return settings_with({"name": "fedi", "kind": "mastodon", "streams": ["lumea"],
                          "options": options, **extra})


def source(settings, secrets=None):
    return build_source(settings.sources[0], settings, secrets)


def test_statuses_are_normalised_from_the_hashtag_timeline():
    with loopback() as srv:
        instance(srv)
        srv.add(TAG, page("mastodon_tag_page1.json"))
        result = source(fedi_settings(srv.url)).fetch(None, NOW)
    assert [m.source_id for m in result.mentions] == ["113900000000000103", "113900000000000102"]
    second = result.mentions[1]
    assert (second.author, second.author_reach, second.lang_hint) == (
        "@luca@social.example.it", 1250, "it")
    assert second.text == "La bolletta #Lumea di febbraio è il doppio del solito."
    assert second.reply_to == "113900000000000090"
    assert second.ts == datetime(2026, 3, 2, 9, 57, 40, tzinfo=UTC)
    assert second.url == "https://mastodon.example/@luca@social.example.it/113900000000000102"
    assert json.loads(second.raw)["reblogs_count"] == 3
    assert json.loads(result.cursor) == {"tag:lumea": "113900000000000103"}


def test_pages_forward_from_the_saved_id_until_caught_up():
    with loopback() as srv:
        instance(srv)
        srv.add(TAG, page("mastodon_tag_page1.json"), page("mastodon_tag_page2.json"), EMPTY)
        result = source(fedi_settings(srv.url)).fetch(
            json.dumps({"tag:lumea": "113900000000000101"}), NOW)
        asked = [h.query.get("min_id") for h in srv.hits(TAG)]
    # each request starts right after the newest id seen so far
    assert asked == [["113900000000000101"], ["113900000000000103"], ["113900000000000105"]]
    assert len(result.mentions) == 4
    assert json.loads(result.cursor) == {"tag:lumea": "113900000000000105"}


def test_resume_after_restart_without_gap_or_duplicate(tmp_path):
    with loopback() as srv:
        instance(srv)
        srv.add(TAG, page("mastodon_tag_page1.json"), page("mastodon_tag_page2.json"), EMPTY)
        settings = fedi_settings(srv.url)
        clock = Clock(speed=1e-9, start=NOW)
        store = Store(tmp_path / "db.duckdb")
        assert Monitor(settings, store, clock=clock).collect("fedi").inserted == 2
        store.close()
        store = Store(tmp_path / "db.duckdb")
        assert Monitor(settings, store, clock=clock).catch_up("fedi") == 2
        asked = [h.query.get("min_id") for h in srv.hits(TAG)]
    assert asked[:2] == [None, ["113900000000000103"]]
    ids = [r[0] for r in store.reader().execute(
        "SELECT source_id FROM mentions ORDER BY source_id").fetchall()]
    assert ids == [f"11390000000000010{i}" for i in (2, 3, 4, 5)]


def test_malformed_statuses_are_quarantined_and_the_batch_goes_on():
    with loopback() as srv:
        instance(srv)
        srv.add(TAG, page("mastodon_tag_malformed.json"), EMPTY)
        result = source(fedi_settings(srv.url)).fetch(
            json.dumps({"tag:lumea": "113900000000000104"}), NOW)
    assert [m.source_id for m in result.mentions] == ["113900000000000105"]
    assert [r.reason for r in result.rejected] == [
        "fedi: malformed status: status without account",
        "fedi: malformed status: missing or unreadable created_at"]
    assert json.loads(result.cursor) == {"tag:lumea": "113900000000000107"}


def _reset_in(seconds: int) -> str:
    t = datetime.now(UTC) + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.mark.parametrize("headers,low,high", [
    (None, 280, 300),  # X-RateLimit-Reset five minutes ahead
    ({}, 900, 900),    # no reset header: the default wait
])
def test_429_waits_until_the_instance_reset(headers, low, high):
    with loopback() as srv:
        instance(srv)
        hdrs = {"X-RateLimit-Reset": _reset_in(300), "X-RateLimit-Remaining": "0",
                "X-RateLimit-Limit": "300"} if headers is None else headers
        srv.add(TAG, Reply(b'{"error": "Too many requests"}', 429, {**JSON, **hdrs}))
        with pytest.raises(SourceError) as info:
            source(fedi_settings(srv.url)).fetch(None, NOW)
    assert info.value.state == "rate_limited"
    assert low <= info.value.retry_after <= high


def test_429_after_some_pages_keeps_them_and_resumes_from_there():
    with loopback() as srv:
        instance(srv)
        srv.add(TAG, page("mastodon_tag_page1.json"),
                Reply(b'{"error": "Too many requests"}', 429, JSON))
        result = source(fedi_settings(srv.url)).fetch(
            json.dumps({"tag:lumea": "113900000000000101"}), NOW)
    assert len(result.mentions) == 2 and result.state == "rate_limited"
    assert result.retry_after == 900
    assert json.loads(result.cursor) == {"tag:lumea": "113900000000000103"}


@pytest.mark.parametrize("status,text", [
    (401, "access refused (HTTP 401): check the access token"),
    (403, "HTTP 403: the token lacks the read scope"),
    (503, "answered HTTP 503"),
])
def test_refusals_mark_the_source_failing_with_the_reason(tmp_path, status, text):
    os.environ["SENTINELLA_TEST_MASTODON_TOKEN"] = "tok-abc123"
    try:
        with loopback() as srv:
            instance(srv)
            srv.add(TAG, Reply(b'{"error": "The access token is invalid"}', status, JSON))
            settings = fedi_settings(
                srv.url, credentials={"access_token": "SENTINELLA_TEST_MASTODON_TOKEN"})
            clock = Clock(speed=1e-9, start=NOW)
            monitor = Monitor(settings, Store(tmp_path / "db.duckdb"), clock=clock)
            assert monitor.collect("fedi") is None
            sent = srv.hits(TAG)[0].headers["authorization"]
    finally:
        del os.environ["SENTINELLA_TEST_MASTODON_TOKEN"]
    assert sent == "Bearer tok-abc123"
    [f] = freshness(monitor.store.source_status(), clock.now(), 15, ["fedi"])
    assert (f.state, f.colour) == ("failing", "red") and text in f.detail
    assert "tok-abc123" not in f.detail


def test_missing_token_is_not_configured_and_secrets_are_used(tmp_path):
    settings = fedi_settings("https://mastodon.example",
                             credentials={"access_token": "SENTINELLA_NO_SUCH_TOKEN"})
    monitor = Monitor(settings, Store(tmp_path / "db.duckdb"),
                      clock=Clock(speed=1e-9, start=NOW))
    assert "fedi" not in monitor.sources
    [f] = freshness(monitor.store.source_status(), NOW, 15, ["fedi"])
    assert (f.state, f.colour) == ("not_configured", "grey")
    assert "set SENTINELLA_NO_SUCH_TOKEN in the environment or in the secrets" in f.detail
    with_secret = Monitor(settings, Store(tmp_path / "db2.duckdb"),
                          secrets={"SENTINELLA_NO_SUCH_TOKEN": "tok"})
    assert "fedi" in with_secret.sources


@pytest.mark.parametrize("options,message", [
    ({"instance": "mastodon.social"}, "must be a URL"),
    ({"hashtags": []}, "at least one of the options 'hashtags' or 'search'"),
    ({"search": ["lumea"]}, "searching statuses needs an access token"),
    ({"page_size": 80}, "at most 40"),
])
def test_bad_mastodon_options_fail_loudly(options, message):
    with pytest.raises(ConfigError, match=message):
        source(fedi_settings("https://mastodon.example", options=options))
