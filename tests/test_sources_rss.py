from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sources_support import Reply, fixture, loopback, settings_with

from monitoring.monitor import Clock, Monitor
from monitoring.sources import build_source
from monitoring.sources.base import SourceError
from monitoring.sources.health import freshness
from monitoring.sources.rss import RssSource
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RSS = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"v1"',
       "Last-Modified": "Mon, 02 Mar 2026 09:40:00 GMT"}
ATOM = {"Content-Type": "application/atom+xml"}


def rss_settings(url: str, **options):
    return settings_with({"name": "forum", "kind": "rss", "streams": ["lumea"],
                          "options": {"urls": [url], **options}})


def source_for(settings) -> RssSource:
    return build_source(settings.sources[0], settings)


def test_rss_entries_are_normalised_and_an_empty_entry_is_quarantined():
    with loopback() as srv:
        srv.add("/feed.rss", Reply(fixture("rss_forum.xml"), headers=RSS))
        result = source_for(rss_settings(srv.url + "/feed.rss")).fetch(None, NOW)
    assert [m.source_id for m in result.mentions] == ["forum-8812", "forum-8810", "forum-8790"]
    first = result.mentions[0]
    assert first.ts == datetime(2026, 3, 2, 9, 35, tzinfo=UTC)
    assert first.author == "giulia_rossi" and first.lang_hint == "it"
    assert first.url == "https://forum.example.it/t/lumea-addebito-doppio/8812"
    assert first.text.startswith("Lumea mi ha addebitato due volte la bolletta\nBuongiorno")
    assert "<b>" not in first.text and first.stream == "lumea"
    [bad] = result.rejected
    assert "entry has no title and no text" in bad.reason and "forum-8789" in bad.payload


def test_unchanged_feed_costs_a_304_and_validators_are_sent():
    with loopback() as srv:
        srv.add("/feed.rss", Reply(fixture("rss_forum.xml"), headers=RSS),
                Reply(b"", 304))
        src = source_for(rss_settings(srv.url + "/feed.rss"))
        first = src.fetch(None, NOW)
        second = src.fetch(first.cursor, NOW)
        sent = srv.hits("/feed.rss")[1].headers
    assert second.mentions == [] and second.rejected == []
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 02 Mar 2026 09:40:00 GMT"
    assert json.loads(second.cursor) == json.loads(first.cursor)


def test_resume_after_restart_without_gap_or_duplicate(tmp_path):
    newer = fixture("rss_forum.xml").replace(
        b"<item>", b"<item><title>Lumea: app di nuovo ko</title><guid>forum-8820</guid>"
        b"<pubDate>Mon, 02 Mar 2026 10:50:00 +0100</pubDate></item><item>", 1)
    with loopback() as srv:
        srv.add("/feed.rss", Reply(fixture("rss_forum.xml"), headers=RSS),
                Reply(newer, headers={**RSS, "ETag": '"v2"'}))
        settings = rss_settings(srv.url + "/feed.rss")
        clock = Clock(speed=1e-9, start=NOW)
        store = Store(tmp_path / "db.duckdb")
        assert Monitor(settings, store, clock=clock).collect("forum").inserted == 3
        store.close()
        store = Store(tmp_path / "db.duckdb")
        outcome = Monitor(settings, store, clock=clock).collect("forum")
        assert srv.hits("/feed.rss")[1].headers["if-none-match"] == '"v1"'
    assert (outcome.received, outcome.inserted) == (1, 1)
    ids = [r[0] for r in store.reader().execute(
        "SELECT source_id FROM mentions ORDER BY source_id").fetchall()]
    assert ids == ["forum-8790", "forum-8810", "forum-8812", "forum-8820"]
    assert store.quarantined("forum") == 1  # the empty entry, only when first seen


def test_keyword_matching_puts_news_in_the_right_stream():
    with loopback() as srv:
        srv.add("/atom.xml", Reply(fixture("atom_news.xml"), headers=ATOM))
        settings = settings_with({"name": "news", "kind": "rss",
                                  "options": {"urls": [srv.url + "/atom.xml"],
                                              "match_keywords": True}})
        result = source_for(settings).fetch(None, NOW)
    [m] = result.mentions
    assert (m.stream, m.author, m.lang_hint) == ("acme", "Claire Reports", "en")
    assert m.ts == datetime(2026, 3, 2, 9, 55, tzinfo=UTC)
    assert m.text == ("ACME Energy fined over billing errors\nThe regulator fined ACME after "
                      "thousands of duplicate bills.")


def test_a_broken_feed_is_quarantined_and_the_other_feeds_go_on():
    with loopback() as srv:
        srv.add("/down", Reply(b"<html><body>Service temporarily unavailable</body></html>",
                               headers={"Content-Type": "text/html"}))
        srv.add("/atom.xml", Reply(fixture("atom_news.xml"), headers=ATOM))
        settings = settings_with({"name": "news", "kind": "rss", "streams": ["acme"],
                                  "options": {"urls": [srv.url + "/down",
                                                       srv.url + "/atom.xml"]}})
        result = source_for(settings).fetch(None, NOW)
    assert len(result.mentions) == 2
    [bad] = result.rejected
    assert bad.reason.startswith(f"news: feed {srv.url}/down: not a readable feed")
    assert "Service temporarily unavailable" in bad.payload


@pytest.mark.parametrize("reply,state,wait,text", [
    (Reply(b"no", 401), "failing", None, "access refused by {url}/feed.rss (HTTP 401)"),
    (Reply(b"no", 403), "failing", None, "(HTTP 403): check the credentials"),
    (Reply(b"slow down", 429, {"Retry-After": "120"}), "rate_limited", 120.0, "HTTP 429"),
    (Reply(b"slow down", 429), "rate_limited", 900.0, "HTTP 429"),
    (Reply(b"oops", 503), "failing", None, "answered HTTP 503"),
])
def test_http_errors_become_clear_source_errors(reply, state, wait, text):
    with loopback() as srv:
        srv.add("/feed.rss", reply)
        with pytest.raises(SourceError) as info:
            source_for(rss_settings(srv.url + "/feed.rss?key=SECRETKEY")).fetch(None, NOW)
    assert (info.value.state, info.value.retry_after) == (state, wait)
    assert text.format(url=srv.url) in str(info.value)
    assert "SECRETKEY" not in str(info.value)


def test_a_rate_limited_feed_shows_orange_then_resumes(tmp_path):
    with loopback() as srv:
        srv.add("/feed.rss", Reply(b"", 429, {"Retry-After": "60"}),
                Reply(fixture("rss_forum.xml"), headers=RSS))
        settings = rss_settings(srv.url + "/feed.rss")
        clock = Clock(speed=1e-9, start=NOW)
        monitor = Monitor(settings, Store(tmp_path / "db.duckdb"), clock=clock)
        assert monitor.catch_up("forum") == 0
        [f] = freshness(monitor.store.source_status(), clock.now(), 15, ["forum"])
        assert (f.state, f.colour) == ("rate_limited", "orange") and "HTTP 429" in f.detail
        assert monitor.catch_up("forum") == 0 and len(srv.hits("/feed.rss")) == 1
        clock.start = NOW.replace(minute=1, second=1)
        assert monitor.catch_up("forum") == 3
    [f] = freshness(monitor.store.source_status(), clock.now(), 15, ["forum"])
    assert f.colour == "green"


@pytest.mark.parametrize("options,message", [
    ({}, "option 'urls' is required"),
    ({"urls": ["ftp://x/feed"]}, "must start with http:// or https://"),
    ({"urls": ["http://x/feed"], "match_keywords": "yes"}, "must be true or false"),
])
def test_bad_rss_options_fail_loudly(options, message):
    from monitoring.config import ConfigError

    settings = settings_with({"name": "forum", "kind": "rss", "options": options})
    with pytest.raises(ConfigError, match=message):
        source_for(settings)


def test_entries_older_than_max_age_are_skipped_but_remembered():
    with loopback() as srv:
        srv.add("/feed.rss", Reply(fixture("rss_forum.xml"), headers=RSS))
        result = source_for(rss_settings(srv.url + "/feed.rss", max_age_hours=12)).fetch(
            None, NOW)
    assert [m.source_id for m in result.mentions] == ["forum-8812", "forum-8810"]
    assert "forum-8790" in json.loads(result.cursor)[srv.url + "/feed.rss"]["seen"]
