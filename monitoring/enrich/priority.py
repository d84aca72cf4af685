"""Priority of a mention for the care team, 0..100, explained by the factors that contributed.

Factors (points added, capped at 100):

- ``category``: request 30, polemic 15, other 5, praise 0;
- ``negative``: up to 25 with the negativity of the sentiment ``compound``;
- ``reach``: up to 15, log-scaled author followers (10 followers ~ 2, 1M followers ~ 13);
- ``pii``: 20 when the post exposes personal data (must move to a private channel at once),
  25 for payment data (card, IBAN);
- ``urgent``: 15 for urgency words in Italian or English (``urgente``, ``da giorni``,
  ``senza luce``, ``gas leak``, ``emergency``...).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from monitoring.enrich.classify import PhraseMatcher, text_tokens

__all__ = ["CATEGORY_POINTS", "URGENT_PHRASES", "Priority", "is_urgent", "priority"]

#: Points given by the mention category.
CATEGORY_POINTS = {"request": 30.0, "polemic": 15.0, "other": 5.0, "praise": 0.0}
NEGATIVE_POINTS = 25.0
REACH_POINTS = 15.0
#: Followers at which the reach factor saturates.
REACH_SATURATION = 10_000_000
PII_POINTS = 20.0
PAYMENT_PII_POINTS = 25.0
URGENT_POINTS = 15.0

#: Urgency phrases, Italian and English (phrase syntax of :class:`PhraseMatcher`).
URGENT_PHRASES: tuple[str, ...] = (
    # Italian
    "urgente|urgenti|urgenza|subito|immediatamente|emergenza|allagat*|pericol*|anzian*",
    "al più presto", "quanto prima", "da ~ giorni|settimane|mesi",
    "senza luce|corrente|gas|acqua|riscaldamento|linea|telefono",
    "fuga|odore|puzza di gas", "perdita d' acqua", "malato|malata|malati|disabil*|neonat*",
    "salvavita|ossigeno|truffa|frode|clonata|clonato|rubata|rubato|rubati|furto",
    # English
    "urgent|urgently|asap|immediately|emergency|flood|flooded|flooding|danger|dangerous|unsafe",
    "right now", "for ~ days|weeks", "no power|electricity|heating|heat|water|gas for",
    "without power|electricity|heating|heat|water", "gas leak", "smell|smells|smelling of gas",
    "smell|smells|smelling gas", "elderly|disabled|newborn|oxygen|fraud|fraudulent|scam|scammed",
    "life support", "stolen|hacked",
)
_URGENT = PhraseMatcher({"urgent": URGENT_PHRASES})


@dataclass(frozen=True, slots=True)
class Priority:
    """Priority score of a mention and the factors that contributed.

    Parameters
    ----------
    score : float
        0..100, higher means handle first.
    reasons : tuple of str
        ``'<factor>:+<points>'`` for each contributing factor, largest first.

    Examples
    --------
    >>> Priority(55.0, ("category:+30", "negative:+25")).score
    55.0
    """

    score: float
    reasons: tuple[str, ...]


def is_urgent(text: str) -> bool:
    """True when the text carries an urgency word (Italian or English).

    >>> is_urgent("Siamo senza luce da ieri sera"), is_urgent("Nice ad")
    (True, False)
    """
    return bool(_URGENT.find(text_tokens(text)))


def priority(
    compound: float, category: str, reach: int, pii: Sequence[str], text: str, lang: str,
    urgent: bool | None = None,
) -> Priority:
    """Score how urgently the care team should look at a mention (0..100).

    Parameters
    ----------
    compound : float
        Sentiment compound score in -1..1 (negative adds points).
    category : str
        Mention category (``request`` > ``polemic`` > ``other`` > ``praise``).
    reach : int
        Author followers (log-scaled).
    pii : sequence of str
        Kinds of personal data exposed in the post (see :func:`monitoring.enrich.pii.pii_kinds`).
    text : str
        The mention text, searched for urgency words.
    lang : str
        Language code; the urgency vocabulary is bilingual, so it is only a hint.
    urgent : bool, optional
        :func:`is_urgent` of ``text`` when the caller already knows it (the same text
        is often scored for several mentions).

    Examples
    --------
    >>> p = priority(-0.8, "request", 1200, ["card"], "Urgente: addebito doppio", "it")
    >>> p.score, p.reasons
    (96.6, ('category:+30', 'pii:+25', 'negative:+20', 'urgent:+15', 'reach:+6.6'))
    >>> priority(0.9, "praise", 10, [], "Thanks!", "en").score
    2.2
    """
    parts: list[tuple[str, float]] = []
    points = CATEGORY_POINTS.get(category, CATEGORY_POINTS["other"])
    if points > 0:  # the table's values have one decimal at most
        parts.append(("category", round(points, 1)))
    if compound < 0:
        points = _NEGATIVE.get(compound)
        if points is None:
            points = _remember(_NEGATIVE, compound,
                               round(NEGATIVE_POINTS * min(1.0, -float(compound)), 1))
        if points > 0:
            parts.append(("negative", points))
    if reach > 0:
        points = _REACH.get(reach)
        if points is None:
            points = _remember(_REACH, reach, round(REACH_POINTS * min(
                1.0, math.log10(1 + reach) / math.log10(REACH_SATURATION)), 1))
        if points > 0:
            parts.append(("reach", points))
    kinds = set(pii)
    if kinds:
        parts.append(("pii", round(PAYMENT_PII_POINTS if kinds & {"card", "iban"}
                                   else PII_POINTS, 1)))
    if urgent if urgent is not None else is_urgent(text):
        parts.append(("urgent", round(URGENT_POINTS, 1)))
    key = tuple(parts)
    found = _RESULTS.get(key)
    if found is None:
        score = round(min(100.0, sum(v for _, v in parts)), 1)
        ordered = sorted(parts, key=lambda kv: -kv[1])
        found = _remember(_RESULTS, key,
                          Priority(score, tuple(f"{k}:+{v:g}" for k, v in ordered)))
    return found


# Rounded points per compound score and per reach, and results per set of points: a
# batch of mentions has few distinct values of each.
_NEGATIVE: dict[float, float] = {}
_REACH: dict[int, float] = {}
_RESULTS: dict[tuple[tuple[str, float], ...], Priority] = {}
_MEMO_SIZE = 50_000


def _remember(memo: dict, key, value):
    if len(memo) >= _MEMO_SIZE:  # bounded memory
        memo.clear()
    memo[key] = value
    return value
