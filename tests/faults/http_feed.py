"""A loopback HTTP feed of JSON lines with scripted faults, and a small source reading it.

The server answers ``GET /feed?since=N`` with the lines after the N-th, or with the next
scripted fault: ``timeout`` (answers too late), ``reset`` (closes the connection with a
TCP RST), ``429`` (with or without ``Retry-After``), ``503``, ``truncated`` (a JSON line
cut in the middle), ``latin1`` (a line not encoded in UTF-8).  ``HttpJsonSource``
normalises each line with the replay normaliser and quarantines what it cannot read.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

from monitoring.sources.base import FetchResult, Rejected, SourceError
from monitoring.sources.replay import ReplaySource


class Feed:
    """The items served and the faults still to inject (consumed one per request)."""

    def __init__(self, items: list[dict]):
        self.items = items
        self.faults: list[str] = []
        self.requests = 0
        self.lock = threading.Lock()

    def next_fault(self) -> str | None:
        with self.lock:
            self.requests += 1
            return self.faults.pop(0) if self.faults else None


class _Handler(BaseHTTPRequestHandler):
    feed: Feed

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        fault = self.feed.next_fault()
        since = int(parse_qs(urlparse(self.path).query).get("since", ["0"])[0])
        lines = [json.dumps(item, ensure_ascii=False).encode() for item in
                 self.feed.items[since:since + 50]]
        if fault == "timeout":
            time.sleep(1.5)
        elif fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            return
        elif fault in ("429", "429-retry-after", "503"):
            self.send_response(int(fault[:3]))
            if fault == "429-retry-after":
                self.send_header("Retry-After", "30")
            self.end_headers()
            return
        elif fault == "truncated" and lines:
            lines[-1] = lines[-1][: len(lines[-1]) // 2]
        elif fault == "latin1" and lines:
            lines[0] = json.dumps(self.feed.items[since], ensure_ascii=False).encode("latin-1",
                                                                                   "replace")
        body = b"\n".join(lines)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(feed: Feed) -> Iterator[str]:
    """Serve ``feed`` on a loopback port; yields the feed URL."""
    handler = type("Handler", (_Handler,), {"feed": feed})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    finally:
        server.shutdown()
        server.server_close()


class HttpJsonSource:
    """Read a JSON-lines feed over HTTP; the cursor is the number of lines consumed."""

    def __init__(self, name: str, url: str, stream: str, timeout: float = 0.5):
        self.name = name
        self.url = url
        self.timeout = timeout
        self._normaliser = ReplaySource(name, "-", stream)

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        start = int(cursor or 0)
        try:
            with urlopen(f"{self.url}?since={start}", timeout=self.timeout) as resp:
                body = resp.read()
        except HTTPError as exc:
            if exc.code == 429:
                after = exc.headers.get("Retry-After")
                raise SourceError(f"rate limited (HTTP 429), retry after {after or 'unknown'} s",
                                  retry_after=float(after) if after else None,
                                  state="rate_limited") from None
            raise SourceError(f"HTTP {exc.code} from the feed") from None
        except (URLError, OSError) as exc:
            raise SourceError(f"feed unreachable: {exc}") from None
        mentions, rejected = [], []
        lines = body.split(b"\n") if body else []
        for i, raw in enumerate(lines):
            try:
                row = json.loads(raw.decode("utf-8"))
                if not isinstance(row, dict):
                    raise TypeError("not a JSON object")
                mentions.append(self._normaliser._mention(row, start + i))
            except UnicodeDecodeError:
                rejected.append(Rejected(raw.decode("latin-1")[:10_000], "wrong encoding: not UTF-8"))
            except json.JSONDecodeError as exc:
                rejected.append(Rejected(raw.decode("utf-8", "replace")[:10_000],
                                         f"malformed JSON: {exc.msg}"))
            except (ValueError, TypeError) as exc:
                rejected.append(Rejected(raw.decode("utf-8", "replace")[:10_000], str(exc)))
        return FetchResult(mentions, str(start + len(lines)), rejected)
