"""HTTP helpers shared by the sources that speak plain HTTP (feeds, Jetstream handshake).

:func:`check_response` turns an HTTP status into the source health the wall shows:
401/403 -> "failing" with a clear reason, 429 -> "rate_limited" with the wait read from
``Retry-After`` or ``x-rate-limit-reset``, other errors -> "failing".  URLs in messages
are stripped of their query string and user info (they may carry tokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import requests

from monitoring.models import utc
from monitoring.sources.base import SourceError

USER_AGENT = "Sentinella/1.0 (crisis monitoring; +https://github.com/sentinella)"
#: Default wait when a service says "too many requests" without saying for how long.
DEFAULT_RATE_LIMIT_WAIT = 900.0
#: Largest response body read from a feed or API (bytes).
MAX_BODY_BYTES = 20_000_000


def safe_url(url: str) -> str:
    """``url`` without user info, query and fragment, for messages and logs.

    >>> safe_url("https://user:pw@example.org/feed.xml?token=abc#x")
    'https://example.org/feed.xml'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait according to ``Retry-After`` (seconds or date) or a reset epoch.

    >>> from datetime import UTC, datetime
    >>> now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    >>> retry_after({"Retry-After": "30"}, now), retry_after({}, now)
    (30.0, None)
    >>> retry_after({"x-rate-limit-reset": str(int(now.timestamp()) + 90)}, now)
    90.0
    >>> retry_after({"Retry-After": "Thu, 01 Jan 2026 12:02:00 GMT"}, now)
    120.0
    """
    lower = {k.lower(): v for k, v in headers.items()}
    value = lower.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(value) - utc(now)).total_seconds())
            except (TypeError, ValueError):
                return None
    for key in ("x-rate-limit-reset", "x-ratelimit-reset"):
        if lower.get(key):
            try:
                reset = float(lower[key])
            except ValueError:
                continue
            # Epoch seconds (X, Mastodon as ISO is handled by its client) or seconds left.
            return max(0.0, reset - utc(now).timestamp()) if reset > 1e9 else reset
    return None


def check_response(resp: requests.Response, what: str, now: datetime) -> None:
    """Raise :class:`SourceError` for an unsuccessful response of ``what`` (a source name)."""
    status = resp.status_code
    if status < 400:
        return
    where = safe_url(resp.url or "")
    if status in (401, 403):
        raise SourceError(f"{what}: access refused by {where} (HTTP {status}): check the "
                          "credentials and their permissions")
    if status == 429:
        wait = retry_after(resp.headers, now)
        raise SourceError(f"{what}: rate limited by {where} (HTTP 429)",
                          retry_after=DEFAULT_RATE_LIMIT_WAIT if wait is None else wait,
                          state="rate_limited")
    raise SourceError(f"{what}: {where} answered HTTP {status}",
                      retry_after=retry_after(resp.headers, now))


def read_body(resp: requests.Response, what: str) -> bytes:
    """The body of a streamed response, refusing more than :data:`MAX_BODY_BYTES`."""
    chunks, size = [], 0
    for chunk in resp.iter_content(65_536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise SourceError(f"{what}: response larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def session() -> requests.Session:
    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    return s
