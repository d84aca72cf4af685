"""X (Twitter) recent search via tweepy, with a paid read budget.

X bills every post read, so this source is the only one that costs money per item:
``day_limit`` / ``month_limit`` cap the posts read per UTC day and month, and at the
cap the source stops polling and the wall says so (state ``budget_exhausted``, red)
until the period starts again.  Each stream's query (its keywords and handles, minus
reposts, unless ``query`` is given) keeps its own position in the cursor:

* ``since_id``: the newest post already stored;
* while paging back through a burst (``next_token``), the page token and the newest id
  of the burst, so a fetch stopped by a rate limit, the budget or ``max_pages`` goes on
  from the same page and ``since_id`` only moves once the burst is complete: no gap,
  no duplicate.

Pages are requested one by one (as ``tweepy.Paginator`` does) because every page must
fit in the budget left.  ``TooManyRequests`` waits until ``x-rate-limit-reset``;
401/403 mark the source failing with X's own explanation.  tweepy logs request headers
(the bearer token) at DEBUG level, so its logger is kept at INFO or above.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
import tweepy

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Rejected, SourceError, load_json_cursor
from monitoring.sources.budget import ReadBudget
from monitoring.sources.http import DEFAULT_RATE_LIMIT_WAIT, retry_after
from monitoring.sources.options import Options, credentials

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig, Stream

OPTIONS = {"query", "day_limit", "month_limit", "max_pages", "page_size", "backfill_pages"}
#: The API's bounds for ``max_results`` of recent search.
MIN_PAGE, MAX_PAGE = 10, 100
TWEET_FIELDS = ["created_at", "lang", "conversation_id", "referenced_tweets", "public_metrics"]
USER_FIELDS = ["username", "name", "public_metrics"]


def stream_query(stream: Stream) -> str:
    """The recent-search query of a stream: any of its terms, no reposts.

    >>> from monitoring.config import Stream
    >>> stream_query(Stream(id="l", name="L", keywords=["lumea", "luce gas"],
    ...                     handles=["@LumeaEnergia"]))
    '(lumea OR "luce gas" OR @LumeaEnergia) -is:retweet'
    """
    terms = [f'"{t}"' if " " in t else t for t in (*stream.keywords, *stream.handles)]
    return f"({' OR '.join(terms)}) -is:retweet"


class XSource:
    """Recent search on X for one query per stream.

    Examples
    --------
    >>> src = XSource("x", {"lumea": "lumea -is:retweet"}, bearer_token="t", day_limit=500)
    >>> src.budget.allowance(datetime(2026, 3, 2, tzinfo=UTC))
    500
    """

    def __init__(self, name: str, queries: Mapping[str, str], bearer_token: str,
                 day_limit: int | None = None, month_limit: int | None = None,
                 max_pages: int = 5, page_size: int = MAX_PAGE, backfill_pages: int = 1,
                 max_text_chars: int = 4_000, token_name: str = "the environment"):
        self.name = name
        self.queries = dict(queries)
        self.budget = ReadBudget(day_limit, month_limit)
        self.max_pages = max_pages
        self.page_size = page_size
        self.backfill_pages = backfill_pages
        self.max_text_chars = max_text_chars
        self.token_name = token_name
        self.client = tweepy.Client(bearer_token=bearer_token, return_type=dict,
                                    wait_on_rate_limit=False)

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        state = load_json_cursor(cursor, self.name)
        self.budget.load(state.get("budget", {}))
        positions: dict[str, dict[str, Any]] = state.setdefault("streams", {})
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        stop: tuple[str, float | None, str] | None = None
        for stream, query in self.queries.items():
            pos = positions.setdefault(stream, {})
            try:
                stop = self._collect(stream, query, pos, now, mentions, rejected)
            except SourceError as exc:
                if not mentions and not rejected:
                    raise
                stop = (exc.state, exc.retry_after, str(exc))
            if stop:
                break
        state["budget"] = self.budget.state()
        result = FetchResult(mentions, json.dumps(state, sort_keys=True), rejected,
                             budget=self.budget.used_and_limit(now))
        if stop:
            result.state, result.retry_after, result.detail = stop
        return result

    def _collect(self, stream: str, query: str, pos: dict[str, Any], now: datetime,
                 mentions: list[Mention], rejected: list[Rejected]
                 ) -> tuple[str, float | None, str] | None:
        """Page through new posts of one query; a (state, wait, detail) when it must stop."""
        first_run = "since_id" not in pos and "next_token" not in pos
        pages = self.backfill_pages if first_run else self.max_pages
        for _ in range(pages):
            allowance = self.budget.allowance(now)
            if allowance is not None and allowance < MIN_PAGE:
                wait = (self.budget.resumes_at(now, MIN_PAGE) - now).total_seconds()
                return "budget_exhausted", wait, self.budget.exhausted_detail(now, MIN_PAGE)
            size = self.page_size if allowance is None else min(self.page_size, allowance)
            body = self._search(query, pos.get("since_id"), pos.get("next_token"), size)
            meta = body.get("meta") or {}
            tweets = body.get("data") or []
            self.budget.spend(int(meta.get("result_count", len(tweets))), now)
            users = {u.get("id"): u for u in (body.get("includes") or {}).get("users", [])}
            for tweet in tweets:
                try:
                    mentions.append(self._mention(tweet, users, stream))
                except (KeyError, TypeError, ValueError) as exc:
                    rejected.append(Rejected(payload=json.dumps(tweet)[:10_000],
                                             reason=f"{self.name}: malformed post: {exc}"))
            if meta.get("newest_id") and "newest_id" not in pos:
                pos["newest_id"] = meta["newest_id"]  # newest of this burst
            if meta.get("next_token"):
                pos["next_token"] = meta["next_token"]
                continue
            _complete(pos)
            return None
        if first_run:
            _complete(pos)  # start from now: older posts are not worth their price
        return None

    def _search(self, query: str, since_id: str | None, next_token: str | None,
                size: int) -> dict[str, Any]:
        try:
            return self.client.search_recent_tweets(
                query, since_id=since_id, next_token=next_token, max_results=size,
                expansions=["author_id"], tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS)
        except tweepy.TooManyRequests as exc:
            wait = retry_after(exc.response.headers, datetime.now(UTC))
            raise SourceError(f"{self.name}: rate limited by X (HTTP 429)", state="rate_limited",
                              retry_after=DEFAULT_RATE_LIMIT_WAIT if wait is None else wait
                              ) from None
        except tweepy.Unauthorized:
            raise SourceError(f"{self.name}: X refused the bearer token from "
                              f"{self.token_name} (HTTP 401 Unauthorized): check that it is "
                              "current") from None
        except tweepy.Forbidden as exc:
            raise SourceError(f"{self.name}: X refused the search (HTTP 403 Forbidden): "
                              f"{_explain(exc)}") from None
        except tweepy.HTTPException as exc:
            raise SourceError(f"{self.name}: X answered HTTP {exc.response.status_code}: "
                              f"{_explain(exc)}") from None
        except (requests.RequestException, tweepy.TweepyException) as exc:
            raise SourceError(f"{self.name}: cannot reach X ({type(exc).__name__})") from None

    def _mention(self, tweet: Mapping[str, Any], users: Mapping[str, Any],
                 stream: str) -> Mention:
        text = tweet.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("post without text")
        if not tweet.get("created_at"):
            raise ValueError("post without created_at")
        ts = datetime.fromisoformat(str(tweet["created_at"]))
        user = users.get(tweet.get("author_id")) or {}
        username = user.get("username") or str(tweet.get("author_id") or "unknown")
        reply = next((r.get("id") for r in tweet.get("referenced_tweets") or []
                      if r.get("type") == "replied_to"), None)
        lang = tweet.get("lang")
        return Mention(
            source=self.name, source_id=str(tweet["id"]), stream=stream, ts=ts,
            author=f"@{username}", text=text[: self.max_text_chars],
            author_reach=int((user.get("public_metrics") or {}).get("followers_count") or 0),
            url=f"https://x.com/{username}/status/{tweet['id']}",
            lang_hint=None if lang in (None, "und", "zxx") else lang, reply_to=reply,
            raw=json.dumps({"tweet": tweet, "user": user}, ensure_ascii=False)[:50_000],
        )


def _complete(pos: dict[str, Any]) -> None:
    """A burst is fully stored: the next fetch asks only for newer posts."""
    newest = pos.pop("newest_id", None)
    pos.pop("next_token", None)
    if newest and (not pos.get("since_id") or int(newest) > int(pos["since_id"])):
        pos["since_id"] = newest


def _explain(exc: tweepy.HTTPException) -> str:
    """X's own explanation of a refusal (its JSON ``detail``/``title``), bounded."""
    try:
        body = exc.response.json()
    except ValueError:
        return exc.response.reason or "no explanation"
    text = body.get("detail") or body.get("title") or "; ".join(exc.api_messages)
    reason = body.get("reason")
    return (f"{text} ({reason})" if reason else str(text))[:300]



def from_config(cfg: SourceConfig, settings: Settings,
                secrets: Mapping[str, Any] | None = None) -> XSource:
    """Build a ``kind = "x"`` source.

    Credentials: ``bearer_token`` (an app-only token of a paid X API plan).  Options:
    ``day_limit`` / ``month_limit`` (posts read; strongly advised), ``query`` (a recent
    search query used instead of the stream's terms; only with one stream), ``max_pages``
    per fetch (default 5), ``page_size`` (10-100, default 100), ``backfill_pages`` on the
    first run (default 1).
    """
    opts = Options(cfg, OPTIONS)
    streams = [s for s in settings.streams if not cfg.streams or s.id in cfg.streams]
    query = opts.str("query", "")
    if query and len(streams) != 1:
        raise opts.error("option 'query' needs exactly one stream in 'streams'")
    queries = {streams[0].id: query} if query else {s.id: stream_query(s) for s in streams}
    for stream_id, q in queries.items():
        if len(q) > 512:
            raise opts.error(f"the query of stream {stream_id!r} is longer than X's 512 "
                             "characters: set option 'query'")
    page_size = opts.int("page_size", MAX_PAGE, minimum=MIN_PAGE)
    if page_size > MAX_PAGE:
        raise opts.error(f"option 'page_size' must be at most {MAX_PAGE}")
    day_limit = opts.int("day_limit", 0) or None
    month_limit = opts.int("month_limit", 0) or None
    token = credentials(cfg, secrets, ["bearer_token"])["bearer_token"]
    logging.getLogger("tweepy").setLevel(max(logging.INFO,
                                             logging.getLogger("tweepy").getEffectiveLevel()))
    return XSource(cfg.name, queries, token, day_limit, month_limit,
                   max_pages=opts.int("max_pages", 5, minimum=1), page_size=page_size,
                   backfill_pages=opts.int("backfill_pages", 1, minimum=1),
                   max_text_chars=settings.app.max_text_chars,
                   token_name=cfg.credentials["bearer_token"])
