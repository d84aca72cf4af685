"""Keyword matching for sources that receive everything (Jetstream, feeds, mailboxes).

A mention belongs to the first stream (in configuration order) one of whose keywords or
handles appears in it as a whole word, case-insensitively; ``#`` and ``@`` are part of
the term when written in the settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig, Stream


class StreamMatcher:
    """Find the stream a text is about.

    Parameters
    ----------
    streams : Sequence[Stream]
        Candidate streams, in priority order.
    max_chars : int
        Only this many characters of a text are searched (texts are untrusted).

    Examples
    --------
    >>> from monitoring.config import Stream
    >>> m = StreamMatcher([Stream(id="lumea", name="Lumea", keywords=["lumea", "#lumeaenergia"],
    ...                          handles=["@LumeaEnergia"])])
    >>> m.match("Bolletta di Lumea sbagliata"), m.match("#LumeaEnergia ok"), m.match("lumeax")
    ('lumea', 'lumea', None)
    """

    def __init__(self, streams: Sequence[Stream], max_chars: int = 4_000):
        self.max_chars = max_chars
        self.patterns = [
            (s.id, re.compile("|".join(rf"(?<![\w@#]){re.escape(t)}(?!\w)"
                                       for t in sorted(set(s.terms), key=len, reverse=True)),
                              re.IGNORECASE))
            for s in streams if s.terms
        ]

    def match(self, text: str) -> str | None:
        head = text[: self.max_chars]
        for stream, pattern in self.patterns:
            if pattern.search(head):
                return stream
        return None

    @classmethod
    def for_source(cls, cfg: SourceConfig, settings: Settings) -> StreamMatcher:
        """A matcher over the source's streams (all streams when it names none)."""
        wanted = set(cfg.streams)
        streams = [s for s in settings.streams if not wanted or s.id in wanted]
        return cls(streams, settings.app.max_text_chars)
