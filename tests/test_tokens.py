from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.config import load_settings
from monitoring.tokens import TokenError, TokenSigner, signer_from_settings

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SIGNER = TokenSigner(b"0123456789abcdef-secret")


def _forge_subject(token: str) -> str:
    import base64
    import json

    payload, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["s"] = "99"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{forged}.{mac}"


GOOD = SIGNER.sign("ack", "7", NOW + timedelta(hours=1))


@pytest.mark.parametrize(("token", "purpose", "now", "message"), [
    (GOOD, "ack", NOW + timedelta(hours=1), "expired"),
    (GOOD, "ack", NOW + timedelta(days=30), "expired"),
    (GOOD, "kiosk", NOW, "not valid here"),
    (_forge_subject(GOOD), "ack", NOW, "not valid"),
    (TokenSigner(b"another secret of 16+ bytes").sign("ack", "7", NOW + timedelta(hours=1)),
     "ack", NOW, "not valid"),
    (GOOD[:-2], "ack", NOW, "not valid"),
    ("", "ack", NOW, "not valid"),
    ("a.b.c", "ack", NOW, "not valid"),
    ("x" * 5000, "ack", NOW, "not valid"),
    ("ünïcode.tøken", "ack", NOW, "not valid"),
])
def test_expired_forged_or_misused_tokens_are_refused(token, purpose, now, message):
    with pytest.raises(TokenError, match=message):
        SIGNER.verify(token, purpose, now=now)


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(minutes=59, seconds=59)])
def test_a_valid_token_gives_its_subject_until_it_expires(offset):
    assert SIGNER.verify(GOOD, "ack", now=NOW + offset) == "7"


def test_short_secrets_are_refused():
    with pytest.raises(TokenError, match="at least 16 bytes"):
        TokenSigner(b"short")


def test_signer_from_settings_names_the_missing_variable(monkeypatch):
    settings = load_settings()
    monkeypatch.delenv(settings.auth.token_secret_env, raising=False)
    with pytest.raises(TokenError, match="SENTINELLA_TOKEN_SECRET"):
        signer_from_settings(settings)
    monkeypatch.setenv(settings.auth.token_secret_env, "a-real-secret-of-enough-length")
    token = signer_from_settings(settings).sign("kiosk", "wall", NOW + timedelta(days=1))
    assert signer_from_settings(settings).verify(token, "kiosk", now=NOW) == "wall"
    assert "a-real-secret" not in token


def _kiosk_cli(env: dict[str, str]):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "monitoring", "token", "kiosk", "--name",
                           "sala-crisi", "--days", "2"], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, **env})


def test_cli_prints_a_kiosk_link_that_verifies(monkeypatch):
    monkeypatch.delenv("SENTINELLA_TOKEN_SECRET", raising=False)
    secret = "kiosk-secret-for-the-test-123"
    done = _kiosk_cli({"SENTINELLA_TOKEN_SECRET": secret})
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith("http://localhost:8501/?kiosk=1&token=") and secret not in url
    token = url.split("token=", 1)[1]
    signer = TokenSigner(secret.encode())
    assert signer.verify(token, "kiosk", now=datetime.now(UTC)) == "sala-crisi"
    with pytest.raises(TokenError, match="expired"):
        signer.verify(token, "kiosk", now=datetime.now(UTC) + timedelta(days=2, minutes=1))
    with pytest.raises(TokenError, match="not valid here"):
        signer.verify(token, "ack", now=datetime.now(UTC))


def test_cli_without_a_secret_names_the_variable(monkeypatch):
    monkeypatch.delenv("SENTINELLA_TOKEN_SECRET", raising=False)
    done = _kiosk_cli({})
    assert done.returncode == 2 and "SENTINELLA_TOKEN_SECRET" in done.stderr
    assert not done.stdout
