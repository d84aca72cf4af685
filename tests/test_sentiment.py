from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitoring.enrich.sentiment import (
    EnglishSentimentAnalyzer,
    Sentiment,
    bound_text,
    label_of,
    score,
    score_batch,
)
from monitoring.models import MAX_TEXT_CHARS

CARE = EnglishSentimentAnalyzer()
PLAIN = EnglishSentimentAnalyzer(extended=False)
STOCK = SentimentIntensityAnalyzer()


def compound(text: str, analyzer=CARE) -> float:
    return analyzer.polarity_scores(text)["compound"]


@pytest.mark.parametrize(
    "text",
    [
        "The support team was great and very helpful!",
        "This is NOT good at all :(",
        "I am not happy, but the crew was kind of nice",
        "Never so happy with a purchase 😍😍",
        "The food was good, but the service was horrible.",
        "no problem at all, thanks",
        "At least it isn't the worst day ever!!!",
        "HORRIBLE experience, would never recommend",
        "kind of okay I guess?? maybe",
        "Without doubt the best team",
        "the bomb, yeah right",
        "",
    ],
)
def test_plain_mode_matches_stock_vader(text):
    assert compound(text, PLAIN) == pytest.approx(STOCK.polarity_scores(text)["compound"])


@pytest.mark.parametrize(
    "weaker, stronger",
    [
        ("the service is good", "the service is very good"),  # intensifier
        ("the service is good", "the service is good!!!"),  # exclamation
        ("the service is good and fast", "the service is GOOD and fast"),  # caps emphasis
        ("the staff is rude", "the staff is extremely rude"),
    ],
)
def test_emphasis_increases_magnitude(weaker, stronger):
    assert abs(compound(stronger)) > abs(compound(weaker)) > 0


@pytest.mark.parametrize(
    "text, sign",
    [
        ("the app is good", 1),
        ("the app is not good", -1),  # negation
        ("the app isn't bad", 1),
        ("the food was bad, but the staff was wonderful", 1),  # contrast: after "but" weighs more
        ("the staff was wonderful, but the food was awful", -1),
        ("love it 😍", 1),
        ("😡😡", -1),
    ],
)
def test_rules(text, sign):
    assert compound(text) * sign > 0.05


@pytest.mark.parametrize(
    "text",
    [
        "my flight was delayed 3 hours and now it is cancelled",
        "been on hold for an hour",
        "still waiting for my refund",
        "the package never arrived",
        "I was overcharged on my last bill",
        "internet outage in my area since this morning",
        "I can't check in online",
        "stuck on the tarmac",
    ],
)
def test_customer_care_complaints_are_negative(text):
    assert compound(text) <= -0.05
    assert compound(text, PLAIN) > compound(text)


@pytest.mark.parametrize(
    "text",
    ["please help me change my seat", "it would be nice to get an answer"],
)
def test_requests_are_not_positive(text):
    assert score(text, "en").label != "positive"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 1_000_000,
        "bad " * 250_000,
        "😡" * 50_000,
        "😡😍" * 25_000,
        "but good " * 100_000,
        "\u200b" * 500_000 + "good",
        "not " * 200_000 + "great",
    ],
)
def test_hostile_text_is_bounded(text):
    # Only a bounded head is scored, so a megabyte post costs what its head costs (speed
    # is measured by `python -m monitoring bench`, not here).
    result = score(text, "en")
    assert result == score(text[: MAX_TEXT_CHARS * 2], "en")
    assert -1.0 <= result.compound <= 1.0
    assert len(bound_text(text)) <= MAX_TEXT_CHARS


@pytest.mark.parametrize(
    "text, expected",
    [
        ("noooooooo", "nooo"),
        ("😡😡😡😡😡😡😡", "😡😡😡"),
        ("ahahahahahaha", "ahahaha"),
        ("ok\u200bay", "okay"),
        ("fine", "fine"),
    ],
)
def test_bound_text(text, expected):
    assert bound_text(text) == expected


@pytest.mark.parametrize(
    "value, label", [(0.5, "positive"), (0.0, "neutral"), (-0.5, "negative"), (0.01, "neutral")]
)
def test_label_of(value, label):
    assert label_of(value) == label


def test_italian_goes_to_italian_analyzer():
    assert score("che schifo di servizio", "it").label == "negative"
    assert score("che schifo di servizio", "en").compound == 0.0  # no Italian in VADER


def test_score_batch():
    out = score_batch(["great job", "terrible job", "ok"], ["en", "en", "und"])
    assert [s.label for s in out][:2] == ["positive", "negative"]
    assert all(isinstance(s, Sentiment) for s in out)
    with pytest.raises(ValueError):
        score_batch(["a"], [])


@pytest.mark.parametrize(
    ("value", "lang", "label"),
    [(0.3, "it", "positive"), (0.3, "en", "neutral"), (0.5, "en", "positive"),
     (0.49, "fr", "neutral"), (-0.05, "en", "negative"), (-0.05, "it", "negative")],
)
def test_label_of_needs_more_positivity_with_the_english_lexicon(value, lang, label):
    assert label_of(value, lang) == label


@pytest.mark.parametrize(
    ("question", "statement"),
    [
        ("can you please help me with my booking? thanks", "please help me with my booking. thanks"),
        ("any chance of a nice upgrade?", "a nice upgrade."),
        ("is the lounge good?", "the lounge is good."),
    ],
)
def test_a_question_is_less_positive_than_the_statement(question, statement):
    assert 0 <= compound(question) < compound(statement)
    assert compound(question, PLAIN) >= compound(question)  # rule of the extension only


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("@acme #airlinesucks", -1),
        ("lost my bag again #EpicFail", -1),
        ("#horriblecustomerservice", -1),
        ("landed early #loveit", 1),
        ("#SoHappy with the crew", 1),
        ("#abcdefgh", 0),
    ],
)
def test_hashtags_are_read_for_their_words(text, sign):
    value = compound(text)
    assert (value > 0.05) - (value < -0.05) == sign


@pytest.mark.parametrize("text", ["this airline is a joke", "what a shambles", "inept staff"])
def test_contempt_words_to_a_brand_are_negative(text):
    assert compound(text) < -0.2 and compound(text, PLAIN) > compound(text)


def test_case_twins_are_all_characters_matching_an_ascii_letter_ignoring_case():
    import re

    from monitoring.enrich.sentiment import CASE_TWINS

    letter = re.compile("[a-z]", re.IGNORECASE)
    found = "".join(chr(c) for c in range(0x80, 0x110000) if letter.fullmatch(chr(c)))
    assert found == CASE_TWINS


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("ON HOLD for 3 HOURS", ("on_hold", "long_wait")),
        ("on\tHold after two days", ("on_hold", "long_wait")),
        ("\u017ftill waiting, no reply", ("\u017ftill_waiting", "no_reply")),  # long s
        ("\u212a still waiting 😡", ("still_waiting", "furious")),  # Kelvin sign
        ("never\u00a0arrived", ("never_arrived",)),
        ("😡customer  service😡", ("furiouscustomer_service furious",)),
    ],
)
def test_phrases_durations_and_emoji_are_read_whatever_the_case(text, joined):
    prepared = CARE._valences(text)[1].lower()
    assert all(j in prepared for j in joined)


@pytest.mark.parametrize(
    "text",
    ["", "ok", "Still waiting for a refund!!", "on hold for 3 hours?? 😡😡", "GREAT crew :)",
     "not bad at all, but the food was awful", "\u017ftill waiting", "#EpicFail again"],
)
def test_compound_is_the_compound_of_polarity_scores(text):
    for analyzer in (CARE, PLAIN):
        assert analyzer.compound(text) == analyzer.polarity_scores(text)["compound"]
