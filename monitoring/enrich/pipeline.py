"""Batch enrichment: language, sentiment, category, department, personal data, priority.

:class:`Enricher` turns a list of normalised :class:`~monitoring.models.Mention` into the
DataFrame the store ingests.  Every stage works on text bounded to
``max_text_chars`` so hostile input (megabyte posts, emoji floods) costs bounded time;
a stage that fails on one mention marks that mention, it never fails the batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from monitoring.config import Settings
from monitoring.enrich import classify as classify_mod
from monitoring.enrich import language, pii, sentiment
from monitoring.enrich import priority as priority_mod
from monitoring.enrich.refine import Refiner
from monitoring.enrich.route import Router
from monitoring.models import ENRICHED_COLUMNS, MAX_TEXT_CHARS, MENTION_COLUMNS, Mention

# NUL and other C0 controls except tab/newline; they break terminals and some exports.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
STORED_TEXT_CHARS = 20_000
RAW_CHARS = 100_000
_URGENT = "urgent"
if _URGENT in classify_mod.VOCABULARIES:  # pragma: no cover - a vocabulary renamed
    raise RuntimeError(f"the category vocabularies already have a {_URGENT!r} entry")
# The category vocabularies and the urgency words found in one pass over the tokens.
_MATCHER = classify_mod.PhraseMatcher(
    {**classify_mod.VOCABULARIES, _URGENT: priority_mod.URGENT_PHRASES}
)


def clean_text(text: str, limit: int = STORED_TEXT_CHARS) -> str:
    """Drop control characters and bound the length of a mention's text.

    >>> clean_text("ok\\x00 fine" + "!" * 10, limit=8)
    'ok fine…'
    """
    text = text[: limit * 2]
    if not text.isprintable():  # printable text has no control character (fast path)
        text = _CONTROL.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Enricher:
    """Enrich mentions in batches.

    Parameters
    ----------
    settings : Settings
        Streams (their terms tell whether a post addresses the brand) and departments.
    models_dir : Path, optional
        Folder of the models trained on the team's labels (``python -m monitoring train``
        writes them next to the database); without it the rules alone decide.

    Examples
    --------
    >>> from monitoring.config import Settings
    >>> s = Settings.model_validate({"streams": [{"id": "acme", "name": "ACME",
    ...     "keywords": ["acme"], "handles": ["@acme"]}]})
    >>> from datetime import datetime
    >>> m = Mention("t", "1", "acme", datetime(2026, 1, 1), "@bob",
    ...             "@acme my bill is wrong again, please help", lang_hint="en")
    >>> row = Enricher(s).enrich([m]).iloc[0]
    >>> row["lang"], row["sentiment_label"] in ("negative", "neutral", "positive")
    ('en', True)
    """

    def __init__(self, settings: Settings, models_dir: Path | str | None = None):
        self.settings = settings
        self.models_dir = models_dir
        self.refiner = Refiner(models_dir)
        self.max_chars = min(settings.app.max_text_chars, MAX_TEXT_CHARS)
        self.router = Router(settings.departments)
        self._terms = {s.id: tuple(s.terms) for s in settings.streams}

    def _understand(self, unique: list[tuple[str, str, str]]) -> dict[tuple, tuple]:
        """Sentiment, category, personal data kinds, department and urgency of each
        distinct ``(text, language, stream)``; models learned from the team's labels
        (see :class:`~monitoring.enrich.learned.Refiner`) refine the rules' labels."""
        texts = [k[0] for k in unique]
        scores = sentiment.score_batch(texts, [k[1] for k in unique])
        labels = self.refiner.refine("sentiment", texts, [s.label for s in scores])
        scores = [s if s.label == label else sentiment.Sentiment(s.compound, label)
                  for s, label in zip(scores, labels)]
        urgent: list[bool] = []
        rules: list[str] = []
        terms, find, category = self._terms, classify_mod.find_vocabularies, classify_mod.category
        for (text, _, stream), sent in zip(unique, scores):
            matched = find(text, _MATCHER)
            urgent.append(_URGENT in matched)
            rules.append(category(text, sent.compound, terms.get(stream, ()), matched))
        categories = self.refiner.refine("category", texts, rules)
        departments = [self.router.route(text, category, lang)
                       for (text, lang, _), category in zip(unique, categories)]
        routed = [i for i, d in enumerate(departments) if d is not None]
        for i, d in zip(routed, self.refiner.refine("department", [texts[i] for i in routed],
                                                    [departments[i] for i in routed])):
            departments[i] = d
        return {
            key: (sent, category, pii.pii_kinds(key[0]), department, is_urgent)
            for key, sent, category, department, is_urgent
            in zip(unique, scores, categories, departments, urgent)
        }

    def enrich(self, mentions: Sequence[Mention]) -> pd.DataFrame:
        """Return a frame with ``MENTION_COLUMNS + ENRICHED_COLUMNS`` (``ts`` naive UTC)."""
        if not mentions:
            return pd.DataFrame(columns=list(MENTION_COLUMNS + ENRICHED_COLUMNS))
        texts = [clean_text(m.text) for m in mentions]
        bounded = [t[: self.max_chars] for t in texts]
        langs = language.detect_languages(bounded, [m.lang_hint for m in mentions])
        # Identical posts (retweets of the same words, copy-paste campaigns, bots) are
        # understood once per batch.
        keys = list(zip(bounded, langs, (m.stream for m in mentions)))
        understood = self._understand(list(dict.fromkeys(keys)))
        found = [understood[key] for key in keys]
        score = priority_mod.priority
        prios = [score(sent.compound, category, m.author_reach, kinds, key[0], key[1], urgent)
                 for m, key, (sent, category, kinds, _, urgent) in zip(mentions, keys, found)]
        rows: dict[str, list] = {
            "source": [m.source for m in mentions],
            "source_id": [m.source_id for m in mentions],
            "stream": [m.stream for m in mentions],
            "ts": [m.ts.replace(tzinfo=None) for m in mentions],
            "author": [clean_text(m.author, 200) for m in mentions],
            "author_reach": [m.author_reach for m in mentions],
            "text": texts,
            "url": [m.url for m in mentions],
            "lang_hint": [m.lang_hint for m in mentions],
            "reply_to": [m.reply_to for m in mentions],
            "raw": [m.raw[:RAW_CHARS] if m.raw else None for m in mentions],
            "lang": langs,
            "sentiment": [float(f[0].compound) for f in found],
            "sentiment_label": [f[0].label for f in found],
            "category": [f[1] for f in found],
            "department": [f[3] for f in found],
            "pii_kinds": [list(f[2]) for f in found],
            "priority": [float(p.score) for p in prios],
            "priority_reasons": [list(p.reasons) for p in prios],
        }
        rows = {c: rows[c] for c in MENTION_COLUMNS + ENRICHED_COLUMNS}
        frame = pd.DataFrame(rows)
        frame["ts"] = pd.to_datetime(frame["ts"])
        frame["author_reach"] = frame["author_reach"].astype("int64")
        return frame
