"""Typed settings: streams, sources, departments, contacts and thresholds.

The settings live in one TOML file (``data/demo.toml`` runs the built-in demo).
Loading validates everything up front and fails with a message naming the field and
the problem, so a monitor never starts half-configured.  Credentials are never read
from the file: a source names the *environment variables* (or Streamlit secrets) that
hold them, and :func:`resolve_credentials` looks them up at run time.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time as dtime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "data" / "demo.toml"

_IDENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")

Sensitivity = Literal["low", "normal", "high"]
Language = Literal["it", "en"]
Category = Literal["request", "polemic", "praise", "other"]
SourceKind = Literal["demo", "replay", "file", "x", "mastodon", "bluesky", "rss", "reddit", "imap"]


class ConfigError(ValueError):
    """The settings file is missing, unreadable or invalid; the message names the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ident(value: str, what: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(
            f"{what} {value!r} must be 1-40 lowercase letters, digits, '_' or '-' "
            "and start with a letter or digit"
        )
    return value


class AppSettings(_Model):
    """Process-wide settings."""

    title: str = "Sentinella"
    language: Language = "it"
    timezone: str = "Europe/Rome"
    database: str = "data/sentinella.duckdb"
    bin_minutes: int = Field(1, ge=1, le=60)
    refresh_seconds: float = Field(5.0, ge=1.0, le=600.0)
    speed: float = Field(1.0, gt=0.0, le=10_000.0)
    silent_after_minutes: float = Field(15.0, gt=0.0)
    max_text_chars: int = Field(4_000, ge=280, le=100_000)
    base_url: str = "http://localhost:8501"
    #: A request older than this when it is collected (a backfill, an old export) is
    #: stored and counted but opens no ticket: nobody can answer it in time any more.
    #: None: every request opens a ticket.
    ticket_max_age_hours: float | None = Field(None, gt=0.0)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"base_url {value!r} must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Stream(_Model):
    """A monitored brand or topic."""

    id: str
    name: str
    keywords: list[str] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=lambda: ["it", "en"])
    sensitivity: Sensitivity = "normal"

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _ident(value, "stream id")

    @model_validator(mode="after")
    def _terms(self) -> Stream:
        if not self.keywords and not self.handles:
            raise ValueError("a stream needs at least one keyword or handle")
        return self

    @property
    def terms(self) -> list[str]:
        """Keywords and handles, lower-cased, for matching and for 'addressed to brand'."""
        return [t.lower() for t in (*self.keywords, *self.handles)]


class SourceConfig(_Model):
    """A collector: its kind, schedule, streams and credential *names*."""

    name: str
    kind: SourceKind
    streams: list[str] = Field(default_factory=list)
    interval_seconds: float = Field(60.0, ge=0.05, le=86_400.0)
    enabled: bool = True
    credentials: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _ident(value, "source name")

    @field_validator("credentials")
    @classmethod
    def _creds(cls, value: dict[str, str]) -> dict[str, str]:
        for key, env in value.items():
            if not _ENV_NAME.match(env):
                raise ValueError(
                    f"credential {key!r} must name an environment variable or secret "
                    f"(UPPER_CASE), not hold a value: secrets never go in the settings file"
                )
        return value


class Department(_Model):
    """A team that owns a class of requests, with its routing rule and SLA targets."""

    id: str
    name: dict[Language, str]
    keywords: list[str] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=lambda: ["request"])
    languages: list[Language] = Field(default_factory=list)
    first_response_minutes: float = Field(60.0, gt=0)
    resolution_minutes: float = Field(480.0, gt=0)
    default: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _ident(value, "department id")


class Contact(_Model):
    """A person or group that can be notified."""

    id: str
    name: str
    email: str | None = None
    webhook: str | None = None
    webhook_format: Literal["json", "slack", "teams"] = "json"
    webhook_env: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _ident(value, "contact id")

    @field_validator("webhook_env")
    @classmethod
    def _webhook_env(cls, value: str | None) -> str | None:
        return _env_name(value, "webhook_env")

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not self.email and not self.webhook and not self.webhook_env:
            raise ValueError("a contact needs an email, a webhook or a webhook_env")
        return self


class Ladder(_Model):
    """An escalation ladder: who is notified first, and who next if nobody acknowledges.

    ``levels`` lists contact ids per level; level 2 is notified when nobody of level 1
    acknowledged within ``ack_minutes``, and so on.
    """

    id: str
    name: str
    levels: list[list[str]] = Field(min_length=1)
    ack_minutes: float = Field(15.0, gt=0)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _ident(value, "ladder id")

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[list[str]]) -> list[list[str]]:
        if any(not level for level in value):
            raise ValueError("every level needs at least one contact id")
        return value


class AutoEscalation(_Model):
    """Escalate an alert automatically when its kind and severity match."""

    kinds: list[str] = Field(min_length=1)
    min_severity: int = Field(8, ge=1, le=10)
    ladder: str


class Escalation(_Model):
    """Ladders for escalating alerts, and the rules that escalate automatically."""

    ladders: list[Ladder] = Field(default_factory=list)
    rules: list[AutoEscalation] = Field(default_factory=list)


class BusinessHours(_Model):
    """Working hours for SLA timers (local time, Monday=0)."""

    start: dtime = dtime(8, 0)
    end: dtime = dtime(20, 0)
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4, 5])


class Thresholds(_Model):
    """Alerting thresholds and policy knobs."""

    min_bin_mentions: int = Field(5, ge=1)
    cooldown_minutes: float = Field(30.0, ge=0)
    close_after_quiet_bins: int = Field(5, ge=1)
    critical_severity: int = Field(8, ge=1, le=10)
    request_share_incident: float = Field(0.5, ge=0, le=1)
    business_hours: BusinessHours | None = None
    min_topic_authors: int = Field(5, ge=1)
    critical_min_authors: int = Field(10, ge=1)


class Privacy(_Model):
    """How long personal data is kept.

    ``retention_days``: the text, raw payload, URL and author of mentions older than this
    are erased (the per-minute aggregates the charts need are kept); ``None`` keeps them.
    """

    retention_days: int | None = Field(None, ge=1, le=3650)


def _env_name(value: str | None, what: str) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(f"{what} must name an environment variable or secret (UPPER_CASE), "
                         "not hold a value: secrets never go in the settings file")
    return value


class Smtp(_Model):
    """The SMTP server escalation e-mails are sent through (credentials by env name)."""

    host: str = "localhost"
    port: int = Field(25, ge=1, le=65_535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username_env: str | None = None
    password_env: str | None = None
    sender: str = "sentinella@localhost"
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    ca_file: str | None = None

    @field_validator("username_env", "password_env")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        return _env_name(value, "smtp credentials")

    @field_validator("ca_file")
    @classmethod
    def _ca_file(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"ca_file {value!r} is not a readable file")
        return value


class Notify(_Model):
    """Delivery of the outbox: retries with exponential backoff and jitter."""

    max_attempts: int = Field(8, ge=1, le=100)
    backoff_seconds: float = Field(30.0, gt=0)
    backoff_max_seconds: float = Field(3_600.0, gt=0)
    jitter: float = Field(0.2, ge=0, le=1)
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    interval_seconds: float = Field(5.0, ge=0.1, le=3_600)


class Auth(_Model):
    """Signed tokens (acknowledgement links, kiosk screens) and optional OIDC login."""

    token_secret_env: str = "SENTINELLA_TOKEN_SECRET"
    ack_token_hours: float = Field(24.0, gt=0, le=24 * 30)
    kiosk_token_days: float = Field(365.0, gt=0, le=3_650)
    oidc: bool = False
    require_login: bool = False

    @field_validator("token_secret_env")
    @classmethod
    def _env(cls, value: str) -> str:
        return _env_name(value, "token_secret_env") or value


class Settings(_Model):
    """The whole validated configuration.

    Examples
    --------
    >>> s = Settings.model_validate({"streams": [{"id": "acme", "name": "ACME",
    ...     "keywords": ["acme"]}], "sources": [{"name": "demo", "kind": "demo",
    ...     "streams": ["acme"]}]})
    >>> s.stream("acme").name, s.sources[0].interval_seconds
    ('ACME', 60.0)
    """

    app: AppSettings = Field(default_factory=AppSettings)
    streams: list[Stream]
    sources: list[SourceConfig] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    escalation: Escalation = Field(default_factory=Escalation)
    privacy: Privacy = Field(default_factory=Privacy)
    smtp: Smtp = Field(default_factory=Smtp)
    notify: Notify = Field(default_factory=Notify)
    auth: Auth = Field(default_factory=Auth)

    @model_validator(mode="after")
    def _references(self) -> Settings:
        _unique([s.id for s in self.streams], "streams", "id")
        _unique([s.name for s in self.sources], "sources", "name")
        _unique([d.id for d in self.departments], "departments", "id")
        _unique([c.id for c in self.contacts], "contacts", "id")
        known = {s.id for s in self.streams}
        for i, src in enumerate(self.sources):
            for stream in src.streams:
                if stream not in known:
                    raise ValueError(
                        f"sources[{i}].streams: unknown stream {stream!r} "
                        f"(known: {', '.join(sorted(known))})"
                    )
        contacts = {c.id for c in self.contacts}
        _unique([ladder.id for ladder in self.escalation.ladders], "escalation.ladders", "id")
        for i, ladder in enumerate(self.escalation.ladders):
            for level in ladder.levels:
                for contact in level:
                    if contact not in contacts:
                        raise ValueError(
                            f"escalation.ladders[{i}].levels: unknown contact {contact!r} "
                            f"(known: {', '.join(sorted(contacts)) or 'none'})")
        ladders = {ladder.id for ladder in self.escalation.ladders}
        for i, rule in enumerate(self.escalation.rules):
            if rule.ladder not in ladders:
                raise ValueError(f"escalation.rules[{i}].ladder: unknown ladder {rule.ladder!r}")
        if sum(d.default for d in self.departments) > 1:
            raise ValueError("departments: only one department may be the default queue")
        if not self.streams:
            raise ValueError("streams: at least one stream is required")
        return self

    def stream(self, stream_id: str) -> Stream:
        for s in self.streams:
            if s.id == stream_id:
                return s
        raise KeyError(stream_id)

    def contact(self, contact_id: str) -> Contact:
        for c in self.contacts:
            if c.id == contact_id:
                return c
        raise KeyError(contact_id)

    def ladder(self, ladder_id: str) -> Ladder:
        for ladder in self.escalation.ladders:
            if ladder.id == ladder_id:
                return ladder
        raise KeyError(ladder_id)

    def database_path(self, base: Path | None = None) -> Path:
        """The DuckDB file, relative paths taken from the project root (or ``base``)."""
        path = Path(self.app.database)
        return path if path.is_absolute() else (base or ROOT) / path


def _unique(values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{section}[{i}].{key}: duplicate {key} {v!r}")
        seen.add(v)


def _format_error(exc: ValidationError, path: Path | str) -> str:
    lines = [f"invalid settings in {path}:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)


def parse_settings(data: Mapping[str, Any], origin: str = "<settings>") -> Settings:
    """Validate a mapping, raising :class:`ConfigError` with field-named messages.

    >>> parse_settings({"streams": []})
    Traceback (most recent call last):
    ...
    monitoring.config.ConfigError: invalid settings in <settings>:
      (top level): streams: at least one stream is required
    """
    try:
        return Settings.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, origin)) from None


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and validate a TOML settings file (default: the demo settings)."""
    path = Path(path) if path else Path(os.environ.get("SENTINELLA_CONFIG", DEFAULT_CONFIG))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"settings file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from None
    return parse_settings(data, str(path))


def resolve_credentials(
    source: SourceConfig, secrets: Mapping[str, Any] | None = None
) -> dict[str, str] | None:
    """Look up a source's credentials in the environment, then in ``secrets``.

    Returns ``None`` when any is missing (the source is then "not configured").

    >>> src = SourceConfig(name="x", kind="x", credentials={"token": "NO_SUCH_VAR_XYZ"})
    >>> resolve_credentials(src) is None
    True
    """
    values: dict[str, str] = {}
    for key, env in source.credentials.items():
        value = os.environ.get(env)
        if value is None and secrets is not None:
            value = secrets.get(env)
        if not value:
            return None
        values[key] = str(value)
    return values


def lookup_secret(name: str, secrets: Mapping[str, Any] | None = None) -> str | None:
    """The value of a secret by name: the environment first, then ``secrets``.

    Streamlit exports the root-level keys of ``secrets.toml`` as environment variables,
    so the monitor finds them in the environment as well.

    >>> lookup_secret("NO_SUCH_VAR_XYZ") is None
    True
    """
    value = os.environ.get(name)
    if not value and secrets is not None:
        value = secrets.get(name)
    return str(value) if value else None
