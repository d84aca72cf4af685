"""The support mailbox source against a real IMAP server on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from imap_loopback import Mailbox, imap_server
from sources_support import fixture, settings_with

from monitoring.config import ConfigError
from monitoring.monitor import Clock, Monitor
from monitoring.sources import build_source
from monitoring.sources.base import SourceError
from monitoring.sources.health import freshness
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
USER, PASSWORD = "assistenza@lumea.example", "app-pw-9f8e7d"
SECRETS = {"SENTINELLA_TEST_IMAP_USER": USER, "SENTINELLA_TEST_IMAP_PASSWORD": PASSWORD}


def crlf(name: str) -> bytes:
    return fixture(name).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def mailbox(*names: str, first_uid: int = 101) -> Mailbox:
    return Mailbox(USER, PASSWORD, messages=[
        (first_uid + i, "02-Mar-2026 10:01:12 +0100", crlf(n)) for i, n in enumerate(names)])


def mail_settings(port: int, **options):
    return settings_with({
        "name": "mail", "kind": "imap", "streams": ["lumea"],
        "credentials": {"username": "SENTINELLA_TEST_IMAP_USER",
                        "password": "SENTINELLA_TEST_IMAP_PASSWORD"},
        "options": {"host": "127.0.0.1", "port": port, "ssl": False, "timeout_seconds": 5,
                    **options}})


def source(port: int, **options):
    settings = mail_settings(port, **options)
    return build_source(settings.sources[0], settings, SECRETS)


def test_messages_become_mentions_read_only_and_an_empty_one_is_quarantined():
    box = mailbox("mail_bolletta.eml", "mail_html_only.eml", "mail_empty.eml")
    with imap_server(box) as port:
        result = source(port).fetch(None, NOW)
    first, second = result.mentions
    assert first.text == ("Bolletta di febbraio addebitata due volte\nBuongiorno,\nla bolletta "
                          "di febbraio mi è stata addebitata due volte sul conto.\nChiedo il "
                          "rimborso.\n\nGiulia Rossi")
    assert (first.author, first.source_id) == ("giulia.rossi@example.it",
                                               "<20260302090105.4412@example.it>")
    assert first.ts == datetime(2026, 3, 2, 9, 1, 5, tzinfo=UTC)
    assert second.text == ("Re: Pratica 88123 - nessuna risposta\nSono tre settimane che "
                           "aspetto una risposta sulla pratica 88123.")  # no script, no tags
    assert second.reply_to == "<pratica-88123@lumea.example>"
    [bad] = result.rejected
    assert bad.reason.endswith("message UID 103: no subject and no text")
    assert "<empty-1@example.org>" in bad.payload
    assert json.loads(result.cursor) == {"uidvalidity": 1772400000, "last_uid": 103}
    assert 'EXAMINE "INBOX"' in box.commands  # read-only: mail is never marked as read
    assert "UID FETCH 101,102,103 (BODY.PEEK[] INTERNALDATE)" in box.commands


def test_resume_after_restart_reads_only_new_mail(tmp_path):
    box = mailbox("mail_bolletta.eml", "mail_html_only.eml")
    clock = Clock(speed=1e-9, start=NOW)
    with imap_server(box) as port:
        settings = mail_settings(port)
        store = Store(tmp_path / "db.duckdb")
        assert Monitor(settings, store, clock=clock, secrets=SECRETS).collect(
            "mail").inserted == 2
        store.close()
        box.messages.append((103, "02-Mar-2026 10:30:00 +0100", crlf("mail_newer.eml")))
        store = Store(tmp_path / "db.duckdb")
        outcome = Monitor(settings, store, clock=clock, secrets=SECRETS).collect("mail")
    assert (outcome.received, outcome.inserted) == (1, 1)
    assert box.commands[-2:] == ["UID FETCH 103 (BODY.PEEK[] INTERNALDATE)", "LOGOUT"]
    assert "UID SEARCH UID 103:*" in box.commands


def test_nothing_new_fetches_nothing():
    box = mailbox("mail_bolletta.eml")
    with imap_server(box) as port:
        result = source(port).fetch(json.dumps({"uidvalidity": 1772400000, "last_uid": 101}),
                                    NOW)
    assert result.mentions == [] and not any(c.startswith("UID FETCH") for c in box.commands)


def test_a_renumbered_folder_is_read_again():
    box = mailbox("mail_bolletta.eml", first_uid=1)
    with imap_server(box) as port:
        result = source(port).fetch(json.dumps({"uidvalidity": 99, "last_uid": 500}), NOW)
    assert len(result.mentions) == 1
    assert json.loads(result.cursor) == {"uidvalidity": 1772400000, "last_uid": 1}


def test_max_messages_pages_through_the_folder():
    box = mailbox("mail_bolletta.eml", "mail_html_only.eml", "mail_newer.eml")
    with imap_server(box) as port:
        src = source(port, max_messages=2)
        first = src.fetch(None, NOW)
        second = src.fetch(first.cursor, NOW)
    assert [len(first.mentions), len(second.mentions)] == [2, 1]
    assert json.loads(second.cursor)["last_uid"] == 103


def test_refused_login_is_failing_and_never_shows_the_password(tmp_path):
    box = Mailbox(USER, "another-password")
    with imap_server(box) as port:
        monitor = Monitor(mail_settings(port), Store(tmp_path / "db.duckdb"),
                          clock=Clock(speed=1e-9, start=NOW), secrets=SECRETS)
        assert monitor.collect("mail") is None
    [f] = freshness(monitor.store.source_status(), NOW, 15, ["mail"])
    assert (f.state, f.colour) == ("failing", "red")
    assert f"login refused for {USER}: check SENTINELLA_TEST_IMAP_USER and " \
           "SENTINELLA_TEST_IMAP_PASSWORD" in f.detail
    assert PASSWORD not in f.detail and PASSWORD not in repr(monitor.sources["mail"])


def test_unreachable_server_is_failing():
    with pytest.raises(SourceError, match="mailbox 127.0.0.1:9/INBOX"):
        source(9).fetch(None, NOW)


def test_missing_credentials_and_bad_options():
    settings = mail_settings(143)
    monitor = Monitor(settings, Store(":memory:"))
    [f] = freshness(monitor.store.source_status(), NOW, 15, ["mail"])
    assert f.state == "not_configured"
    with pytest.raises(ConfigError, match="option 'host' is required"):
        bad = settings_with({"name": "mail", "kind": "imap", "credentials": {
            "username": "SENTINELLA_TEST_IMAP_USER", "password": "SENTINELLA_TEST_IMAP_PASSWORD"}})
        build_source(bad.sources[0], bad, SECRETS)


def test_first_run_reads_only_recent_mail_then_everything_new():
    box = mailbox("mail_bolletta.eml")
    box.messages.insert(0, (90, "10-Jan-2026 08:00:00 +0100", crlf("mail_html_only.eml")))
    with imap_server(box) as port:
        src = source(port)
        first = src.fetch(None, NOW)
        assert "UID SEARCH UID 1:* SINCE 28-Feb-2026" in box.commands
        box.messages.append((102, "12-Jan-2026 08:00:00 +0100", crlf("mail_newer.eml")))
        later = src.fetch(first.cursor, NOW)
    assert [m.source_id for m in first.mentions] == ["<20260302090105.4412@example.it>"]
    assert json.loads(first.cursor)["last_uid"] == 101
    assert [m.source_id for m in later.mentions] == ["<contatore-5521@example.net>"]
