"""Reddit via praw, pointed at a loopback server replaying recorded listings."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sources_support import Reply, fixture, loopback, settings_with

from monitoring.config import ConfigError
from monitoring.monitor import Clock, Monitor
from monitoring.sources import build_source
from monitoring.sources.base import SourceError
from monitoring.sources.health import freshness
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
JSON = {"Content-Type": "application/json; charset=UTF-8", "x-ratelimit-remaining": "99.0",
        "x-ratelimit-used": "1", "x-ratelimit-reset": "300"}
SECRETS = {"SENTINELLA_TEST_REDDIT_ID": "app-id", "SENTINELLA_TEST_REDDIT_SECRET": "app-secret"}
NEW = "/r/italy/new"


def listing(name: str) -> Reply:
    return Reply(fixture(f"{name}.json"), headers=JSON)


def reddit_settings(url: str, **options):
    return settings_with({
        "name": "reddit", "kind": "reddit",
        "credentials": {"client_id": "SENTINELLA_TEST_REDDIT_ID",
                        "client_secret": "SENTINELLA_TEST_REDDIT_SECRET"},
        "options": {"subreddits": ["r/italy"], "oauth_url": url, "reddit_url": url,
                    **options}})


def token(srv) -> None:
    srv.add("/api/v1/access_token", listing("reddit_token"))


def source(settings):
    return build_source(settings.sources[0], settings, SECRETS)


def test_new_posts_are_paged_matched_and_a_malformed_one_quarantined():
    with loopback() as srv:
        token(srv)
        srv.add(NEW, listing("reddit_new_page1"), listing("reddit_new_page2"))
        result = source(reddit_settings(srv.url)).fetch(None, NOW)
        pages = srv.hits(NEW)
        auth = pages[0].headers["authorization"]
    assert [(m.source_id, m.stream) for m in result.mentions] == [
        ("t3_1j0005", "lumea"), ("t3_1j0003", "acme"), ("t3_1j0002", "lumea")]
    first = result.mentions[0]
    assert first.text == ("Lumea mi ha staccato il gas per errore\nPagavo regolarmente, ora "
                          "senza riscaldamento.")
    assert (first.author, first.ts) == ("u/giulia_r", datetime(2026, 3, 2, 10, 4, 50,
                                                               tzinfo=UTC))
    assert first.url == "https://www.reddit.com/r/italy/comments/1j0005/lumea_mi_ha_staccato/"
    [bad] = result.rejected
    assert bad.reason == "reddit: malformed item: item without created_utc"
    assert json.loads(bad.payload)["id"] == "1j0001"
    assert pages[1].query["after"] == ["t3_1j0004"] and auth == "bearer -reddit-app-token-abc"
    assert json.loads(result.cursor) == {"new:italy": {"ts": 1772445890.0,
                                                       "ids": ["t3_1j0005"]}}


def test_resume_after_restart_reads_back_to_the_cursor_only(tmp_path):
    with loopback() as srv:
        token(srv)
        srv.add(NEW, listing("reddit_new_page1"), listing("reddit_new_page2"),
                listing("reddit_new_newer"))
        settings = reddit_settings(srv.url)
        clock = Clock(speed=1e-9, start=NOW)
        store = Store(tmp_path / "db.duckdb")
        assert Monitor(settings, store, clock=clock, secrets=SECRETS).collect(
            "reddit").inserted == 3
        store.close()
        store = Store(tmp_path / "db.duckdb")
        again = Monitor(settings, store, clock=clock, secrets=SECRETS).collect("reddit")
        assert len(srv.hits(NEW)) == 3  # stopped at the stored post, no further page
    assert (again.received, again.inserted) == (1, 1)
    ids = [r[0] for r in store.reader().execute(
        "SELECT source_id FROM mentions ORDER BY ts").fetchall()]
    assert ids == ["t3_1j0002", "t3_1j0003", "t3_1j0005", "t3_1j0007"]


def test_more_new_items_than_max_items_is_reported_as_a_gap():
    with loopback() as srv:
        token(srv)
        srv.add(NEW, listing("reddit_new_newer"))
        cursor = json.dumps({"new:italy": {"ts": 1772445800.0, "ids": ["t3_old"]}})
        result = source(reddit_settings(srv.url, max_items=2)).fetch(cursor, NOW)
    assert "more than 2 new items since the last fetch" in result.detail


@pytest.mark.parametrize("reply,state,wait,text", [
    (Reply(b'{"message": "Too Many Requests", "error": 429}', 429,
           {"Content-Type": "application/json", "x-ratelimit-reset": "120"}),
     "rate_limited", 120.0, "rate limited by Reddit (HTTP 429)"),
    (Reply(b'{"message": "Too Many Requests", "error": 429}', 429,
           {"Content-Type": "application/json"}), "rate_limited", 900.0, "HTTP 429"),
    (Reply(b'{"reason": "private", "message": "Forbidden", "error": 403}', 403,
           {"Content-Type": "application/json"}),
     "failing", None, "Reddit refused access (HTTP 403)"),
])
def test_listing_errors(reply, state, wait, text):
    with loopback() as srv:
        token(srv)
        srv.add(NEW, reply)
        with pytest.raises(SourceError) as info:
            source(reddit_settings(srv.url)).fetch(None, NOW)
    assert (info.value.state, info.value.retry_after) == (state, wait)
    assert text in str(info.value)


def test_refused_app_credentials_are_failing_without_the_secret(tmp_path):
    with loopback() as srv:
        srv.add("/api/v1/access_token", Reply(b'{"error": "invalid_grant"}', 401,
                                              {"Content-Type": "application/json"}))
        clock = Clock(speed=1e-9, start=NOW)
        monitor = Monitor(reddit_settings(srv.url), Store(tmp_path / "db.duckdb"),
                          clock=clock, secrets=SECRETS)
        assert monitor.collect("reddit") is None
    [f] = freshness(monitor.store.source_status(), NOW, 15, ["reddit"])
    assert f.colour == "red" and "Reddit refused" in f.detail and "app-secret" not in f.detail


def test_missing_credentials_are_not_configured(tmp_path):
    monitor = Monitor(reddit_settings("http://127.0.0.1:9"), Store(tmp_path / "db.duckdb"))
    [f] = freshness(monitor.store.source_status(), NOW, 15, ["reddit"])
    assert (f.state, f.colour) == ("not_configured", "grey")
    assert "SENTINELLA_TEST_REDDIT_ID" in f.detail


def test_reddit_needs_subreddits_or_search():
    settings = reddit_settings("http://127.0.0.1:9", subreddits=[])
    with pytest.raises(ConfigError, match="'subreddits' or 'search'"):
        source(settings)


def test_items_older_than_max_age_end_the_read():
    with loopback() as srv:
        token(srv)
        srv.add(NEW, listing("reddit_new_page1"), listing("reddit_new_page2"))
        result = source(reddit_settings(srv.url, max_age_hours=0.01)).fetch(None, NOW)
    # 36 seconds: 10:04:50 and 10:04:30 are kept, 10:04:20 ends the listing
    assert [m.source_id for m in result.mentions] == ["t3_1j0005", "t3_1j0003"]
    assert result.rejected == []
