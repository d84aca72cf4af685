from __future__ import annotations

import pytest

from monitoring.enrich.priority import Priority, is_urgent, priority

# Each pair: (higher, lower) as arguments of priority(compound, category, reach, pii, text, lang).
ORDERINGS = [
    pytest.param(
        (-0.5, "request", 100, [], "la bolletta è sbagliata", "it"),
        (-0.5, "polemic", 100, [], "che vergogna", "it"),
        id="request>polemic",
    ),
    pytest.param(
        (-0.2, "polemic", 100, [], "brutta pubblicità", "it"),
        (-0.2, "other", 100, [], "news", "en"),
        id="polemic>other",
    ),
    pytest.param(
        (0.0, "other", 100, [], "some news", "en"),
        (0.9, "praise", 100, [], "thanks!", "en"),
        id="other>praise",
    ),
    pytest.param(
        (-0.9, "request", 100, [], "my bill is wrong", "en"),
        (-0.1, "request", 100, [], "my bill is wrong", "en"),
        id="more-negative",
    ),
    pytest.param(
        (-0.3, "polemic", 500_000, [], "bad ad", "en"),
        (-0.3, "polemic", 50, [], "bad ad", "en"),
        id="reach",
    ),
    pytest.param(
        (-0.3, "request", 100, ["card"], "my card 4111...", "en"),
        (-0.3, "request", 100, [], "my card", "en"),
        id="pii",
    ),
    pytest.param(
        (-0.3, "request", 100, [], "siamo senza luce da giorni", "it"),
        (-0.3, "request", 100, [], "la luce costa troppo", "it"),
        id="urgent-it",
    ),
    pytest.param(
        (-0.3, "request", 100, [], "there is a gas leak in our street", "en"),
        (-0.3, "request", 100, [], "gas bill is high", "en"),
        id="urgent-en",
    ),
]


@pytest.mark.parametrize(("higher", "lower"), ORDERINGS)
def test_ordering(higher: tuple, lower: tuple) -> None:
    assert priority(*higher).score > priority(*lower).score


@pytest.mark.parametrize(
    ("args", "expected_factors"),
    [
        ((-1.0, "request", 10_000_000, ["card", "phone"], "URGENTE subito!", "it"),
         {"category", "negative", "reach", "pii", "urgent"}),
        ((0.8, "praise", 0, [], "grazie", "it"), set()),
        ((0.0, "polemic", 0, [], "ok", "en"), {"category"}),
        ((-0.4, "other", 0, ["email"], "emergency", "en"), {"category", "negative", "pii",
                                                            "urgent"}),
    ],
)
def test_reasons_explain_the_score(args: tuple, expected_factors: set[str]) -> None:
    p = priority(*args)
    assert isinstance(p, Priority)
    assert 0.0 <= p.score <= 100.0
    factors = {r.split(":")[0] for r in p.reasons}
    assert factors == expected_factors
    total = sum(float(r.split(":+")[1]) for r in p.reasons)
    assert p.score == pytest.approx(min(100.0, total), abs=0.05)


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("Serve assistenza urgente", True),
        ("siamo senza luce da ieri", True),
        ("aspetto da giorni una risposta", True),
        ("There's a gas leak near the meter!", True),
        ("emergency: no power for two days", True),
        ("the new tariff is expensive", False),
        ("la pubblicità non mi piace", False),
    ],
)
def test_is_urgent(text: str, urgent: bool) -> None:
    assert is_urgent(text) is urgent


def test_hostile_text_is_bounded() -> None:
    p = priority(-0.5, "request", 10**12, ["card"] * 1000, "x " * 1_000_000, "en")
    assert p.score <= 100.0
