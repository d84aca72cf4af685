"""Shared pieces of the source tests: settings, recorded payloads, a loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitoring.config import Settings, parse_settings

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def settings_with(*sources: dict[str, Any]) -> Settings:
    """Settings with the 'lumea' and 'acme' streams and the given sources."""
    return parse_settings({
        "app": {"silent_after_minutes": 15},
        "streams": [
            {"id": "lumea", "name": "Lumea", "keywords": ["lumea", "#lumeaenergia"],
             "handles": ["@LumeaEnergia"]},
            {"id": "acme", "name": "ACME", "keywords": ["acme"]},
        ],
        "sources": list(sources),
    })


@dataclass
class Reply:
    """One recorded HTTP answer."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    """One request the server received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 answering recorded replies per path, in order.

    The last reply of a path repeats once the others are used up.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                outer.seen.append(Seen(parts.path, parse_qs(parts.query),
                                       {k.lower(): v for k, v in self.headers.items()}))
                replies = outer.routes.get(parts.path) or [Reply(b"not found", 404)]
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str, *replies: Reply) -> None:
        self.routes.setdefault(path, []).extend(replies)

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


@contextmanager
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
