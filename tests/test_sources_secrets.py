"""Credentials never appear in logs, even at DEBUG level, nor in health details."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from imap_loopback import Mailbox, imap_server
from sources_support import Reply, fixture, loopback, settings_with
from test_sources_x import RecordedX

from monitoring.monitor import Clock, Monitor
from monitoring.store import Store

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
SECRETS = {"S_X_TOKEN": "xtok-5ecret-AAAA", "S_MASTO": "masto-5ecret-BBBB",
           "S_RID": "reddit-id-CCCC", "S_RSECRET": "reddit-5ecret-DDDD",
           "S_IMAP_USER": "care@lumea.example", "S_IMAP_PW": "imap-5ecret-EEEE"}


def test_no_credential_reaches_the_logs_or_the_health_table(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with loopback() as srv, imap_server(Mailbox("care@lumea.example", "other")) as port:
        srv.add("/api/v2/instance/", Reply(fixture("mastodon_instance.json"),
                                           headers={"Content-Type": "application/json"}))
        srv.add("/api/v1/timelines/tag/lumea", Reply(b'{"error": "invalid token"}', 401,
                                                     {"Content-Type": "application/json"}))
        srv.add("/api/v1/access_token", Reply(b'{"error": "invalid_grant"}', 401,
                                              {"Content-Type": "application/json"}))
        settings = settings_with(
            {"name": "x", "kind": "x", "credentials": {"bearer_token": "S_X_TOKEN"}},
            {"name": "fedi", "kind": "mastodon", "credentials": {"access_token": "S_MASTO"},
             "options": {"instance": srv.url, "hashtags": ["lumea"]}},
            {"name": "reddit", "kind": "reddit",
             "credentials": {"client_id": "S_RID", "client_secret": "S_RSECRET"},
             "options": {"subreddits": ["italy"], "oauth_url": srv.url,
                         "reddit_url": srv.url}},
            {"name": "mail", "kind": "imap",
             "credentials": {"username": "S_IMAP_USER", "password": "S_IMAP_PW"},
             "options": {"host": "127.0.0.1", "port": port, "ssl": False}},
        )
        monitor = Monitor(settings, Store(tmp_path / "db.duckdb"),
                          clock=Clock(speed=1e-9, start=NOW), secrets=SECRETS)
        monitor.sources["x"].client.session.mount("https://api.twitter.com/",
                                                  RecordedX((401, "x_401.json", {})))
        for name in ("x", "fedi", "reddit", "mail"):
            assert monitor.collect(name) is None
    health = monitor.store.source_status()
    assert set(health["state"]) == {"failing"}
    stored = health.to_string()
    for secret in [v for k, v in SECRETS.items() if k != "S_IMAP_USER"]:
        assert secret not in caplog.text, secret
        assert secret not in stored, secret
    assert "Bearer" not in caplog.text
