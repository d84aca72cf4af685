"""A support mailbox as a channel (IMAP, via imapclient), polled read-only.

The folder is opened read-only (``EXAMINE``, ``BODY.PEEK[]``), so the monitor never marks
mail as read.  The cursor is the folder's ``UIDVALIDITY`` and the last UID stored: each
fetch asks for the UIDs after it, at most ``max_messages`` at a time, so a restart
neither skips nor repeats mail.  If the server renumbers the folder (a new UIDVALIDITY)
the source starts again from the first message and the store drops what it already has.

Each e-mail becomes one mention: the subject and the plain-text body (HTML bodies are
reduced to text, never rendered), the sender's address as author, ``In-Reply-To`` as
the conversation link.  A message with neither subject nor body is quarantined.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Rejected, SourceError
from monitoring.sources.match import StreamMatcher
from monitoring.sources.options import Options, credentials, default_stream
from monitoring.sources.text import plain_text

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

OPTIONS = {"host", "port", "ssl", "folder", "max_messages", "match_keywords",
           "timeout_seconds", "backfill_days"}


class ImapSource:
    """Poll one IMAP folder.

    Examples
    --------
    >>> src = ImapSource("mail", "imap.example.org", "care@example.org", "pw", "lumea")
    >>> src.port, src.folder
    (993, 'INBOX')
    """

    def __init__(self, name: str, host: str, username: str, password: str, stream: str,
                 port: int | None = None, use_ssl: bool = True, folder: str = "INBOX",
                 max_messages: int = 200, matcher: StreamMatcher | None = None,
                 timeout: float = 30.0, max_text_chars: int = 4_000,
                 credential_names: str = "the mailbox credentials", backfill_days: float = 2.0):
        self.name = name
        self.backfill_days = backfill_days
        self.host = host
        self.port = port or (993 if use_ssl else 143)
        self.use_ssl = use_ssl
        self.username = username
        self._password = password
        self.stream = stream
        self.folder = folder
        self.max_messages = max_messages
        self.matcher = matcher
        self.timeout = timeout
        self.max_text_chars = max_text_chars
        self.credential_names = credential_names

    def __repr__(self) -> str:  # never show the password
        return f"ImapSource({self.name!r}, {self.host!r}, folder={self.folder!r})"

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        validity, last_uid = _load(cursor, self.name)
        where = f"{self.name}: mailbox {self.host}:{self.port}/{self.folder}"
        try:
            with IMAPClient(self.host, port=self.port, ssl=self.use_ssl,
                            timeout=self.timeout) as client:
                try:
                    client.login(self.username, self._password)
                except LoginError:
                    raise SourceError(f"{where}: login refused for {self.username}: check "
                                      f"{self.credential_names}") from None
                info = client.select_folder(self.folder, readonly=True)
                uidvalidity = int(info.get(b"UIDVALIDITY", 0))
                criteria: list[Any] = ["UID", f"{last_uid + 1}:*"]
                if validity is None and self.backfill_days:
                    # first run: the recent mail only, not the whole history of the folder
                    criteria += ["SINCE", (now - timedelta(days=self.backfill_days)).date()]
                elif uidvalidity != validity:
                    last_uid = 0  # the folder was renumbered: read it again
                    criteria = ["UID", "1:*"]
                uids = sorted(u for u in client.search(criteria)
                              if u > last_uid)[: self.max_messages]
                fetched = client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"]) if uids else {}
        except SourceError:
            raise
        except (IMAPClientError, OSError) as exc:  # OSError covers TLS errors and timeouts
            raise SourceError(f"{where}: {type(exc).__name__}: {str(exc)[:200]}") from None
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        for uid in uids:
            data = fetched.get(uid, {})
            raw = data.get(b"BODY[]") or b""
            try:
                mention = self._mention(raw, data.get(b"INTERNALDATE"), uidvalidity, uid, now)
            except (ValueError, TypeError, LookupError) as exc:
                rejected.append(Rejected(payload=raw[:20_000].decode("utf-8", "replace"),
                                         reason=f"{where}: message UID {uid}: {exc}"))
                continue
            if mention.stream:
                mentions.append(mention)
        new_last = max(uids, default=last_uid)
        return FetchResult(mentions, json.dumps({"uidvalidity": uidvalidity,
                                                 "last_uid": new_last}), rejected)

    def _mention(self, raw: bytes, internal: Any, uidvalidity: int, uid: int,
                 now: datetime) -> Mention:
        if not raw:
            raise ValueError("empty message")
        msg = email.message_from_bytes(raw[:5_000_000], policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        subject = plain_text(str(msg.get("Subject") or ""), 500)
        body = _body(msg, self.max_text_chars)
        text = f"{subject}\n{body}".strip() if subject else body
        if not text:
            raise ValueError("no subject and no text")
        try:
            ts = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
        except (TypeError, ValueError):
            ts = None
        if ts is None or ts.tzinfo is None:
            ts = internal if isinstance(internal, datetime) else now
        name, address = parseaddr(str(msg.get("From") or ""))
        ident = str(msg.get("Message-ID") or "").strip() or f"{uidvalidity}:{uid}"
        stream = self.matcher.match(text) if self.matcher else self.stream
        reply = str(msg.get("In-Reply-To") or "").strip() or None
        return Mention(
            source=self.name, source_id=ident[:500], stream=stream or "", ts=ts,
            author=(address or name or "unknown")[:200], text=text[: self.max_text_chars],
            reply_to=reply, raw=raw[:50_000].decode("utf-8", "replace"),
        )


def _body(msg: EmailMessage, limit: int) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return plain_text(_strip_scripts(content), limit)
    return content.replace("\r\n", "\n").strip()[:limit]


def _strip_scripts(html_text: str) -> str:
    import re

    return re.sub(r"<(script|style)\b.*?</\1\s*>", " ", html_text[:400_000],
                  flags=re.IGNORECASE | re.DOTALL)


def _load(cursor: str | None, name: str) -> tuple[int | None, int]:
    if not cursor:
        return None, 0
    try:
        value = json.loads(cursor)
        return int(value["uidvalidity"]), int(value["last_uid"])
    except (ValueError, KeyError, TypeError):
        raise SourceError(f"{name}: unreadable cursor {cursor[:40]!r}") from None


def from_config(cfg: SourceConfig, settings: Settings,
                secrets: Mapping[str, Any] | None = None) -> ImapSource:
    """Build a ``kind = "imap"`` source (free: your own mailbox).

    Credentials: ``username`` and ``password`` (an app password where the provider asks
    for one).  Options: ``host`` (required), ``port`` (default 993, or 143 without
    SSL), ``ssl`` (default true), ``folder`` (default INBOX), ``max_messages`` per fetch
    (default 200), ``match_keywords`` (default false: every e-mail belongs to the
    source's stream), ``timeout_seconds``, ``backfill_days`` (first run: mail of the last
    N days only; default 2; 0 reads the whole folder).
    """
    opts = Options(cfg, OPTIONS)
    creds = credentials(cfg, secrets, ["username", "password"])
    matcher = (StreamMatcher.for_source(cfg, settings)
               if opts.bool("match_keywords", False) else None)
    port = opts.int("port", 0, minimum=0) or None
    names = " and ".join(cfg.credentials[k] for k in ("username", "password"))
    return ImapSource(cfg.name, opts.str("host"), creds["username"], creds["password"],
                      default_stream(cfg, settings), port, opts.bool("ssl", True),
                      opts.str("folder", "INBOX"), opts.int("max_messages", 200, minimum=1),
                      matcher, opts.float("timeout_seconds", 30.0, minimum=1.0),
                      settings.app.max_text_chars, names,
                      opts.float("backfill_days", 2.0))
