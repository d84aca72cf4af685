"""Escalation webhooks: generic JSON, Slack-compatible and Microsoft Teams-compatible.

Every request carries the notification's idempotency key in the ``Idempotency-Key``
header (and in the generic JSON body), identical on every retry, so a receiver can drop
a duplicate after a timeout.  The URL is a secret (it authorises posting to a channel):
it comes from the contact's ``webhook`` or the environment variable named by
``webhook_env``, and no error message ever contains it.

Examples
--------
>>> from monitoring.i18n import Translator
>>> from monitoring.notify import Notification
>>> n = Notification(1, "esc-7-webhook", "webhook", "ceo", {"message": "Call me", "level": 2,
...     "alert": {"alert_id": 3, "kind": "service_incident", "stream": "lumea",
...               "severity": 9}}, "http://h/ack?token=t")
>>> build_payload(n, "json", Translator("en"))["idempotency_key"]
'esc-7-webhook'
>>> build_payload(n, "slack", Translator("en"))["text"]
'Service incident on lumea (severity 9/10)'
>>> build_payload(n, "teams", Translator("en"))["potentialAction"][0]["targets"][0]["uri"]
'http://h/ack?token=t'
"""

from __future__ import annotations

from typing import Any

import requests

from monitoring.config import Contact, Settings, lookup_secret
from monitoring.i18n import Translator
from monitoring.notify import (
    DeliveryError,
    Notification,
    PermanentDeliveryError,
    headline,
    summary_lines,
)

__all__ = ["build_payload", "send_webhook", "webhook_url"]

#: Statuses worth retrying; any other non-2xx status is a configuration problem.
RETRY_STATUSES = frozenset({408, 425, 429})


def _samples(n: Notification) -> list[str]:
    return [f"{s.get('author', '')}: {s.get('text', '')}" for s in n.alert.get("samples") or []]


def build_payload(n: Notification, fmt: str, tr: Translator) -> dict[str, Any]:
    """The request body for ``fmt`` (``json``, ``slack`` or ``teams``)."""
    title = headline(n, tr)
    body = "\n".join(summary_lines(n, tr)[1:]).strip()
    samples = _samples(n)
    if fmt == "slack":
        text = "\n".join([body, *(f"> {s}" for s in samples)])
        return {"text": title, "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "plain_text", "text": text[:2900]}},
            {"type": "actions", "elements": [{
                "type": "button", "text": {"type": "plain_text", "text": tr("notify.ack_cta")},
                "url": n.ack_url, "style": "primary"}]},
        ]}
    if fmt == "teams":
        return {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                "summary": title, "title": title, "themeColor": "D7263D",
                "text": "\n\n".join([body, *samples]),
                "potentialAction": [{"@type": "OpenUri", "name": tr("notify.ack_cta"),
                                     "targets": [{"os": "default", "uri": n.ack_url}]}]}
    return {"idempotency_key": n.key, "event": "escalation", "title": title,
            "level": n.payload.get("level"), "contact": n.contact,
            "message": n.payload.get("message"), "ack_url": n.ack_url,
            "ack_deadline": n.payload.get("ack_deadline"), "alert": n.alert}


def webhook_url(contact: Contact) -> str:
    """The contact's webhook URL (from ``webhook_env`` when set); never logged."""
    if contact.webhook_env:
        url = lookup_secret(contact.webhook_env)
        if not url:
            raise PermanentDeliveryError(
                f"webhook of {contact.id}: the secret {contact.webhook_env} is not set")
        return url
    if not contact.webhook:
        raise PermanentDeliveryError(f"contact {contact.id} has no webhook")
    return contact.webhook


def send_webhook(n: Notification, settings: Settings, contact: Contact,
                 session: requests.Session | None = None) -> None:
    """POST one notification; :class:`DeliveryError` (retry) or :class:`PermanentDeliveryError`."""
    url = webhook_url(contact)
    tr = Translator(n.payload.get("lang") or settings.app.language, settings.app.timezone)
    payload = build_payload(n, contact.webhook_format, tr)
    where = f"webhook of {contact.id}"
    try:
        response = (session or requests).post(
            url, json=payload, timeout=settings.notify.timeout_seconds,
            headers={"Idempotency-Key": n.key, "User-Agent": "Sentinella"},
            allow_redirects=False)
    except requests.Timeout:
        raise DeliveryError(f"{where}: no answer within {settings.notify.timeout_seconds:g} s"
                            ) from None
    except requests.RequestException as exc:
        # the exception text holds the URL: only its type is recorded
        raise DeliveryError(f"{where}: connection failed ({type(exc).__name__})") from None
    if 200 <= response.status_code < 300:
        return
    error = (DeliveryError if response.status_code >= 500 or response.status_code
             in RETRY_STATUSES else PermanentDeliveryError)
    raise error(f"{where}: HTTP {response.status_code}")
