"""Delivering escalations: e-mail, webhooks, the outbox job and the ladder.

:mod:`monitoring.escalation` writes what must be sent into the ``outbox`` table;
:mod:`monitoring.notify.outbox` sends it (:mod:`.email`, :mod:`.webhook`) with retries;
:mod:`monitoring.notify.ladder` notifies the next level when nobody acknowledges in time.

This module holds what the channels share: the :class:`Notification` being sent, the two
kinds of delivery failure, and the plain-text summary of an alert used by every channel.

Examples
--------
>>> from monitoring.i18n import Translator
>>> n = Notification(1, "esc-7-email", "email", "ceo", {"message": "Call me", "level": 1,
...     "alert": {"kind": "reputation_crisis", "stream": "lumea", "severity": 8,
...               "observed": 40, "expected": 6.5, "top_terms": ["boicotta"], "samples": []}},
...     "https://dash.example/ack?token=t")
>>> print("\\n".join(summary_lines(n, Translator("en"))))
Reputation crisis on lumea (severity 8/10)
Mentions per minute: 40 (expected 6.5)
Top terms: boicotta
<BLANKLINE>
Call me
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitoring.i18n import Translator

__all__ = ["DeliveryError", "Notification", "PermanentDeliveryError", "summary_lines"]


class DeliveryError(RuntimeError):
    """A delivery attempt failed and may succeed later (retried with backoff).

    The message is recorded in ``outbox.last_error`` and shown on the wall: it must never
    contain a secret (password, webhook URL, token).
    """


class PermanentDeliveryError(DeliveryError):
    """A delivery cannot succeed without a change of configuration (not retried)."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One outbox row being delivered.

    Parameters
    ----------
    outbox_id : int
        The row.
    key : str
        Idempotency key (``esc-<escalation id>-<channel>``), the same on every attempt.
    channel : str
        ``email`` or ``webhook``.
    contact : str
        Contact id (the address or URL is resolved from the settings when sending).
    payload : dict
        The snapshot written with the escalation (message, level, alert context).
    ack_url : str
        The signed acknowledgement link.
    """

    outbox_id: int
    key: str
    channel: str
    contact: str
    payload: dict[str, Any]
    ack_url: str

    @property
    def alert(self) -> dict[str, Any]:
        return self.payload.get("alert") or {}


def headline(n: Notification, tr: Translator) -> str:
    """One line: kind, stream, severity."""
    a = n.alert
    return tr("notify.headline", kind=tr(f"kind.{a.get('kind')}"), stream=a.get("stream"),
              severity=a.get("severity"))


def summary_lines(n: Notification, tr: Translator) -> list[str]:
    """The alert's context as plain text lines (mention text is already masked)."""
    a = n.alert
    lines = [headline(n, tr)]
    if a.get("observed") is not None and a.get("expected") is not None:
        lines.append(tr("notify.volume", observed=tr.number(float(a["observed"]), 0),
                        expected=tr.number(float(a["expected"]), 1)))
    if a.get("negative_share") is not None:
        lines.append(tr("notify.negative", share=tr.percent(float(a["negative_share"]))))
    if a.get("top_terms"):
        lines.append(tr("notify.terms", terms=", ".join(map(str, a["top_terms"][:8]))))
    lines += ["", str(n.payload.get("message") or "")]
    return lines
