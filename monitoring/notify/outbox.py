"""The delivery job: send what the outbox holds, with retries, never twice on purpose.

Each due row is first **claimed** in its own transaction (attempt counted, state
``sending``, next attempt moved to the backoff time), then sent outside any database
lock, then marked ``sent`` — or ``pending`` again with the error and an exponentially
growing, jittered delay — or ``failed`` after ``notify.max_attempts`` attempts or on an
error that no retry can fix (refused SMTP login, HTTP 4xx, missing secret).  A crash
after the claim leaves a ``sending`` row that becomes due again at its backoff time, so
nothing is lost; the idempotency key, identical on every attempt, lets the receiver
recognise the rare resend of a message whose success was never recorded.

Every outcome is also an ``alert_events`` row (the alert's history on the timeline),
and error texts are scrubbed of every configured secret before they are stored.

Examples
--------
>>> import random
>>> from monitoring.config import Notify
>>> [round(backoff_seconds(Notify(jitter=0), n, random.Random(1))) for n in (1, 2, 3, 9)]
[30, 60, 120, 3600]
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.config import Contact, Notify, Settings, lookup_secret
from monitoring.notify import DeliveryError, Notification, PermanentDeliveryError
from monitoring.notify.email import send_email
from monitoring.notify.webhook import send_webhook
from monitoring.store import SQL_INSERT_ALERT_EVENT, Store, naive_utc
from monitoring.tokens import TokenError, signer_from_settings

__all__ = ["DeliveryReport", "backoff_seconds", "deliver_due"]

log = logging.getLogger("sentinella.notify")

Sender = Callable[[Notification, Settings, Contact], None]

#: Longest error text kept per row (characters).
MAX_ERROR_CHARS = 500

SQL_DUE = """
SELECT o.id, o.escalation_id, o.channel, o.target, o.idempotency_key, o.payload, o.attempts,
       e.alert_id
FROM outbox o JOIN escalations e ON e.id = o.escalation_id
WHERE o.state IN ('pending', 'sending') AND o.next_attempt_at <= ?
ORDER BY o.next_attempt_at, o.id
LIMIT ?
"""
SQL_CLAIM = """
UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?
WHERE id = ? AND state IN ('pending', 'sending') AND next_attempt_at <= ?
RETURNING attempts
"""
SQL_SENT = """
UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ? AND state = 'sending'
"""
SQL_RETRY = """
UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?
WHERE id = ? AND state = 'sending'
"""
SQL_FAILED = """
UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ? AND state = 'sending'
"""


@dataclass(slots=True)
class DeliveryReport:
    """What one run of the job did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff_seconds(cfg: Notify, attempts: int, rng: random.Random) -> float:
    """Delay before attempt ``attempts + 1``: exponential, capped, with ± ``jitter``."""
    base = min(cfg.backoff_seconds * 2.0 ** max(attempts - 1, 0), cfg.backoff_max_seconds)
    return base * (1.0 + cfg.jitter * rng.uniform(-1.0, 1.0))


def _send_email(n: Notification, settings: Settings, contact: Contact) -> None:
    if not contact.email:
        raise PermanentDeliveryError(f"contact {contact.id} has no e-mail address")
    send_email(n, settings, contact.email)


SENDERS: dict[str, Sender] = {"email": _send_email, "webhook": send_webhook}


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret's value (to scrub from error texts)."""
    names = [settings.smtp.password_env, settings.auth.token_secret_env,
             *(c.webhook_env for c in settings.contacts)]
    values = [lookup_secret(n) for n in names if n]
    values += [c.webhook for c in settings.contacts if c.webhook]
    return [v for v in values if v and len(v) >= 4]


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``***``, bounded in length.

    >>> scrub("login failed for hunter22", ["hunter22"])
    'login failed for ***'
    """
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "***")
    return text[:MAX_ERROR_CHARS]


def deliver_due(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    rng: random.Random | None = None,
    limit: int = 50,
    senders: Mapping[str, Sender] | None = None,
) -> DeliveryReport:
    """Send every outbox row due at ``now`` (at most ``limit``); never raises on a bad row."""
    rng = rng or random.Random()
    senders = senders or SENDERS
    t = naive_utc(now)
    report = DeliveryReport()
    due = store.reader().execute(SQL_DUE, [t, limit]).fetchall()
    for outbox_id, esc_id, channel, target, key, payload, attempts, alert_id in due:
        wait = backoff_seconds(settings.notify, attempts + 1, rng)
        with store.transaction() as cur:
            claimed = cur.execute(SQL_CLAIM, [t + timedelta(seconds=wait), outbox_id, t]
                                  ).fetchall()
        if not claimed:
            continue
        attempts = int(claimed[0][0])
        try:
            note = _notification(settings, outbox_id, esc_id, channel, target, key, payload, now)
            sender = senders.get(channel)
            if sender is None:
                raise PermanentDeliveryError(f"unknown channel {channel!r}")
            sender(note, settings, settings.contact(target))
        except Exception as exc:  # noqa: BLE001 - a failed delivery must not stop the monitor
            permanent = isinstance(exc, PermanentDeliveryError) or attempts >= \
                settings.notify.max_attempts
            if isinstance(exc, DeliveryError):
                text = str(exc)
            elif isinstance(exc, KeyError):
                text = f"contact {target!r} is no longer in the settings"
                permanent = True
            else:
                log.error("delivery %s: unexpected %s", key, type(exc).__name__)
                text = f"unexpected error {type(exc).__name__}"
            text = scrub(text, secret_values(settings))
            _record_failure(store, outbox_id, alert_id, key, channel, target, text, attempts,
                            permanent, t, rng, settings)
            report.failed += permanent
            report.retried += not permanent
            continue
        with store.transaction() as cur:
            cur.execute(SQL_SENT, [t, outbox_id])
            cur.execute(SQL_INSERT_ALERT_EVENT, [alert_id, t, "notified", "system", json.dumps(
                {"contact": target, "channel": channel, "key": key, "attempts": attempts})])
        report.sent += 1
    return report


def _notification(settings: Settings, outbox_id: int, esc_id: int, channel: str, target: str,
                  key: str, payload: str, now: datetime) -> Notification:
    try:
        signer = signer_from_settings(settings)
    except TokenError as exc:
        raise PermanentDeliveryError(f"no acknowledgement link: {exc}") from None
    token = signer.sign("ack", str(esc_id),
                        now + timedelta(hours=settings.auth.ack_token_hours))
    return Notification(int(outbox_id), key, channel, target, json.loads(payload),
                        f"{settings.app.base_url}/ack?token={token}")


def _record_failure(store: Store, outbox_id: int, alert_id: int, key: str, channel: str,
                    target: str, text: str, attempts: int, permanent: bool, t: datetime,
                    rng: random.Random, settings: Settings) -> None:
    log.warning("delivery %s to %s (%s), attempt %d: %s%s", key, target, channel, attempts,
                text, " — giving up" if permanent else "")
    with store.transaction() as cur:
        if permanent:
            cur.execute(SQL_FAILED, [text, outbox_id])
            cur.execute(SQL_INSERT_ALERT_EVENT, [alert_id, t, "delivery_failed", "system",
                                                 json.dumps({"contact": target, "channel": channel,
                                                             "key": key, "error": text,
                                                             "attempts": attempts})])
        else:
            wait = backoff_seconds(settings.notify, attempts, rng)
            cur.execute(SQL_RETRY, [t + timedelta(seconds=wait), text, outbox_id])
