"""X via tweepy: recorded API v2 answers replayed on tweepy's own requests session."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from sources_support import fixture, settings_with

from monitoring.config import ConfigError
from monitoring.monitor import Clock, Monitor
from monitoring.sources import build_source
from monitoring.sources.base import SourceError
from monitoring.sources.health import freshness
from monitoring.sources.x import XSource
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
TOKEN = "AAAAAAAAAAAAAAAAAAAAAtestbearer%2Ftoken"
SECRETS = {"SENTINELLA_TEST_X_TOKEN": TOKEN}
SEARCH = "https://api.twitter.com/2/tweets/search/recent"


class RecordedX(BaseAdapter):
    """Answers tweepy's requests with recorded X API responses, in order."""

    def __init__(self, *answers: tuple[int, str, dict[str, str]]):
        super().__init__()
        self.answers = list(answers)
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        status, name, headers = self.answers.pop(0)
        resp = requests.Response()
        resp.status_code = status
        resp.reason = {200: "OK", 401: "Unauthorized", 403: "Forbidden",
                       429: "Too Many Requests", 503: "Service Unavailable"}[status]
        resp.headers.update({"content-type": "application/json; charset=utf-8", **headers})
        resp._content = fixture(name)
        resp.url = request.url
        resp.request = request
        return resp

    def close(self):
        pass

    def params(self, i: int) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.requests[i].url).query)


def ok(name: str) -> tuple[int, str, dict[str, str]]:
    return 200, f"{name}.json", {"x-rate-limit-remaining": "449", "x-rate-limit-limit": "450"}


def x_settings(**options):
    return settings_with({"name": "x", "kind": "x", "streams": ["lumea"],
                          "credentials": {"bearer_token": "SENTINELLA_TEST_X_TOKEN"},
                          "options": options})


def x_source(adapter: RecordedX, **options) -> XSource:
    settings = x_settings(**options)
    src = build_source(settings.sources[0], settings, SECRETS)
    src.client.session.mount("https://api.twitter.com/", adapter)
    return src


def cursor_at(since_id: str, **budget) -> str:
    return json.dumps({"streams": {"lumea": {"since_id": since_id}}, "budget": budget})


def test_posts_are_normalised_with_their_authors_and_the_query_sent():
    api = RecordedX(ok("x_search_page1"))
    result = x_source(api).fetch(None, NOW)
    first, second = result.mentions
    assert (first.author, first.author_reach) == ("@CronacaMilano24", 120000)
    assert first.url == "https://x.com/CronacaMilano24/status/1896200000000000104"
    assert second.reply_to == "1896200000000000090" and second.lang_hint == "it"
    assert second.ts == datetime(2026, 3, 2, 9, 58, 12, tzinfo=UTC)
    sent = api.params(0)
    assert sent["query"] == ["(lumea OR #lumeaenergia OR @LumeaEnergia) -is:retweet"]
    assert sent["expansions"] == ["author_id"] and "since_id" not in sent
    assert api.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    # first run: one page only (older posts are not worth their price), then from now on
    assert json.loads(result.cursor)["streams"]["lumea"] == {"since_id": "1896200000000000104"}


def test_pagination_follows_next_token_then_moves_since_id():
    api = RecordedX(ok("x_search_page1"), ok("x_search_page2"))
    result = x_source(api).fetch(cursor_at("1896200000000000100"), NOW)
    assert [m.source_id for m in result.mentions] == [
        "1896200000000000104", "1896200000000000103", "1896200000000000102",
        "1896200000000000101"]
    assert api.params(1)["next_token"] == ["b26v89c19zqg8o3fr5qhbfe8c4b0t1ijx0z0l3ldk4srh"]
    assert api.params(1)["since_id"] == ["1896200000000000100"]
    assert json.loads(result.cursor)["streams"]["lumea"] == {"since_id": "1896200000000000104"}
    assert result.budget is None  # no limit configured


def test_a_rate_limit_mid_burst_resumes_from_the_same_page_after_restart(tmp_path):
    reset = str(int(time.time()) + 600)
    settings = x_settings()
    clock = Clock(speed=1e-9, start=NOW)
    store = Store(tmp_path / "db.duckdb")
    store.ingest("x", _empty_frame(), cursor_at("1896200000000000100"))
    monitor = Monitor(settings, store, clock=clock, secrets=SECRETS)
    api = RecordedX(ok("x_search_page1"), (429, "x_429.json", {"x-rate-limit-reset": reset}))
    monitor.sources["x"].client.session.mount("https://api.twitter.com/", api)
    assert monitor.collect("x").inserted == 2
    [f] = freshness(store.source_status(), clock.now(), 15, ["x"])
    assert (f.state, f.colour) == ("rate_limited", "orange")
    wait = (monitor.not_before["x"] - clock.now()).total_seconds()
    assert 590 <= wait <= 601
    saved = json.loads(store.get_cursor("x"))["streams"]["lumea"]
    assert saved == {"since_id": "1896200000000000100", "newest_id": "1896200000000000104",
                     "next_token": "b26v89c19zqg8o3fr5qhbfe8c4b0t1ijx0z0l3ldk4srh"}
    store.close()

    store = Store(tmp_path / "db.duckdb")
    again = Monitor(settings, store, clock=clock, secrets=SECRETS)
    api = RecordedX(ok("x_search_page2"), ok("x_search_empty"))
    again.sources["x"].client.session.mount("https://api.twitter.com/", api)
    assert again.collect("x") is None and api.requests == []  # still waiting
    clock.start = NOW + timedelta(seconds=wait + 1)
    assert again.collect("x").inserted == 2
    assert api.params(0)["next_token"] == ["b26v89c19zqg8o3fr5qhbfe8c4b0t1ijx0z0l3ldk4srh"]
    assert again.collect("x").inserted == 0
    assert api.params(1)["since_id"] == ["1896200000000000104"]
    assert "next_token" not in api.params(1)
    ids = [r[0] for r in store.reader().execute(
        "SELECT source_id FROM mentions ORDER BY source_id").fetchall()]
    assert ids == [f"189620000000000010{i}" for i in (1, 2, 3, 4)]


def _empty_frame():
    import pandas as pd

    from monitoring.models import ENRICHED_COLUMNS, MENTION_COLUMNS

    return pd.DataFrame(columns=[*MENTION_COLUMNS, *ENRICHED_COLUMNS])


@pytest.mark.parametrize("reset_in,low,high", [
    (300, 290, 301),   # x-rate-limit-reset five minutes ahead
    (None, 900, 900),  # no reset header: the default wait
])
def test_429_with_and_without_reset_header(reset_in, low, high):
    headers = {} if reset_in is None else {"x-rate-limit-reset": str(int(time.time()) + reset_in)}
    api = RecordedX((429, "x_429.json", headers))
    with pytest.raises(SourceError) as info:
        x_source(api).fetch(None, NOW)
    assert info.value.state == "rate_limited" and low <= info.value.retry_after <= high


@pytest.mark.parametrize("status,name,text", [
    (401, "x_401.json", ("X refused the bearer token from SENTINELLA_TEST_X_TOKEN "
                        "(HTTP 401 Unauthorized)")),
    (403, "x_403.json", ("X refused the search (HTTP 403 Forbidden): When authenticating "
                        "requests to the Twitter API v2 endpoints")),
    (503, "x_429.json", "X answered HTTP 503"),
])
def test_refusals_are_failing_with_a_clear_reason_and_no_token(tmp_path, status, name, text):
    monitor = Monitor(x_settings(), Store(tmp_path / "db.duckdb"),
                      clock=Clock(speed=1e-9, start=NOW), secrets=SECRETS)
    monitor.sources["x"].client.session.mount("https://api.twitter.com/",
                                              RecordedX((status, name, {})))
    assert monitor.collect("x") is None
    [f] = freshness(monitor.store.source_status(), NOW, 15, ["x"])
    assert (f.state, f.colour) == ("failing", "red") and text in f.detail
    assert TOKEN not in f.detail
    if status == 403:
        assert f.detail.endswith("(client-not-enrolled)")


def test_read_budget_stops_polling_and_says_so(tmp_path):
    settings = x_settings(day_limit=25, page_size=10)
    clock = Clock(speed=1e-9, start=NOW)
    store = Store(tmp_path / "db.duckdb")
    store.ingest("x", _empty_frame(), cursor_at("1896200000000000100", day="2026-03-02",
                                                  day_used=12, month="2026-03", month_used=12))
    monitor = Monitor(settings, store, clock=clock, secrets=SECRETS)
    api = RecordedX(ok("x_search_page1"), ok("x_search_page2"))
    monitor.sources["x"].client.session.mount("https://api.twitter.com/", api)
    assert monitor.collect("x").inserted == 4
    # 13 reads left: pages of at most 10 (the API's minimum), 2 posts each
    assert [api.params(i)["max_results"] for i in (0, 1)] == [["10"], ["10"]]
    [f] = freshness(store.source_status(), clock.now(), 15, ["x"])
    assert (f.colour, f.detail) == ("green", "read budget 16/25")
    # 9 left: less than one page, so no request at all
    assert monitor.collect("x").inserted == 0 and len(api.requests) == 2
    [f] = freshness(store.source_status(), clock.now(), 15, ["x"])
    assert (f.state, f.colour) == ("budget_exhausted", "red")
    assert f.detail == ("read budget of 25 posts per day reached (16 read); polling resumes "
                        "at 2026-03-03 00:00 UTC (read budget 16/25)")
    saved = json.loads(store.get_cursor("x"))
    assert saved["budget"]["day_used"] == 16
    assert saved["streams"]["lumea"] == {"since_id": "1896200000000000104"}
    clock.start = NOW + timedelta(hours=3)
    assert monitor.collect("x") is None and len(api.requests) == 2  # not polled at all
    clock.start = datetime(2026, 3, 3, 0, 0, 1, tzinfo=UTC)
    api.answers.append(ok("x_search_empty"))
    assert monitor.collect("x") is not None and len(api.requests) == 3
    [f] = freshness(store.source_status(), clock.now(), 15, ["x"])
    assert f.colour == "green" and f.detail == "read budget 0/25"


def test_malformed_post_is_quarantined_and_the_batch_goes_on():
    api = RecordedX(ok("x_search_newer"))
    result = x_source(api).fetch(cursor_at("1896200000000000104"), NOW)
    assert [m.source_id for m in result.mentions] == ["1896200000000000106"]
    [bad] = result.rejected
    assert bad.reason == "x: malformed post: post without created_at"
    assert json.loads(bad.payload)["id"] == "1896200000000000105"


def test_missing_token_is_not_configured(tmp_path):
    monitor = Monitor(x_settings(), Store(tmp_path / "db.duckdb"))
    assert "x" not in monitor.sources
    [f] = freshness(monitor.store.source_status(), NOW, 15, ["x"])
    assert (f.state, f.colour) == ("not_configured", "grey")
    assert "SENTINELLA_TEST_X_TOKEN" in f.detail


@pytest.mark.parametrize("options,message", [
    ({"page_size": 5}, "'page_size' must be an integer >= 10"),
    ({"page_size": 500}, "at most 100"),
    ({"day_limit": -1}, "'day_limit' must be an integer >= 0"),
    ({"query": "lumea lang:it"}, None),
])
def test_x_options(options, message):
    settings = x_settings(**options)
    if message is None:
        assert build_source(settings.sources[0], settings, SECRETS).queries == {
            "lumea": "lumea lang:it"}
        return
    with pytest.raises(ConfigError, match=message):
        build_source(settings.sources[0], settings, SECRETS)


def test_month_budget_running_out_mid_burst_keeps_the_page_token():
    api = RecordedX(ok("x_search_page1"))
    src = x_source(api, month_limit=20, page_size=10)
    result = src.fetch(cursor_at("1896200000000000100", day="2026-03-02", day_used=9,
                                 month="2026-03", month_used=9), NOW)
    assert len(result.mentions) == 2 and len(api.requests) == 1
    assert (result.state, result.budget) == ("budget_exhausted", (11, 20))
    assert result.detail == ("read budget of 20 posts per month reached (11 read); polling "
                             "resumes at 2026-04-01 00:00 UTC")
    assert result.retry_after == (datetime(2026, 4, 1, tzinfo=UTC) - NOW).total_seconds()
    pos = json.loads(result.cursor)["streams"]["lumea"]
    assert pos == {"since_id": "1896200000000000100", "newest_id": "1896200000000000104",
                   "next_token": "b26v89c19zqg8o3fr5qhbfe8c4b0t1ijx0z0l3ldk4srh"}
