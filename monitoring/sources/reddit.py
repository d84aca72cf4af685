"""Reddit (praw): new posts and comments of subreddits, and keyword searches.

Reddit's API is free for this use with an app's client id and secret (read-only,
app-only OAuth), within about 100 requests a minute; praw paces its requests by
Reddit's ``X-Ratelimit-*`` headers, and a 429 stops the fetch until the reset.

Listings come newest first, so each listing (``new:``, ``comments:``, ``search:``) keeps
in the cursor the creation time of the newest item stored and the ids at that time;
a fetch reads back until it meets them.  More than ``max_items`` new items between two
fetches would leave a gap: the detail of the source then says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import praw
import prawcore

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Rejected, SourceError, load_json_cursor
from monitoring.sources.http import DEFAULT_RATE_LIMIT_WAIT, retry_after
from monitoring.sources.match import StreamMatcher
from monitoring.sources.options import Options, credentials, default_stream

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

OPTIONS = {"subreddits", "search", "comments", "max_items", "match_keywords", "user_agent",
           "oauth_url", "reddit_url", "max_age_hours"}
DEFAULT_USER_AGENT = "python:sentinella-monitor:1.0 (crisis monitoring)"


class RedditSource:
    """Poll subreddit listings and searches.

    Examples
    --------
    >>> src = RedditSource("reddit", "id", "secret", ["italy", "energia"], "lumea",
    ...                    comments=True, search=["lumea"])
    >>> src.keys()
    ['new:italy+energia', 'comments:italy+energia', 'search:lumea']
    """

    def __init__(self, name: str, client_id: str, client_secret: str, subreddits: list[str],
                 stream: str, matcher: StreamMatcher | None = None,
                 search: list[str] | None = None, comments: bool = False,
                 max_items: int = 100, user_agent: str = DEFAULT_USER_AGENT,
                 urls: Mapping[str, str] | None = None, max_text_chars: int = 4_000,
                 max_age_hours: float = 72.0):
        self.name = name
        self.max_age_seconds = max_age_hours * 3600.0
        self.subreddits = "+".join(subreddits)
        self.search = list(search or [])
        self.comments = comments
        self.stream = stream
        self.matcher = matcher
        self.max_items = max_items
        self.max_text_chars = max_text_chars
        self.reddit = praw.Reddit(client_id=client_id, client_secret=client_secret,
                                  user_agent=user_agent, check_for_updates=False,
                                  check_for_async=False, **dict(urls or {}))

    def keys(self) -> list[str]:
        keys = []
        if self.subreddits:
            keys.append(f"new:{self.subreddits}")
            if self.comments:
                keys.append(f"comments:{self.subreddits}")
        return keys + [f"search:{q}" for q in self.search]

    def _listing(self, key: str) -> Iterable[Any]:
        kind, _, value = key.partition(":")
        sub = self.reddit.subreddit(self.subreddits or "all")
        if kind == "new":
            return sub.new(limit=self.max_items)
        if kind == "comments":
            return sub.comments(limit=self.max_items)
        return sub.search(value, sort="new", time_filter="week", limit=self.max_items)

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        positions = load_json_cursor(cursor, self.name)
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        notes: list[str] = []
        for key in self.keys():
            pos = positions.get(key, {})
            try:
                new_pos, full = self._read(key, pos, mentions, rejected, now)
            except SourceError as exc:
                if not mentions and not rejected:
                    raise
                return FetchResult(mentions, json.dumps(positions, sort_keys=True), rejected,
                                   state=exc.state, retry_after=exc.retry_after,
                                   detail=str(exc))
            positions[key] = new_pos
            if full and pos:
                notes.append(f"{key}: more than {self.max_items} new items since the last "
                             "fetch, older ones skipped (poll more often)")
        return FetchResult(mentions, json.dumps(positions, sort_keys=True), rejected,
                           detail="; ".join(notes))

    def _read(self, key: str, pos: dict[str, Any], mentions: list[Mention],
              rejected: list[Rejected], now: datetime) -> tuple[dict[str, Any], bool]:
        since = float(pos.get("ts", 0.0))
        if self.max_age_seconds:  # older items are not news any more (e.g. a first run)
            since = max(since, now.timestamp() - self.max_age_seconds)
        seen = set(pos.get("ids", []))
        newest, newest_ids, count = since, set(seen), 0
        try:
            for item in self._listing(key):
                count += 1
                fields = vars(item)  # never getattr: praw would fetch what is missing
                created, ident = fields.get("created_utc"), fields.get("name")
                if isinstance(created, int | float) and (
                        created < since or (created == since and ident in seen)):
                    return {"ts": newest, "ids": sorted(newest_ids)}, False  # caught up
                try:
                    mention = self._mention(item)
                except (AttributeError, TypeError, ValueError) as exc:
                    rejected.append(Rejected(payload=_payload(item),
                                             reason=f"{self.name}: malformed item: {exc}"))
                    continue
                ts = float(created)  # type: ignore[arg-type]
                if ts > newest:
                    newest, newest_ids = ts, {mention.source_id}
                elif ts == newest:
                    newest_ids.add(mention.source_id)
                if mention.stream:
                    mentions.append(mention)
        except prawcore.exceptions.PrawcoreException as exc:
            raise _error(self.name, exc) from None
        return {"ts": newest, "ids": sorted(newest_ids)}, count >= self.max_items

    def _mention(self, item: Any) -> Mention:
        fields = vars(item)
        created = fields.get("created_utc")
        if isinstance(created, bool) or not isinstance(created, int | float):
            raise ValueError("item without created_utc")  # noqa: TRY004 - bad data
        if not fields.get("name") or not fields.get("permalink"):
            raise ValueError("item without name or permalink")
        if "title" in fields:
            text = f"{fields['title']}\n{fields.get('selftext') or ''}".strip()
        else:
            text = str(fields.get("body") or "").strip()
        if not text:
            raise ValueError("item without text")
        text = text[: self.max_text_chars]
        author = fields.get("author")
        stream = self.matcher.match(text) if self.matcher else self.stream
        return Mention(
            source=self.name, source_id=str(fields["name"]), stream=stream or "",
            ts=datetime.fromtimestamp(created, UTC),
            author=f"u/{author}" if author else "u/[deleted]", text=text,
            url=f"https://www.reddit.com{fields['permalink']}", reply_to=fields.get("parent_id"),
            raw=_payload(item),
        )


def _payload(item: Any) -> str:
    fields = {k: v for k, v in vars(item).items() if not k.startswith("_")}
    return json.dumps(fields, default=str, ensure_ascii=False)[:50_000]


def _error(name: str, exc: Exception) -> SourceError:
    if isinstance(exc, prawcore.exceptions.TooManyRequests):
        wait = retry_after(exc.response.headers, datetime.now(UTC))
        return SourceError(f"{name}: rate limited by Reddit (HTTP 429)", state="rate_limited",
                           retry_after=DEFAULT_RATE_LIMIT_WAIT if wait is None else wait)
    if isinstance(exc, prawcore.exceptions.OAuthException):
        return SourceError(f"{name}: Reddit refused the app credentials ({exc.error}): check "
                           "the client id and secret")
    if isinstance(exc, prawcore.exceptions.ResponseException):
        status = exc.response.status_code
        if status in (401, 403):
            return SourceError(f"{name}: Reddit refused access (HTTP {status}): check the app "
                               "credentials, and that the subreddits are public")
        if status in (301, 302, 404):
            return SourceError(f"{name}: a subreddit does not exist (HTTP {status})")
        return SourceError(f"{name}: Reddit answered HTTP {status}")
    return SourceError(f"{name}: cannot reach Reddit ({type(exc).__name__})")



def from_config(cfg: SourceConfig, settings: Settings,
                secrets: Mapping[str, Any] | None = None) -> RedditSource:
    """Build a ``kind = "reddit"`` source.

    Credentials: ``client_id`` and ``client_secret`` of a Reddit "script" or "web" app.
    Options: ``subreddits`` (names without ``r/``), ``search`` (queries), ``comments``
    (also read new comments; default false), ``max_items`` per listing and fetch
    (default 100), ``match_keywords`` (default true: keep only items naming a stream's
    keyword), ``user_agent`` (Reddit asks for a descriptive one), ``max_age_hours``
    (default 72: older items are skipped, e.g. on the first run; 0 keeps everything).
    """
    opts = Options(cfg, OPTIONS)
    subreddits = [s.removeprefix("r/") for s in opts.list("subreddits", [])]
    search = opts.list("search", [])
    if not subreddits and not search:
        raise opts.error("give at least one of the options 'subreddits' or 'search'")
    urls = {k: opts.str(k) for k in ("oauth_url", "reddit_url") if k in opts.values}
    creds = credentials(cfg, secrets, ["client_id", "client_secret"])
    matcher = (StreamMatcher.for_source(cfg, settings)
               if opts.bool("match_keywords", True) else None)
    return RedditSource(cfg.name, creds["client_id"], creds["client_secret"], subreddits,
                        default_stream(cfg, settings), matcher, search,
                        opts.bool("comments", False),
                        opts.int("max_items", 100, minimum=1),
                        opts.str("user_agent", DEFAULT_USER_AGENT), urls,
                        settings.app.max_text_chars, opts.float("max_age_hours", 72.0))
