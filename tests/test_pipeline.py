from __future__ import annotations

from datetime import datetime

import pytest

from monitoring.config import Settings
from monitoring.enrich.classify import classify
from monitoring.enrich.pipeline import Enricher
from monitoring.models import Mention

SETTINGS = Settings.model_validate({"streams": [
    {"id": "acme", "name": "ACME", "keywords": ["acme"], "handles": ["@acme"]},
    {"id": "lumea", "name": "Lumea", "keywords": ["lumea"], "handles": ["@lumeacare"]},
]})

TEXTS = [
    ("@acme my bill is wrong again, please help", "en", 10),
    ("@LumeaCare senza luce da ieri sera, urgente! chiamatemi al 333 123 4567", "it", 50),
    ("Grazie @LumeaCare, tutto risolto in un'ora", "it", 5),
    ("Lumea's new ad is a disgrace #boycottLumea", None, 120_000),
]


def _mention(i: int, text: str, lang: str | None, reach: int, stream: str) -> Mention:
    return Mention("t", str(i), stream, datetime(2026, 1, 1, 9, i % 60), "@u", text,
                   author_reach=reach, lang_hint=lang)


ENRICHED = ["lang", "sentiment", "sentiment_label", "category", "department", "pii_kinds",
            "priority", "priority_reasons"]


def _rows(frame) -> list[tuple]:
    return [tuple(tuple(v) if isinstance(v, list | tuple) or hasattr(v, "tolist") else v
                  for v in row) for row in frame[ENRICHED].itertuples(index=False)]


@pytest.mark.parametrize("stream", ["acme", "lumea"])
def test_identical_posts_in_a_batch_get_the_same_understanding(stream: str) -> None:
    enricher = Enricher(SETTINGS)
    repeated = [_mention(i, t, lang, reach, stream)
                for i, (t, lang, reach) in enumerate(TEXTS * 3)]
    batch = _rows(enricher.enrich(repeated))
    alone = [_rows(enricher.enrich([m]))[0] for m in repeated[: len(TEXTS)]]
    assert batch == alone * 3
    assert any(row[5] for row in batch)  # the phone number is found in every copy


def test_same_text_in_two_streams_is_classified_with_each_streams_terms() -> None:
    text = "@acme my bill is wrong again, please help"
    frame = Enricher(SETTINGS).enrich([_mention(0, text, "en", 10, "acme"),
                                       _mention(1, text, "en", 10, "lumea")])
    for row in frame.itertuples(index=False):
        terms = next(s.terms for s in SETTINGS.streams if s.id == row.stream)
        assert row.category == classify(text, "en", row.sentiment, terms).category
