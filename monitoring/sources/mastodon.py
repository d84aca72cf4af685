"""Mastodon hashtag timelines and search (Mastodon.py), on the instance of your choice.

Public hashtag timelines need no account on most instances; search of statuses needs an
access token.  Each hashtag (and each search query) has its own position in the
cursor: the newest status id seen.  A fetch asks for statuses *immediately newer* than
that id (``min_id``) and pages forward until it has caught up (or ``max_pages``), so
the posts written while the monitor was stopped or disconnected are fetched in order,
with no gap and no duplicate.  A 429 answer stops the fetch with the instance's reset
time (``X-RateLimit-Reset``); 401/403 mark the source failing with the reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonUnauthorizedError,
)

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Rejected, SourceError, load_json_cursor
from monitoring.sources.http import DEFAULT_RATE_LIMIT_WAIT, safe_url, session
from monitoring.sources.match import StreamMatcher
from monitoring.sources.options import Options, credentials, default_stream
from monitoring.sources.text import plain_text

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

OPTIONS = {"instance", "hashtags", "search", "page_size", "max_pages", "local_only",
           "timeout_seconds"}


def _id(value: Any) -> int:
    return int(str(value))


class MastodonSource:
    """Poll hashtag timelines (and optionally search) of one Mastodon instance.

    Examples
    --------
    >>> src = MastodonSource("fedi", "https://mastodon.example", ["lumea"], "lumea")
    >>> src.keys()
    ['tag:lumea']
    """

    def __init__(self, name: str, instance: str, hashtags: list[str], stream: str,
                 matcher: StreamMatcher | None = None, search: list[str] | None = None,
                 access_token: str | None = None, page_size: int = 40, max_pages: int = 10,
                 local_only: bool = False, timeout: float = 20.0, max_text_chars: int = 4_000):
        self.name = name
        self.instance = instance.rstrip("/")
        self.hashtags = [h.lstrip("#") for h in hashtags]
        self.search = list(search or [])
        self.stream = stream
        self.matcher = matcher
        self.page_size = page_size
        self.max_pages = max_pages
        self.local_only = local_only
        self.max_text_chars = max_text_chars
        self.client = Mastodon(api_base_url=self.instance, access_token=access_token,
                               ratelimit_method="throw", request_timeout=timeout,
                               session=session(), version_check_mode="none")

    def keys(self) -> list[str]:
        return [f"tag:{h}" for h in self.hashtags] + [f"search:{q}" for q in self.search]

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        positions = {str(k): str(v) for k, v in load_json_cursor(cursor, self.name).items()}
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        for key in self.keys():
            try:
                for page in self._pages(key, positions):
                    for status in page:
                        try:
                            mention = self._mention(status)
                        except (KeyError, AttributeError, TypeError, ValueError) as exc:
                            rejected.append(Rejected(
                                payload=json.dumps(status, default=str)[:10_000],
                                reason=f"{self.name}: malformed status: {str(exc)[:160]}"))
                            continue
                        if mention.stream:
                            mentions.append(mention)
            except SourceError as exc:
                if not mentions and not rejected:
                    raise
                # Keep what came in: the cursor only moved past complete pages.
                return FetchResult(mentions, json.dumps(positions, sort_keys=True), rejected,
                                   state=exc.state, retry_after=exc.retry_after, detail=str(exc))
        return FetchResult(mentions, json.dumps(positions, sort_keys=True), rejected)

    def _pages(self, key: str, positions: dict[str, str]):
        """Pages newer than the saved position, oldest page first; moves the position."""
        for _ in range(self.max_pages):
            since = positions.get(key)
            page = self._call(key, since)
            if not page:
                return
            ids = [_id(s["id"]) for s in page if _has_id(s)]
            if ids:
                newest = max(ids)
                positions[key] = str(max(newest, _id(since)) if since else newest)
            yield page
            if since is None or len(page) < self.page_size:
                return  # first run: only the newest page; or caught up

    def _call(self, key: str, since: str | None) -> list[Any]:
        kind, _, value = key.partition(":")
        where = f"{self.name}: {safe_url(self.instance)}"
        try:
            if kind == "tag":
                return list(self.client.timeline_hashtag(value, min_id=since,
                                                         limit=self.page_size,
                                                         local=self.local_only))
            found = self.client.search_v2(value, result_type="statuses", min_id=since,
                                          limit=self.page_size)
            return list(found["statuses"])
        except MastodonRatelimitError:
            reset = self.client.ratelimit_reset  # epoch seconds on the client's clock
            wait = reset - time.time() if reset else None
            raise SourceError(f"{where}: rate limited (HTTP 429)", state="rate_limited",
                              retry_after=wait if wait and wait > 0
                              else DEFAULT_RATE_LIMIT_WAIT) from None
        except MastodonUnauthorizedError:
            raise SourceError(f"{where}: access refused (HTTP 401): check the access token "
                              "of this source") from None
        except MastodonAPIError as exc:
            status = exc.args[1] if len(exc.args) > 1 else "?"
            hint = ": the token lacks the read scope or the instance refuses this query" \
                if status == 403 else ""
            raise SourceError(f"{where}: {key} answered HTTP {status}{hint}") from None
        except (MastodonNetworkError, requests.RequestException) as exc:
            raise SourceError(f"{where}: network error ({type(exc).__name__})") from None

    def _mention(self, status: Mapping[str, Any]) -> Mention:
        account = status.get("account")
        if not account or not account.get("acct"):
            raise ValueError("status without account")
        created = status.get("created_at")
        if not isinstance(created, datetime):
            raise ValueError("missing or unreadable created_at")  # noqa: TRY004 - bad data
        body = plain_text(status.get("content") or "", self.max_text_chars)
        spoiler = plain_text(status.get("spoiler_text") or "", 500)
        text = f"{spoiler}\n{body}" if spoiler else body
        if not text:
            raise ValueError("empty status")
        stream = self.matcher.match(text) if self.matcher else self.stream
        reply = status.get("in_reply_to_id")
        return Mention(
            source=self.name, source_id=str(_id(status["id"])), stream=stream or "", ts=created,
            author="@" + str(account["acct"]), text=text,
            author_reach=int(account.get("followers_count") or 0),
            url=status.get("url") or status.get("uri"), lang_hint=status.get("language"),
            reply_to=str(reply) if reply else None,
            raw=json.dumps(status, default=str, ensure_ascii=False)[:50_000],
        )


def _has_id(status: Any) -> bool:
    try:
        _id(status["id"])
    except (KeyError, TypeError, ValueError):
        return False
    return True



def from_config(cfg: SourceConfig, settings: Settings,
                secrets: Mapping[str, Any] | None = None) -> MastodonSource:
    """Build a ``kind = "mastodon"`` source.

    Options: ``instance`` (required, e.g. ``"https://mastodon.social"``), ``hashtags``
    (without ``#``), ``search`` (queries; need an access token), ``page_size`` (max 40),
    ``max_pages`` per fetch and key (default 10), ``local_only``, ``timeout_seconds``.
    Credentials (optional): ``access_token``.  With several streams, each status goes to
    the stream whose keywords it names.
    """
    opts = Options(cfg, OPTIONS)
    instance = opts.str("instance")
    if not instance.startswith(("http://", "https://")):
        raise opts.error("option 'instance' must be a URL such as https://mastodon.social")
    hashtags, search = opts.list("hashtags", []), opts.list("search", [])
    if not hashtags and not search:
        raise opts.error("give at least one of the options 'hashtags' or 'search'")
    token = None
    if cfg.credentials:
        token = credentials(cfg, secrets, ["access_token"])["access_token"]
    elif search:
        raise opts.error("searching statuses needs an access token: add "
                         '[sources.credentials] access_token = "MASTODON_TOKEN"')
    page_size = opts.int("page_size", 40, minimum=1)
    if page_size > 40:
        raise opts.error("option 'page_size' must be at most 40 (the Mastodon API limit)")
    matcher = StreamMatcher.for_source(cfg, settings) if len(cfg.streams) != 1 else None
    return MastodonSource(cfg.name, instance, hashtags, default_stream(cfg, settings), matcher,
                          search, token, page_size, opts.int("max_pages", 10, minimum=1),
                          opts.bool("local_only", False),
                          opts.float("timeout_seconds", 20.0, minimum=1.0),
                          settings.app.max_text_chars)
