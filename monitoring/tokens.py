"""Signed, expiring tokens: acknowledgement links and kiosk screens.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding: the payload
is a small JSON object (``p`` purpose, ``s`` subject, ``exp`` expiry as a Unix time) and
the signature its HMAC-SHA256 under a secret that lives in the environment (or Streamlit
secrets), never in the settings file or the database.  A token of one purpose is never
accepted for another, and rotating the secret revokes every token at once.

Examples
--------
>>> from datetime import datetime, timedelta, UTC
>>> signer = TokenSigner(b"a secret of at least sixteen bytes")
>>> now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
>>> token = signer.sign("ack", "42", now + timedelta(hours=24))
>>> signer.verify(token, "ack", now=now)
'42'
>>> signer.verify(token, "ack", now=now + timedelta(hours=25))
Traceback (most recent call last):
...
monitoring.tokens.TokenError: this link has expired
>>> signer.verify(token, "kiosk", now=now)
Traceback (most recent call last):
...
monitoring.tokens.TokenError: this token is not valid here
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from monitoring.config import Settings, lookup_secret
from monitoring.models import utc

__all__ = ["TokenError", "TokenSigner", "signer_from_settings"]

#: Shortest accepted secret (bytes).
MIN_SECRET_BYTES = 16
#: Longest token accepted before any decoding (characters).
MAX_TOKEN_CHARS = 1_024


class TokenError(ValueError):
    """The token is malformed, forged, of another purpose or expired (message for the user)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Sign and verify tokens with one secret.

    Parameters
    ----------
    secret : bytes
        The HMAC key (at least 16 bytes).
    """

    def __init__(self, secret: bytes):
        if len(secret) < MIN_SECRET_BYTES:
            raise TokenError(f"the token secret must be at least {MIN_SECRET_BYTES} bytes long")
        self._secret = secret

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def sign(self, purpose: str, subject: str, expires: datetime) -> str:
        """A token for ``subject`` valid for ``purpose`` until ``expires``."""
        body = json.dumps({"p": purpose, "s": subject, "exp": int(utc(expires).timestamp())},
                          separators=(",", ":"), sort_keys=True)
        payload = _b64(body.encode("utf-8"))
        return f"{payload}.{self._mac(payload)}"

    def claims(self, token: str, purpose: str, *, now: datetime) -> dict[str, Any]:
        """The verified payload of ``token``; :class:`TokenError` if it is not acceptable."""
        token = (token or "").strip()
        if (not token or len(token) > MAX_TOKEN_CHARS or not token.isascii()
                or token.count(".") != 1):
            raise TokenError("this link is not valid")
        payload, mac = token.split(".")
        if not hmac.compare_digest(mac.encode("ascii"), self._mac(payload).encode("ascii")):
            raise TokenError("this link is not valid")
        try:
            data = json.loads(_unb64(payload))
            purpose_of, subject, expires = data["p"], str(data["s"]), int(data["exp"])
        except (ValueError, KeyError, TypeError):
            raise TokenError("this link is not valid") from None
        if purpose_of != purpose:
            raise TokenError("this token is not valid here")
        if utc(now).timestamp() >= expires:
            raise TokenError("this link has expired")
        return {"purpose": purpose_of, "subject": subject, "expires": expires}

    def verify(self, token: str, purpose: str, *, now: datetime) -> str:
        """The subject of a valid token of ``purpose``; :class:`TokenError` otherwise."""
        return self.claims(token, purpose, now=now)["subject"]


def signer_from_settings(settings: Settings,
                         secrets: Mapping[str, Any] | None = None) -> TokenSigner:
    """The signer keyed by the secret named ``auth.token_secret_env``.

    Raises :class:`TokenError` naming the variable (never its value) when it is unset.
    """
    name = settings.auth.token_secret_env
    value = lookup_secret(name, secrets)
    if not value:
        raise TokenError(f"no token secret: set the environment variable or secret {name} "
                         f"(at least {MIN_SECRET_BYTES} characters)")
    return TokenSigner(value.encode("utf-8"))
