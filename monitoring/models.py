"""Plain data types shared by every stage of the pipeline.

A :class:`Mention` is what a source produces after normalisation: one post, comment,
e-mail or call-centre note about a monitored stream.  Enrichment adds the fields in
:data:`ENRICHED_COLUMNS`; the store keeps both.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Hard bound on the text kept and scored for one mention (characters).
MAX_TEXT_CHARS = 4_000

#: Categories a mention can be classified into.
CATEGORIES = ("request", "polemic", "praise", "other")

#: Sentiment labels.
SENTIMENT_LABELS = ("negative", "neutral", "positive")

#: Columns of a normalised mention, in store order.
MENTION_COLUMNS = (
    "source",
    "source_id",
    "stream",
    "ts",
    "author",
    "author_reach",
    "text",
    "url",
    "lang_hint",
    "reply_to",
    "raw",
)

#: Columns added by enrichment, in store order.
ENRICHED_COLUMNS = (
    "lang",
    "sentiment",
    "sentiment_label",
    "category",
    "department",
    "pii_kinds",
    "priority",
    "priority_reasons",
)


def utc(ts: datetime) -> datetime:
    """Return ``ts`` as an aware UTC datetime (naive input is taken as UTC).

    >>> utc(datetime(2026, 1, 1, 12)).isoformat()
    '2026-01-01T12:00:00+00:00'
    """
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


@dataclass(slots=True)
class Mention:
    """One normalised mention, as produced by a source.

    Parameters
    ----------
    source : str
        Name of the configured source that produced it (e.g. ``"demo"``).
    source_id : str
        Identifier unique within the source; ``(source, source_id)`` is the primary key.
    stream : str
        Identifier of the monitored stream (brand or topic).
    ts : datetime
        When it was posted (aware, UTC).
    author : str
        Author handle or address.
    text : str
        The untrusted text, as posted.

    Examples
    --------
    >>> m = Mention("demo", "1", "lumea", datetime(2026, 1, 1), "@anna", "Bolletta sbagliata")
    >>> m.ts.tzinfo is not None, m.author_reach
    (True, 0)
    """

    source: str
    source_id: str
    stream: str
    ts: datetime
    author: str
    text: str
    author_reach: int = 0
    url: str | None = None
    lang_hint: str | None = None
    reply_to: str | None = None
    raw: str | None = None

    def __post_init__(self) -> None:
        self.ts = utc(self.ts)
        self.source_id = str(self.source_id)
        self.author_reach = max(0, int(self.author_reach or 0))

    def as_row(self) -> dict[str, Any]:
        """Return the mention as a dict keyed by :data:`MENTION_COLUMNS`."""
        return {name: getattr(self, name) for name in MENTION_COLUMNS}


@dataclass(slots=True)
class BinStats:
    """Aggregates of one closed time bin of one stream, as fed to the detectors.

    >>> b = BinStats("lumea", datetime(2026, 1, 1), n=10, n_negative=4)
    >>> round(b.negative_share, 2)
    0.4
    """

    stream: str
    bin_start: datetime
    n: int = 0
    n_negative: int = 0
    n_positive: int = 0
    n_request: int = 0
    n_polemic: int = 0
    n_praise: int = 0
    n_other: int = 0
    authors: int = 0
    reach: int = 0
    terms: dict[str, int] = field(default_factory=dict)

    @property
    def negative_share(self) -> float:
        return self.n_negative / self.n if self.n else 0.0

    def replace(self, **changes: Any) -> BinStats:
        return dataclasses.replace(self, **changes)
