"""Reading a source's ``options`` and ``credentials`` with clear errors.

Bad options are configuration mistakes and fail loudly (:class:`ConfigError` naming the
source and the option); missing credentials are not: the source is then reported as
"not configured" (:class:`SourceError` with ``state="not_configured"``) and the rest of
the monitor runs.  Error messages name environment variables, never their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from monitoring.config import ConfigError, resolve_credentials
from monitoring.sources.base import SourceError

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

_MISSING = object()


class Options:
    """Typed access to ``[sources.options]`` of one source.

    Parameters
    ----------
    cfg : SourceConfig
        The source entry.
    known : Iterable[str]
        Option names this kind understands; any other name is a configuration error.

    Examples
    --------
    >>> from monitoring.config import SourceConfig
    >>> cfg = SourceConfig(name="blog", kind="rss", options={"urls": ["http://a/feed"]})
    >>> Options(cfg, {"urls", "timeout"}).list("urls"), Options(cfg, {"urls"}).float("x", 2)
    (['http://a/feed'], 2.0)
    >>> Options(cfg, {"url"})
    Traceback (most recent call last):
    ...
    monitoring.config.ConfigError: source 'blog' (rss): unknown option 'urls' (known: url)
    """

    def __init__(self, cfg: SourceConfig, known: Iterable[str]):
        self.cfg = cfg
        self.values: Mapping[str, Any] = dict(cfg.options)
        known = set(known)
        for key in self.values:
            if key not in known:
                raise self.error(f"unknown option {key!r} (known: {', '.join(sorted(known))})")

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"source {self.cfg.name!r} ({self.cfg.kind}): {message}")

    def _get(self, key: str, default: Any) -> Any:
        value = self.values.get(key, default)
        if value is _MISSING:
            raise self.error(f"option {key!r} is required")
        return value

    def str(self, key: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise self.error(f"option {key!r} must be a string, not {type(value).__name__}")
        return value

    def float(self, key: str, default: Any = _MISSING, minimum: float = 0.0) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.error(f"option {key!r} must be a number >= {minimum:g}, not {value!r}")
        return float(value)

    def int(self, key: str, default: Any = _MISSING, minimum: int = 0) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(f"option {key!r} must be an integer >= {minimum}, not {value!r}")
        return value

    def bool(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"option {key!r} must be true or false, not {value!r}")
        return value

    def list(self, key: str, default: Any = _MISSING) -> list[str]:
        value = self._get(key, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"option {key!r} must be a list of non-empty strings")
        return list(value)

    def mapping(self, key: str, default: Any = _MISSING) -> dict[str, str]:
        value = self._get(key, default)
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise self.error(f"option {key!r} must be a table of strings")
        return {str(k): v for k, v in value.items()}


def credentials(cfg: SourceConfig, secrets: Mapping[str, Any] | None,
                required: Sequence[str]) -> dict[str, str]:
    """The resolved credentials of ``cfg``; :class:`SourceError` "not_configured" if missing.

    >>> from monitoring.config import SourceConfig
    >>> cfg = SourceConfig(name="x", kind="x", credentials={"bearer_token": "NO_SUCH_VAR_Q"})
    >>> credentials(cfg, {"NO_SUCH_VAR_Q": "s3cret"}, ["bearer_token"])["bearer_token"]
    's3cret'
    >>> credentials(cfg, {}, ["bearer_token"])
    Traceback (most recent call last):
    ...
    monitoring.sources.base.SourceError: source 'x' is not configured: set NO_SUCH_VAR_Q \
in the environment or in the secrets
    """
    unmapped = [key for key in required if key not in cfg.credentials]
    if unmapped:
        hint = ", ".join(f'{k} = "{cfg.kind.upper()}_{k.upper()}"' for k in unmapped)
        raise SourceError(f"source {cfg.name!r} is not configured: add [sources.credentials] "
                          f"{hint} (names of environment variables)", state="not_configured")
    values = resolve_credentials(cfg, secrets)
    if values is None:
        missing = [env for env in cfg.credentials.values()
                   if not _present(env, secrets)]
        raise SourceError(f"source {cfg.name!r} is not configured: set {', '.join(missing)} "
                          "in the environment or in the secrets", state="not_configured")
    return values


def _present(env: str, secrets: Mapping[str, Any] | None) -> bool:
    import os

    return bool(os.environ.get(env) or (secrets is not None and secrets.get(env)))


def default_stream(cfg: SourceConfig, settings: Settings) -> str:
    """The stream of mentions that match no keyword: the source's first, else the first."""
    return (cfg.streams or [settings.streams[0].id])[0]
