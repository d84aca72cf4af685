"""RSS/Atom feeds (blogs, forums, news searches) via feedparser.

Each fetch asks every feed with ``If-None-Match`` / ``If-Modified-Since`` from the
previous answer, so an unchanged feed costs a ``304 Not Modified`` and nothing else.
The cursor keeps, per feed URL, the validators and the entry ids of the last answer:
entries already seen are not sent again (the store would drop them anyway), and both
survive a restart because the cursor is saved with the mentions.

A feed that fails (HTTP error, not a feed) does not stop the others: its problem is
quarantined or reported in the source's detail; only when *every* feed fails does the
source fail, with the state of the first failure (e.g. ``rate_limited`` with its wait).
Feeds have no paging: what a feed no longer lists is gone, so poll often enough.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import feedparser
import requests

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Rejected, SourceError, load_json_cursor
from monitoring.sources.http import check_response, read_body, safe_url, session
from monitoring.sources.match import StreamMatcher
from monitoring.sources.options import Options, default_stream
from monitoring.sources.text import plain_text

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

OPTIONS = {"urls", "match_keywords", "timeout_seconds", "max_age_hours"}
#: Entry ids remembered per feed (a feed rarely lists more).
MAX_SEEN = 1_000


class RssSource:
    """Poll a list of RSS/Atom feeds.

    Parameters
    ----------
    name : str
        Source name.
    urls : list[str]
        Feed URLs.
    stream : str
        Stream of the entries when ``matcher`` is None.
    matcher : StreamMatcher | None
        When given, only entries mentioning a stream's keyword are kept, in that stream.

    Examples
    --------
    >>> src = RssSource("blogs", ["https://example.org/feed.xml"], "lumea")
    >>> src.name, src.urls
    ('blogs', ['https://example.org/feed.xml'])
    """

    def __init__(self, name: str, urls: list[str], stream: str,
                 matcher: StreamMatcher | None = None, timeout: float = 20.0,
                 max_text_chars: int = 4_000, max_age_hours: float = 72.0):
        self.name = name
        self.max_age = timedelta(hours=max_age_hours) if max_age_hours else None
        self.urls = urls
        self.stream = stream
        self.matcher = matcher
        self.timeout = timeout
        self.max_text_chars = max_text_chars
        self.http = session()

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        state = load_json_cursor(cursor, self.name)
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        failures: list[SourceError] = []
        for url in self.urls:
            try:
                got, bad = self._fetch_feed(url, state.setdefault(url, {}), now)
            except SourceError as exc:
                failures.append(exc)
                continue
            mentions += got
            rejected += bad
        if failures and len(failures) == len(self.urls):
            first = failures[0]
            raise SourceError(str(first), retry_after=first.retry_after, state=first.state)
        detail = ""
        if failures:
            detail = f"{len(failures)} of {len(self.urls)} feeds failing: {failures[0]}"
        return FetchResult(mentions, json.dumps(state, sort_keys=True), rejected, detail=detail)

    def _fetch_feed(self, url: str, feed_state: dict[str, Any],
                    now: datetime) -> tuple[list[Mention], list[Rejected]]:
        headers = {}
        if feed_state.get("etag"):
            headers["If-None-Match"] = feed_state["etag"]
        if feed_state.get("modified"):
            headers["If-Modified-Since"] = feed_state["modified"]
        where = f"{self.name}: feed {safe_url(url)}"
        try:
            with self.http.get(url, headers=headers, timeout=self.timeout, stream=True) as resp:
                if resp.status_code == 304:
                    return [], []
                check_response(resp, self.name, now)
                body = read_body(resp, where)
                validators = {"etag": resp.headers.get("ETag"),
                              "modified": resp.headers.get("Last-Modified")}
                content_type = resp.headers.get("Content-Type", "")
        except requests.RequestException as exc:
            raise SourceError(f"{where}: {type(exc).__name__}") from None
        parsed = feedparser.parse(body, response_headers={"content-type": content_type})
        if not parsed.entries and not parsed.get("version"):
            reason = str(parsed.get("bozo_exception") or "no RSS/Atom content")[:200]
            return [], [Rejected(payload=body[:10_000].decode("utf-8", "replace"),
                                 reason=f"{where}: not a readable feed ({reason})")]
        feed_state.update({k: v for k, v in validators.items() if v})
        seen = set(feed_state.get("seen", []))
        mentions, rejected, ids = [], [], []
        feed = parsed.get("feed", {})
        for entry in parsed.entries:
            try:
                mention = self._mention(entry, feed, now)
            except ValueError as exc:
                eid = entry.get("id") or entry.get("link")
                if eid:
                    ids.append(str(eid)[:500])
                if eid and str(eid)[:500] in seen:
                    continue  # quarantined when first seen
                rejected.append(Rejected(payload=json.dumps(entry, default=str)[:10_000],
                                         reason=f"{where}: {exc}"))
                continue
            ids.append(mention.source_id)
            if mention.source_id in seen or not mention.stream:
                continue
            if self.max_age is not None and mention.ts < now - self.max_age:
                continue  # an old entry (first fetch of a feed): not news any more
            mentions.append(mention)
        feed_state["seen"] = ids[:MAX_SEEN]
        return mentions, rejected

    def _mention(self, entry: Any, feed: Any, now: datetime) -> Mention:
        title = plain_text(entry.get("title", ""), self.max_text_chars)
        summary = plain_text(entry.get("summary", ""), self.max_text_chars)
        text = "\n".join(t for t in (title, summary) if t)[: self.max_text_chars]
        if not text:
            raise ValueError("entry has no title and no text")
        ident = entry.get("id") or entry.get("link") or hashlib.sha256(
            text.encode()).hexdigest()[:32]
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        ts = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else now
        stream = self.matcher.match(text) if self.matcher else self.stream
        lang = (feed.get("language") or "").split("-")[0].lower() or None
        return Mention(
            source=self.name, source_id=str(ident)[:500], stream=stream or "", ts=ts,
            author=str(entry.get("author") or feed.get("title") or "unknown")[:200], text=text,
            url=entry.get("link"), lang_hint=lang,
            raw=json.dumps(entry, default=str, ensure_ascii=False)[:50_000],
        )



def from_config(cfg: SourceConfig, settings: Settings) -> RssSource:
    """Build a ``kind = "rss"`` source.

    Options: ``urls`` (required; feed URLs), ``match_keywords`` (default false: every
    entry belongs to the source's stream; true: keep only entries naming a stream's
    keyword, e.g. for general news feeds), ``timeout_seconds`` (default 20),
    ``max_age_hours`` (default 72; older entries are skipped, so that the first fetch of a
    feed does not open tickets for old posts; 0 keeps everything).
    """
    opts = Options(cfg, OPTIONS)
    urls = opts.list("urls")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise opts.error(f"feed URL {url!r} must start with http:// or https://")
    matcher = StreamMatcher.for_source(cfg, settings) if opts.bool("match_keywords",
                                                                     False) else None
    return RssSource(cfg.name, urls, default_stream(cfg, settings), matcher,
                     timeout=opts.float("timeout_seconds", 20.0, minimum=1.0),
                     max_text_chars=settings.app.max_text_chars,
                     max_age_hours=opts.float("max_age_hours", 72.0))
