"""Turning the HTML of posts and feed entries into the plain text Sentinella stores.

Post text is untrusted: tags are dropped (never rendered), entities decoded, and the
input is bounded *before* any regular expression runs on it.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def plain_text(fragment: str, limit: int = 4_000) -> str:
    """Visible text of an HTML fragment (tags dropped, entities decoded, spaces folded).

    >>> plain_text("<p>Bolletta <b>doppia</b> &amp; niente rimborso</p><p>#Lumea</p>")
    'Bolletta doppia & niente rimborso #Lumea'
    >>> len(plain_text("x" * 50_000, limit=280))
    280
    """
    head = _BREAK.sub(" ", fragment[: limit * 4])
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", head))).strip()[:limit]
