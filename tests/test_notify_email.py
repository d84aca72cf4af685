"""E-mail over plain SMTP, STARTTLS and implicit TLS, against aiosmtpd on loopback."""

from __future__ import annotations

import ssl
import subprocess
from datetime import datetime

import pytest
from aiosmtpd.controller import Controller
from loopback import SECRET, SECRET_ENV, SmtpSink, open_alert, settings_for

from monitoring.auth import User
from monitoring.config import ConfigError
from monitoring.escalation import delivery_problems, escalate_alert
from monitoring.notify.outbox import deliver_due

T0 = datetime(2026, 3, 2, 10, 41)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)


def _server_context(cert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


class TlsSink(SmtpSink):
    def __init__(self, security: str, cert):
        super().__init__()
        kwargs = ({"tls_context": _server_context(cert), "require_starttls": True}
                  if security == "starttls" else {"ssl_context": _server_context(cert)})
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)


def _deliver(store, settings):
    alert_id = open_alert(store, T0)
    escalate_alert(store, settings, User("anna", "operator"), alert_id,
                   "contact:comms-director", "x", now=T0)
    return deliver_due(store, settings, now=T0)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_modes_deliver_when_the_certificate_is_trusted(fresh_db, cert, security):
    with TlsSink(security, cert) as smtp:
        settings = settings_for(smtp.port, smtp={"security": security,
                                                 "ca_file": str(cert[0])})
        assert _deliver(fresh_db, settings).sent == 1
    assert len(smtp.messages) == 1 and smtp.messages[0]["X-Sentinella-Key"] == "esc-1-email"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_an_untrusted_certificate_is_a_clear_permanent_failure(fresh_db, cert, security):
    with TlsSink(security, cert) as smtp:
        settings = settings_for(smtp.port, smtp={"security": security})
        report = _deliver(fresh_db, settings)
    assert report.failed == 1 and not smtp.messages
    error = delivery_problems(fresh_db)["last_error"][0]
    assert "TLS failed" in error and "CERTIFICATE_VERIFY_FAILED" in error


def test_plain_smtp_to_a_server_requiring_starttls_is_refused(fresh_db, cert):
    with TlsSink("starttls", cert) as smtp:
        report = _deliver(fresh_db, settings_for(smtp.port))
    assert not smtp.messages and report.failed == 1
    assert "530" in delivery_problems(fresh_db)["last_error"][0]


def test_a_missing_ca_file_fails_at_load():
    with pytest.raises(ConfigError, match="ca_file '/nonexistent.pem' is not a readable file"):
        settings_for(smtp={"ca_file": "/nonexistent.pem"})
