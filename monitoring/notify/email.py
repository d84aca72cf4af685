"""Escalation e-mails over SMTP (plain, STARTTLS or SSL; optional login).

The message has a plain-text and an HTML part with the alert's context, the sample
posts (personal data already masked, and HTML-escaped here: mention text is untrusted),
a link to the dashboard and the acknowledgement link.  The idempotency key travels in
the ``Message-ID`` and an ``X-Sentinella-Key`` header, so a mail system can recognise a
retry.  The SMTP password comes from the environment variable named by
``smtp.password_env`` and never appears in an error.

Examples
--------
>>> from monitoring.config import load_settings
>>> from monitoring.notify import Notification
>>> n = Notification(1, "esc-7-email", "email", "ceo-office", {"message": "Call me",
...     "level": 1, "lang": "en", "alert": {"kind": "reputation_crisis", "stream": "lumea",
...     "severity": 8, "samples": [{"author": "@x", "text": "<b>boo</b>"}]}}, "http://h/ack?t")
>>> msg = build_email(n, load_settings(), "ceo@example.com")
>>> msg["Subject"], msg["X-Sentinella-Key"], msg["Message-ID"]
('[Sentinella] Reputation crisis on lumea (severity 8/10)', 'esc-7-email', '<esc-7-email@localhost>')
>>> "&lt;b&gt;boo&lt;/b&gt;" in msg.get_body(("html",)).get_content()
True
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage

from monitoring.config import Settings, lookup_secret
from monitoring.i18n import Translator
from monitoring.notify import (
    DeliveryError,
    Notification,
    PermanentDeliveryError,
    headline,
    summary_lines,
)

__all__ = ["build_email", "send_email"]


def _texts(n: Notification, settings: Settings, tr: Translator) -> tuple[list[str], list[str]]:
    """(lines before the samples, lines after) of the body."""
    head = [tr("notify.level", level=n.payload.get("level", 1)), *summary_lines(n, tr)]
    tail = [tr("notify.ack_text", url=n.ack_url)]
    deadline = n.payload.get("ack_deadline")
    if deadline:
        from datetime import datetime

        tail.append(tr("notify.ack_deadline", time=tr.time(datetime.fromisoformat(deadline))))
    tail.append(tr("notify.dashboard", url=settings.app.base_url))
    return head, tail


def build_email(n: Notification, settings: Settings, to: str) -> EmailMessage:
    """The multipart (plain + HTML) e-mail of a notification."""
    tr = Translator(n.payload.get("lang") or settings.app.language, settings.app.timezone)
    head, tail = _texts(n, settings, tr)
    samples = n.alert.get("samples") or []
    plain = [*head, ""]
    if samples:
        plain.append(tr("notify.samples") + ":")
        plain += [f"- {s.get('author', '')}: {s.get('text', '')}" for s in samples]
        plain.append("")
    plain += tail
    esc = html.escape
    parts = [f"<p>{esc(line)}</p>" if line else "" for line in head]
    if samples:
        parts.append(f"<h3>{esc(tr('notify.samples'))}</h3><ul>")
        parts += [f"<li><b>{esc(str(s.get('author', '')))}</b>: {esc(str(s.get('text', '')))}"
                  "</li>" for s in samples]
        parts.append("</ul>")
    parts.append(f'<p><a href="{esc(n.ack_url, quote=True)}" style="font-size:1.2em">'
                 f"<b>{esc(tr('notify.ack_cta'))}</b></a></p>")
    parts += [f"<p>{esc(line)}</p>" for line in tail[1:]]
    msg = EmailMessage()
    msg["Subject"] = tr("notify.subject", headline=headline(n, tr))
    msg["From"] = settings.smtp.sender
    msg["To"] = to
    domain = settings.smtp.sender.rpartition("@")[2] or "sentinella.local"
    msg["Message-ID"] = f"<{n.key}@{domain}>"  # the same on every retry
    msg["X-Sentinella-Key"] = n.key
    msg.set_content("\n".join(plain))
    msg.add_alternative("<html><body>" + "\n".join(parts) + "</body></html>", subtype="html")
    return msg


def send_email(n: Notification, settings: Settings, to: str) -> None:
    """Send one notification; :class:`DeliveryError` (retry) or :class:`PermanentDeliveryError`."""
    cfg = settings.smtp
    where = f"SMTP server {cfg.host}:{cfg.port}"
    username = password = None
    if cfg.username_env:
        username = lookup_secret(cfg.username_env)
        password = lookup_secret(cfg.password_env) if cfg.password_env else None
        if not username or not password:
            missing = cfg.username_env if not username else cfg.password_env
            raise PermanentDeliveryError(f"{where}: the secret {missing} is not set")
    msg = build_email(n, settings, to)
    try:
        context = ssl.create_default_context(cafile=cfg.ca_file)
        if cfg.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds,
                                                    context=context)
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        with client:
            if cfg.security == "starttls":
                client.starttls(context=context)
            if username and password:
                client.login(username, password)
            client.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentDeliveryError(
            f"{where} refused the login of {username!r}: {exc.smtp_code} "
            f"{_reply(exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentDeliveryError(f"{where}: {exc} (check smtp.security)") from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {r: c for r, (c, _) in exc.recipients.items()}
        raise PermanentDeliveryError(f"{where} refused the recipient: {codes}") from None
    except smtplib.SMTPResponseException as exc:
        error = DeliveryError if exc.smtp_code < 500 else PermanentDeliveryError
        raise error(f"{where} answered {exc.smtp_code} {_reply(exc.smtp_error)}") from None
    except ssl.SSLError as exc:
        raise PermanentDeliveryError(f"{where}: TLS failed ({exc.reason})") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{where}: {type(exc).__name__} "
                            f"{_reply(str(exc))}".rstrip()) from None


def _reply(text: bytes | str) -> str:
    value = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return value.strip()[:300]
