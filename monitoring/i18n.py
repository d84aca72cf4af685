"""Italian and English texts, numbers and dates, for pages, reports and notifications.

Messages live in ``monitoring/locales/*.toml`` (one file per area of the product, so that
teams can translate an area without touching the others).  Each key holds both languages
side by side::

    "wall.open_alerts" = { it = "Alert aperti", en = "Open alerts" }
    "alert.since" = { it = "da {when}", en = "since {when}" }

Placeholders use :meth:`str.format` names and must be the same in both languages
(``tests/test_i18n.py`` checks every catalog).  A missing key raises ``KeyError`` in
tests and shows the key itself in production, so an untranslated label is visible but
never crashes a wall.

Examples
--------
>>> tr = Translator("it", catalog={"x.hello": {"it": "Ciao {name}", "en": "Hello {name}"}})
>>> tr("x.hello", name="Anna")
'Ciao Anna'
>>> Translator("en", catalog=tr.catalog)("x.hello", name="Anna")
'Hello Anna'
>>> tr.number(1234.5, 1), Translator("en").number(1234.5, 1)
('1.234,5', '1,234.5')
>>> tr.percent(0.256)
'26%'
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal, format_percent

from monitoring.models import utc

__all__ = ["LANGUAGES", "Translator", "load_catalog"]

LOCALES_DIR = Path(__file__).resolve().parent / "locales"

#: Languages of the UI, with their names as shown in the language selector.
LANGUAGES: dict[str, str] = {"it": "Italiano", "en": "English"}


@lru_cache(maxsize=1)
def load_catalog(directory: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """Merge every ``*.toml`` catalog of ``directory``; a key defined twice is an error."""
    catalog: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for key, texts in data.items():
            if key in catalog:
                raise ValueError(f"{path.name}: message {key!r} is already defined elsewhere")
            if not isinstance(texts, dict):
                raise TypeError(f"{path.name}: message {key!r} must be a table {{it=..., en=...}}")
            catalog[key] = {str(k): str(v) for k, v in texts.items()}
    return catalog


class Translator:
    """Messages and number/date formats of one language.

    Parameters
    ----------
    lang : str
        ``"it"`` or ``"en"`` (anything else falls back to English).
    timezone : str
        Zone in which times are shown.
    catalog : dict | None
        Messages (default: every catalog in ``monitoring/locales``).
    strict : bool
        Raise ``KeyError`` on a missing message instead of showing its key.
    """

    def __init__(self, lang: str = "it", timezone: str = "Europe/Rome",
                 catalog: dict[str, dict[str, str]] | None = None, strict: bool = False):
        self.lang = lang if lang in LANGUAGES else "en"
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.catalog = catalog if catalog is not None else load_catalog()
        self.strict = strict

    def __call__(self, key: str, **values: object) -> str:
        texts = self.catalog.get(key)
        if texts is None:
            if self.strict:
                raise KeyError(f"no message {key!r}")
            return key
        text = texts.get(self.lang) or texts.get("en") or key
        return text.format(**values) if values else text

    # -- formats ------------------------------------------------------------------
    def number(self, value: float, decimals: int = 0) -> str:
        """A number with the language's separators."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.lang)

    def percent(self, value: float, decimals: int = 0) -> str:
        """A share in [0, 1] as a percentage."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
        return format_percent(value, format=pattern, locale=self.lang)

    def local(self, ts: datetime) -> datetime:
        """``ts`` (naive = UTC) in the display time zone."""
        return utc(ts).astimezone(self.tz)

    def datetime(self, ts: datetime, fmt: str = "short") -> str:
        """A date and time in the display zone (``fmt``: short, medium or a CLDR pattern).

        >>> Translator("it", "Europe/Rome").datetime(datetime(2026, 3, 2, 9, 5))
        '02/03/26, 10:05'
        """
        return format_datetime(self.local(ts), fmt, locale=self.lang)

    def time(self, ts: datetime, seconds: bool = False) -> str:
        """Hours and minutes (and seconds) in the display zone.

        >>> Translator("it", "Europe/Rome").time(datetime(2026, 3, 2, 9, 5, 7), seconds=True)
        '10:05:07'
        """
        return format_datetime(self.local(ts), "HH:mm:ss" if seconds else "HH:mm",
                               locale=self.lang)

    def duration(self, delta: timedelta) -> str:
        """A rough duration ("3 minuti", "2 hours").

        >>> Translator("en").duration(timedelta(minutes=3))
        '3 minutes'
        """
        return format_timedelta(delta, threshold=1.5, locale=self.lang)
