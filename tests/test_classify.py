from __future__ import annotations

import pytest

from monitoring.enrich.classify import Classification, classify, is_request
from monitoring.models import CATEGORIES

BRAND = ("lumea", "@LumeaCare")

CASES = [
    # (text, lang, compound, expected category)
    # requests: Italian
    ("@LumeaCare non riesco ad accedere all'area clienti, potete aiutarmi?", "it", 0.0, "request"),
    ("@Lumea la mia bolletta di marzo è sbagliata, mi avete addebitato due volte", "it", -0.4,
     "request"),
    ("Siamo senza luce da ieri sera in zona Navigli, quando tornerà? @Lumea", "it", -0.3,
     "request"),
    ("@LumeaCare vi ho scritto in DM per il rimborso, aspetto ancora una risposta", "it", 0.0,
     "request"),
    ("Lumea il contatore non funziona da giorni, nessuno risponde al numero verde", "it", -0.5,
     "request"),
    ("Ciao @LumeaCare come faccio a cambiare l'IBAN per l'addebito della bolletta?", "it", 0.0,
     "request"),
    # requests: English
    ("@LumeaCare I can't log in to my account since yesterday, please help", "en", 0.3,
     "request"),
    ("@Lumea my order never arrived and I've been on hold for an hour", "en", -0.2, "request"),
    ("@LumeaCare is the app down? It keeps crashing", "en", -0.3, "request"),
    ("@Lumea you charged me twice for the same bill. Please refund", "en", -0.1, "request"),
    ("Thanks @Lumea for the broken router, third one this month #fail", "en", 0.2, "request"),
    # polemic
    ("L'amministratore delegato di Lumea dovrebbe vergognarsi, #boicottaLumea", "it", -0.6,
     "polemic"),
    ("Lumea's new ad is a disgrace, shame on you", "en", -0.7, "polemic"),
    ("Another CEO bonus while prices go up. Greedy as always @Lumea", "en", -0.4, "polemic"),
    ("Quella pubblicità di Lumea è ridicola", "it", -0.4, "polemic"),
    # praise
    ("Grazie @LumeaCare, problema risolto in cinque minuti, bravissimi!", "it", 0.7, "praise"),
    ("Shout out to @Lumea for the amazing support today, thank you!", "en", 0.9, "praise"),
    ("Complimenti a Lumea, tecnico gentilissimo e puntuale", "it", 0.8, "praise"),
    # other
    ("We're hiring! Join the Lumea team, apply now https://example.com/careers", "en", 0.3,
     "other"),
    ("Lumea, vinci uno sconto del 20% con il nostro concorso", "it", 0.4, "other"),
    ("https://example.com/a/b", "en", 0.0, "other"),
    ("Lovely sunset over the lake tonight", "en", 0.6, "other"),
]


@pytest.mark.parametrize(("text", "lang", "compound", "expected"), CASES)
def test_classify(text: str, lang: str, compound: float, expected: str) -> None:
    c = classify(text, lang, compound, BRAND)
    assert c.category == expected, c
    assert c.category in CATEGORIES
    assert 0.0 <= c.confidence <= 1.0
    assert is_request(text, lang, compound, BRAND) is (expected == "request")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("@LumeaCare help me please", "addressed_to_brand"),
        ("@LumeaCare non riesco a pagare", "first_person_problem"),
        ("@LumeaCare my bill is wrong", "first_person_problem"),
        ("@LumeaCare when will the service be back?", "question"),
        ("@LumeaCare blackout in via Roma", "outage"),
        ("@LumeaCare please DM me", "help_words"),
        ("Thanks Lumea, great job", "praise_words"),
        ("#boycottlumea now", "polemic_words"),
    ],
)
def test_reasons(text: str, reason: str) -> None:
    assert reason in classify(text, "en", 0.0, BRAND).reasons


def test_without_brand_terms_a_support_handle_counts_as_brand() -> None:
    c = classify("@AcmeSupport my order is missing", "en", -0.2)
    assert c.category == "request"
    assert "addressed_to_brand" in c.reasons


def test_reply_to_a_person_chatter_is_not_a_request() -> None:
    assert not is_request("@friend_anna haha you look great in that photo", "en", 0.6)


@pytest.mark.parametrize("text", ["", "   ", "\u200b" * 10_000, "a" * 1_000_000, "?" * 50_000])
def test_degenerate_texts(text: str) -> None:
    c = classify(text, "en", 0.0)
    assert isinstance(c, Classification)
    assert c.category in CATEGORIES


OPINION_OR_PROBLEM = [
    # opinion about the brand's people, ads or politics, addressed to it -> polemic
    ("@Lumea ma davvero finanziate quel partito? Che tristezza", "it", -0.4, "polemic"),
    ("@Lumea why are you sponsoring that politician?", "en", 0.0, "polemic"),
    ("@Lumea il vostro amministratore delegato dovrebbe dimettersi", "it", -0.2, "polemic"),
    ("@Lumea I think your CEO should resign", "en", 0.0, "polemic"),
    ("@Lumea il nuovo spot è offensivo per le donne", "it", -0.5, "polemic"),
    ("@Lumea that new ad is sexist and you know it", "en", -0.3, "polemic"),
    ("@Lumea le dichiarazioni del vostro AD sono indegne", "it", -0.5, "polemic"),
    # a problem of one's own, even with a polemic word in it -> request
    ("@Lumea vergogna! Mi avete staccato la luce senza preavviso", "it", -0.6, "request"),
    ("@Lumea your CEO talks a lot but my refund still hasn't arrived", "en", -0.3, "request"),
    ("@Lumea why was I charged twice this month?", "en", -0.2, "request"),
    ("@Lumea perché la mia bolletta è raddoppiata?", "it", -0.3, "request"),
]


@pytest.mark.parametrize(("text", "lang", "compound", "expected"), OPINION_OR_PROBLEM)
def test_opinion_to_the_brand_is_polemic_a_problem_is_a_request(text, lang, compound, expected):
    assert classify(text, lang, compound, BRAND).category == expected


@pytest.mark.parametrize(
    "text",
    [
        "I can’t log in dell'app #fail",
        "ΟΔΟΣ ΟΔΟΣ Σ",  # final sigma: lower-casing depends on the neighbours
        "İstanbul office won't answer",
        "rock'n'roll isn't 'quoted' ' lone",
        "tab\tnew\nline  double",
        "",
    ],
)
def test_chunked_tokens_are_the_tokens(text: str) -> None:
    from monitoring.enrich.classify import _chunked_tokens, tokens

    assert _chunked_tokens(text) == tuple(tokens(text))


@pytest.mark.parametrize(("text", "lang", "compound", "expected"), CASES)
def test_category_is_the_category_of_classify(text, lang, compound, expected) -> None:
    from monitoring.enrich.classify import VOCABULARIES, PhraseMatcher, category, find_vocabularies

    assert category(text, compound, BRAND) == classify(text, lang, compound, BRAND).category
    # the vocabularies found beforehand, with one more of the caller's own
    matcher = PhraseMatcher({**VOCABULARIES, "extra": ("help",)})
    found = find_vocabularies(text, matcher)
    assert category(text, compound, BRAND, found) == category(text, compound, BRAND)
