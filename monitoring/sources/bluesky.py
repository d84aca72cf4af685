"""Bluesky through Jetstream: the network's posts as JSON over a websocket.

Jetstream sends every new post of the network (``wantedCollections=app.bsky.feed.post``)
with ``time_us``, the time it saw the event in microseconds.  That time is the cursor:
each fetch reconnects with ``cursor=<last time_us>``, Jetstream replays from there, and
the fetch reads until it has caught up with ``now`` (or ``max_events`` /
``max_seconds``, or the stream stays idle for ``idle_seconds``).  A disconnect in the
middle keeps what was read and the next fetch catches up from the last event: no gap;
the event at the cursor itself may come twice and the store keeps it once.

Only posts naming a stream's keyword or handle are kept (the firehose is the whole
network).  Jetstream is free and needs no account.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import connect

from monitoring.models import Mention, utc
from monitoring.sources.base import FetchResult, Rejected, SourceError
from monitoring.sources.http import DEFAULT_RATE_LIMIT_WAIT, USER_AGENT, retry_after, safe_url
from monitoring.sources.match import StreamMatcher
from monitoring.sources.options import Options

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

DEFAULT_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
POST = "app.bsky.feed.post"
OPTIONS = {"url", "max_events", "max_seconds", "idle_seconds", "backfill_minutes"}
MAX_HANDLES = 10_000


class BlueskySource:
    """Read Jetstream from the saved ``time_us`` up to now.

    Examples
    --------
    >>> from monitoring.config import Stream
    >>> m = StreamMatcher([Stream(id="lumea", name="Lumea", keywords=["lumea"])])
    >>> src = BlueskySource("sky", m, url="ws://127.0.0.1:1/subscribe")
    >>> src.subscribe_url("1772445850000000")
    'ws://127.0.0.1:1/subscribe?wantedCollections=app.bsky.feed.post&cursor=1772445850000000'
    """

    def __init__(self, name: str, matcher: StreamMatcher, url: str = DEFAULT_URL,
                 max_events: int = 200_000, max_seconds: float = 30.0, idle_seconds: float = 5.0,
                 backfill_minutes: float = 0.0, max_text_chars: int = 4_000):
        self.name = name
        self.matcher = matcher
        self.url = url
        self.max_events = max_events
        self.max_seconds = max_seconds
        self.idle_seconds = idle_seconds
        self.backfill_minutes = backfill_minutes
        self.max_text_chars = max_text_chars
        self.handles: dict[str, str] = {}

    def subscribe_url(self, cursor: str | None) -> str:
        params = {"wantedCollections": POST}
        if cursor:
            params["cursor"] = cursor
        return f"{self.url}?{urlencode(params)}"

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        now_us = int(utc(now).timestamp() * 1_000_000)
        if cursor is not None and not cursor.isdigit():
            raise SourceError(f"{self.name}: unreadable cursor {cursor[:40]!r}")
        if cursor is None and self.backfill_minutes:
            cursor = str(now_us - int(self.backfill_minutes * 60_000_000))
        last = int(cursor) if cursor else None
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        where = f"{self.name}: Jetstream {safe_url(self.url)}"
        deadline = time.monotonic() + self.max_seconds
        try:
            with connect(self.subscribe_url(cursor), open_timeout=15, close_timeout=2,
                         max_size=2**20, user_agent_header=USER_AGENT, proxy=None) as ws:
                for _ in range(self.max_events):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        message = ws.recv(timeout=min(self.idle_seconds, left))
                    except TimeoutError:
                        break  # idle: nothing more for now
                    t = self._event(message, mentions, rejected)
                    if t is not None:
                        last = t if last is None else max(last, t)
                        if t >= now_us:
                            break  # caught up
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 429:
                wait = retry_after(dict(exc.response.headers.raw_items()), now)
                raise SourceError(f"{where}: rate limited (HTTP 429)", state="rate_limited",
                                  retry_after=DEFAULT_RATE_LIMIT_WAIT if wait is None else wait
                                  ) from None
            raise SourceError(f"{where}: refused the connection (HTTP {status})") from None
        except (OSError, WebSocketException) as exc:
            if last is None or (not mentions and str(last) == cursor):
                raise SourceError(f"{where}: connection failed ({type(exc).__name__})") from None
            # disconnected mid-way: keep what came, resume from the last event next time
        return FetchResult(mentions, str(last) if last is not None else None, rejected)

    def _event(self, message: str | bytes, mentions: list[Mention],
               rejected: list[Rejected]) -> int | None:
        """Handle one Jetstream message; its ``time_us`` (None if unreadable)."""
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        try:
            event = json.loads(text)
            t = int(event["time_us"])
        except (ValueError, KeyError, TypeError) as exc:
            rejected.append(Rejected(payload=text[:10_000],
                                     reason=f"{self.name}: unreadable Jetstream event ({exc})"))
            return None
        if event.get("kind") == "identity":
            ident = event.get("identity") or {}
            if ident.get("handle") and len(self.handles) < MAX_HANDLES:
                self.handles[str(event.get("did"))] = str(ident["handle"])
            return t
        commit = event.get("commit") or {}
        if (event.get("kind") != "commit" or commit.get("operation") != "create"
                or commit.get("collection") != POST):
            return t
        try:
            mention = self._mention(event, commit)
        except (ValueError, KeyError, TypeError) as exc:
            rejected.append(Rejected(payload=text[:10_000],
                                     reason=f"{self.name}: malformed post: {exc}"))
            return t
        if mention is not None:
            mentions.append(mention)
        return t

    def _mention(self, event: dict[str, Any], commit: dict[str, Any]) -> Mention | None:
        record = commit.get("record") or {}
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("post without text")
        text = text[: self.max_text_chars]
        stream = self.matcher.match(text)
        if stream is None:
            return None
        did, rkey = str(event["did"]), str(commit["rkey"])
        try:
            ts = datetime.fromisoformat(str(record["createdAt"]))
        except (KeyError, ValueError):
            ts = datetime.fromtimestamp(int(event["time_us"]) / 1e6, UTC)
        langs = record.get("langs") or []
        parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
        handle = self.handles.get(did)
        return Mention(
            source=self.name, source_id=f"{did}/{rkey}", stream=stream, ts=ts,
            author=f"@{handle}" if handle else did, text=text,
            url=f"https://bsky.app/profile/{did}/post/{rkey}",
            lang_hint=str(langs[0]) if langs else None, reply_to=parent,
            raw=json.dumps(event, ensure_ascii=False)[:50_000],
        )


def from_config(cfg: SourceConfig, settings: Settings) -> BlueskySource:
    """Build a ``kind = "bluesky"`` source (free, no account).

    Options: ``url`` (a Jetstream ``/subscribe`` endpoint; default a public instance),
    ``backfill_minutes`` on the first run (default 0: from now), ``max_events`` and
    ``max_seconds`` per fetch, ``idle_seconds`` (default 5).
    """
    opts = Options(cfg, OPTIONS)
    url = opts.str("url", DEFAULT_URL)
    if not url.startswith(("ws://", "wss://")):
        raise opts.error("option 'url' must be a ws:// or wss:// Jetstream address")
    return BlueskySource(cfg.name, StreamMatcher.for_source(cfg, settings), url,
                         max_events=opts.int("max_events", 200_000, minimum=1),
                         max_seconds=opts.float("max_seconds", 30.0, minimum=0.1),
                         idle_seconds=opts.float("idle_seconds", 5.0, minimum=0.05),
                         backfill_minutes=opts.float("backfill_minutes", 0.0),
                         max_text_chars=settings.app.max_text_chars)
