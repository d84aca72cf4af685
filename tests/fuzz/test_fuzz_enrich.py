"""Enrichment on hostile text: one row per mention, known labels, bounded clean text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.config import load_settings
from monitoring.enrich.pii import mask_pii
from monitoring.enrich.pipeline import STORED_TEXT_CHARS, Enricher, clean_text
from monitoring.models import CATEGORIES, SENTIMENT_LABELS, Mention
from tests.fuzz.strategies import hostile_text

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(load_settings())


@given(texts=st.lists(hostile_text, min_size=1, max_size=8),
       langs=st.lists(st.sampled_from([None, "it", "en", "fr", "", "xx"]), min_size=8,
                      max_size=8))
def test_enrich_gives_one_valid_row_per_mention(enricher, texts, langs):
    mentions = [Mention("fuzz", str(i), "lumea", datetime(2026, 1, 1, tzinfo=UTC), "@a", t,
                        lang_hint=lang or None) for i, (t, lang) in enumerate(zip(texts, langs))]
    frame = enricher.enrich(mentions)
    assert len(frame) == len(mentions)
    assert set(frame["sentiment_label"]) <= set(SENTIMENT_LABELS)
    assert set(frame["category"]) <= set(CATEGORIES)
    assert frame["sentiment"].between(-1, 1).all()
    for text in frame["text"]:
        assert len(text) <= STORED_TEXT_CHARS and not CONTROL.search(text)


@given(hostile_text, st.integers(min_value=2, max_value=300))
def test_clean_text_is_bounded_and_a_prefix(text, limit):
    out = clean_text(text, limit)
    assert len(out) <= limit and not CONTROL.search(out)
    stripped = CONTROL.sub("", text[: limit * 2])
    assert out == stripped or (out.endswith("…") and stripped.startswith(out[:-1]))


@given(hostile_text)
def test_mask_pii_never_fails_and_hides_emails(text):
    masked = mask_pii(text + " mario.rossi@example.com")
    assert "mario.rossi@example.com" not in masked.split(" ")[-1]  # the appended address
