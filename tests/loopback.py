"""Real servers on loopback for the delivery tests: SMTP (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """An SMTP server keeping every message; with ``password`` it requires that login."""

    def __init__(self, password: str | None = None):
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, bool]] = []
        self.password = password
        self.port = free_port()
        kwargs = {}
        if password is not None:
            kwargs = {"authenticator": self._auth, "auth_require_tls": False,
                      "auth_exclude_mechanism": ["LOGIN"],
                      "auth_required": True}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)

    def _auth(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.password.decode() == self.password
        self.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def __enter__(self) -> Self:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class WebhookReceiver:
    """An HTTP receiver that, like a careful real one, applies each ``Idempotency-Key`` once.

    ``script`` lists what the first requests get: an HTTP status; ``"hang"`` (processed,
    but the answer comes after ``hang_seconds``, past the client's timeout); or
    ``"stall"`` (not processed, 503 after ``hang_seconds``).  Later requests get 200.
    ``accepted`` counts processed requests per key, ``effects`` the first body per key.
    """

    def __init__(self, script: list[int | str] | None = None, hang_seconds: float = 1.5):
        self.script = list(script or [])
        self.hang_seconds = hang_seconds
        self.requests: list[tuple[str, dict]] = []
        self.accepted: Counter[str] = Counter()
        self.effects: dict[str, dict] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with receiver._lock:
                    receiver.requests.append((key, body))
                    step = receiver.script.pop(0) if receiver.script else 200
                    if step in (200, "hang"):
                        receiver.accepted[key] += 1
                        receiver.effects.setdefault(key, body)
                if step in ("hang", "stall"):
                    time.sleep(receiver.hang_seconds)
                    step = 200 if step == "hang" else 503
                self.send_response(int(step))
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/s3cr3t-path"

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- settings and an alert
SECRET_ENV = "SENTINELLA_TEST_TOKEN_SECRET"
SECRET = "test-token-secret-0123456789"


def settings_for(smtp_port: int | None = None, webhook_url: str | None = None,
                 webhook_format: str = "json", **sections: dict):
    """The demo settings with contacts reaching the loopback servers."""
    import tomllib

    from monitoring.config import DEFAULT_CONFIG, parse_settings

    data = tomllib.loads(DEFAULT_CONFIG.read_text())
    director = {"id": "comms-director", "name": "Direttrice comunicazione",
                "email": "director@lumea.example"}
    if webhook_url:
        director.update(webhook=webhook_url, webhook_format=webhook_format)
    data["contacts"] = [director] + [c for c in data["contacts"] if c["id"] != "comms-director"]
    data["smtp"] = {"host": "127.0.0.1", "port": smtp_port or free_port(), "timeout_seconds": 5}
    data["notify"] = {"backoff_seconds": 10, "max_attempts": 5, "timeout_seconds": 0.5}
    data["auth"] = {"token_secret_env": SECRET_ENV}
    data["app"]["base_url"] = "http://dash.example:8501"
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_settings(data)


def open_alert(store, now, severity: int = 9, kind: str = "reputation_crisis",
               state: str = "open") -> int:
    """An alert (open by default) with one sample post holding a phone number."""
    expl = json.dumps({"top_terms": ["vessani", "boicotta"], "negative_share": 0.71,
                       "sample_ids": ["demo:1"]})
    store.reader().execute(
        "INSERT INTO mentions (source, source_id, stream, ts, author, text, batch_id, "
        "ingested_at) VALUES ('demo', '1', 'lumea', ?, '@mario', '<script>x</script> Vergogna!"
        " chiamatemi al +39 333 123 4567', 0, ?) ON CONFLICT DO NOTHING", [now, now])
    return store.reader().execute(
        "INSERT INTO alerts (stream, kind, state, severity, score, opened_at, first_bin, "
        "last_bin, updated_at, observed, expected, explanation) VALUES ('lumea', ?, ?, "
        "?, 9.0, ?, ?, ?, ?, 40, 6.5, ?) RETURNING id",
        [kind, state, severity, now, now, now, now, expl]).fetchall()[0][0]
