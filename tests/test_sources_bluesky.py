"""Bluesky Jetstream: recorded events served by a real websocket server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sources_support import fixture, settings_with
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from monitoring.config import ConfigError
from monitoring.monitor import Clock, Monitor
from monitoring.sources import build_source
from monitoring.sources.base import SourceError
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
NOW_US = 1772445900000000
EVENTS = fixture("jetstream_events.jsonl").decode().splitlines()


class Jetstream:
    """A loopback Jetstream: replays the recorded events from the requested cursor."""

    def __init__(self, events: list[str], cut_after: int | None = None, status: int = 101,
                 headers: dict[str, str] | None = None):
        self.events = events
        self.cut_after = cut_after
        self.paths: list[str] = []
        self.status = status
        self.headers = headers or {}

    def handler(self, ws) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        self.paths.append(ws.request.path)
        start = int(query.get("cursor", ["0"])[0])
        sent = 0
        for line in self.events:
            t = _time_us(line)
            if t is not None and t < start:
                continue
            ws.send(line)
            sent += 1
            if self.cut_after is not None and sent >= self.cut_after:
                return  # the server drops the connection
        try:
            ws.recv()  # stay open (idle) until the client leaves
        except ConnectionClosed:
            pass

    def refuse(self, connection, request):
        if self.status == 101:
            return None
        response = connection.respond(self.status, "Too many connections\n")
        for key, value in self.headers.items():
            response.headers[key] = value
        return response


def _time_us(line: str) -> int | None:
    import json

    try:
        return int(json.loads(line)["time_us"])
    except (ValueError, KeyError):
        return None


@contextmanager
def jetstream(server: Jetstream) -> Iterator[str]:
    with serve(server.handler, "127.0.0.1", 0, process_request=server.refuse) as ws_server:
        thread = threading.Thread(target=ws_server.serve_forever, daemon=True)
        thread.start()
        port = ws_server.socket.getsockname()[1]
        try:
            yield f"ws://127.0.0.1:{port}/subscribe"
        finally:
            ws_server.shutdown()


def sky_settings(url: str, **options):
    return settings_with({"name": "sky", "kind": "bluesky",
                          "options": {"url": url, "idle_seconds": 0.5, **options}})


def sky(url: str, **options):
    settings = sky_settings(url, **options)
    return build_source(settings.sources[0], settings)


def test_matching_posts_are_kept_until_caught_up_and_bad_events_quarantined():
    server = Jetstream(EVENTS)
    with jetstream(server) as url:
        result = sky(url).fetch(str(NOW_US - 60_000_000), NOW)
    assert [(m.stream, m.text[:24]) for m in result.mentions] == [
        ("lumea", "Qualcuno sa perché Lumea"), ("acme", "ACME support has been us"),
        ("lumea", "#LumeaEnergia ancora sen"), ("lumea", "Lumea: tornata la corren")]
    acme = result.mentions[1]
    assert acme.source_id == "did:plc:q6gjnaw2blty4crticxkmujt/3lje7g7ppms2c"
    assert acme.url == "https://bsky.app/profile/did:plc:q6gjnaw2blty4crticxkmujt/post/3lje7g7ppms2c"
    assert acme.lang_hint == "en" and acme.reply_to.startswith("at://did:plc:z72i7hdynmk6r22z")
    assert acme.ts == datetime(2026, 3, 2, 10, 4, 24, 600000, tzinfo=UTC)
    assert [r.reason.split(" (")[0] for r in result.rejected] == [
        "sky: unreadable Jetstream event", "sky: malformed post: post without text"]
    assert result.cursor == str(NOW_US + 5_000_000)  # stopped at the first event after now
    query = parse_qs(urlsplit(server.paths[0]).query)
    assert query == {"wantedCollections": ["app.bsky.feed.post"],
                     "cursor": [str(NOW_US - 60_000_000)]}


def test_disconnect_then_catch_up_from_the_cursor_without_gap_or_duplicate(tmp_path):
    cut = Jetstream(EVENTS, cut_after=4)
    clock = Clock(speed=1e-9, start=NOW)
    store = Store(tmp_path / "db.duckdb")
    with jetstream(cut) as url:
        settings = sky_settings(url, backfill_minutes=1)
        monitor = Monitor(settings, store, clock=clock)
        assert monitor.collect("sky").inserted == 2  # dropped after 4 events
    first_cursor = store.get_cursor("sky")
    assert first_cursor == str(NOW_US - 35_000_000)
    store.close()
    full = Jetstream(EVENTS)
    with jetstream(full) as url:
        settings = sky_settings(url)
        store = Store(tmp_path / "db.duckdb")
        assert Monitor(settings, store, clock=clock).collect("sky").inserted == 2
    assert parse_qs(urlsplit(full.paths[0]).query)["cursor"] == [first_cursor]
    ids = [r[0] for r in store.reader().execute(
        "SELECT source_id FROM mentions ORDER BY ts").fetchall()]
    assert len(ids) == len(set(ids)) == 4


def test_idle_stream_ends_the_fetch_and_keeps_the_cursor():
    older = [e for e in EVENTS if (_time_us(e) or 0) < NOW_US]
    with jetstream(Jetstream(older)) as url:
        result = sky(url).fetch(str(NOW_US - 60_000_000), NOW)
    assert len(result.mentions) == 3 and result.cursor == str(NOW_US - 10_000_000)


@pytest.mark.parametrize("status,headers,state,wait", [
    (429, {"Retry-After": "30"}, "rate_limited", 30.0),
    (429, {}, "rate_limited", 900.0),
    (403, {}, "failing", None),
])
def test_refused_connection(status, headers, state, wait):
    server = Jetstream(EVENTS, status=status, headers=headers)
    with jetstream(server) as url, pytest.raises(SourceError) as info:
        sky(url).fetch(None, NOW)
    assert (info.value.state, info.value.retry_after) == (state, wait)
    assert f"HTTP {status}" in str(info.value)


def test_unreachable_jetstream_is_failing():
    with pytest.raises(SourceError, match="connection failed"):
        sky("ws://127.0.0.1:9/subscribe").fetch(None, NOW)


@pytest.mark.parametrize("options,message", [
    ({"url": "https://jetstream.example"}, "ws:// or wss://"),
    ({"url": "ws://x", "idle_seconds": 0}, "'idle_seconds' must be a number >= 0.05"),
])
def test_bad_bluesky_options_fail_loudly(options, message):
    settings = settings_with({"name": "sky", "kind": "bluesky", "options": options})
    with pytest.raises(ConfigError, match=message):
        build_source(settings.sources[0], settings)
