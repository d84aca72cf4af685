from __future__ import annotations

import pytest

from monitoring.enrich.italian import (
    ItalianSentimentAnalyzer,
    fold,
    load_lexicon,
    tokenize,
)
from monitoring.models import MAX_TEXT_CHARS

SIA = ItalianSentimentAnalyzer()


def compound(text: str) -> float:
    return SIA.polarity_scores(text)["compound"]


@pytest.mark.parametrize(
    "text, sign",
    [
        ("il servizio è ottimo", 1),
        ("il servizio non è ottimo", -1),  # negation
        ("non è male", 1),
        ("il servizio non è per niente buono", -1),
        ("non mi è mai piaciuto", -1),
        ("senza problemi, tutto risolto", 1),
        ("non funziona niente da giorni", -1),  # negative concord: one negation
        ("prodotto buono ma assistenza pessima", -1),  # contrast
        ("prodotto pessimo però assistenza eccellente", 1),
        ("l'assistenza è stata gentilissima", 1),  # elision + -issimo
        ("dell'operatore non ho notizie, che disservizio", -1),
        ("#BollettaPazza", -1),  # hashtag split on case
        ("ci vediamo domani 😍", 1),  # emoji
        ("ci vediamo domani 😡", -1),
        ("ci vediamo domani :)", 1),  # emoticons
        ("ci vediamo domani :(", -1),
        ("ahahah che ridere", 1),
        ("truffa! bolletta sbagliata e nessun rimborso", -1),
        ("treno soppresso, ennesimo ritardo", -1),
        ("blackout in tutto il quartiere, siamo bloccati in ascensore", -1),
        ("grazie mille per la risposta veloce", 1),
    ],
)
def test_polarity(text, sign):
    assert compound(text) * sign > 0.05


@pytest.mark.parametrize(
    "weaker, stronger",
    [
        ("il servizio è lento", "il servizio è molto lento"),  # intensifier
        ("il servizio è lento", "il servizio è troppo lento"),
        ("il servizio è buono", "il servizio è davvero buono"),
        ("il servizio è buono", "il servizio è buonissimo"),  # superlative
        ("il servizio è buono", "il servizio è buono!!!"),  # exclamation
        ("il servizio è buono oggi", "il servizio è BUONO oggi"),  # caps emphasis
        ("un po' lento", "lento"),  # diminisher
        ("poco chiaro", "chiaro"),
    ],
)
def test_emphasis(weaker, stronger):
    assert abs(compound(stronger)) > abs(compound(weaker)) > 0


@pytest.mark.parametrize(
    "form, lemma",
    [
        ("pessima", "pessimo"), ("pessimi", "pessimo"), ("pessime", "pessimo"),
        ("bollette", "bolletta"), ("truffe", "truffa"), ("problemi", "problema"),
        ("ladri", "ladro"), ("vergognose", "vergognoso"), ("gentili", "gentile"),
        ("velocemente", "veloce"), ("disastrosamente", "disastroso"),
    ],
)
def test_inflections_share_the_lemma_valence(form, lemma):
    assert SIA.valence(form)[0] == SIA.valence(lemma)[0] != 0


@pytest.mark.parametrize(
    "form", ["funziona", "funzionano", "odiamo", "odiano", "truffano", "truffato", "adoro"]
)
def test_verb_forms_are_generated(form):
    assert form in SIA.lexicon


@pytest.mark.parametrize(
    "text, folded",
    [
        ("L'assistenza", ["l", "assistenza"]),
        ("perché' NOOOO", ["perche", "no"]),
        ("#ServizioClienti @acme https://x.it/a", ["servizio", "clienti"]),
        ("Città sommersa…", ["citta", "sommersa"]),
        ("ciao\u200b mondo", ["ciao", "mondo"]),
    ],
)
def test_tokenize(text, folded):
    assert [t[2] for t in tokenize(text) if t[0] == "word"] == folded


def test_fold():
    assert fold("PERCHÉ") == "perche"


def test_scores_have_vader_keys_and_ranges():
    scores = SIA.polarity_scores("che disastro, ma il personale è gentile")
    assert set(scores) == {"neg", "neu", "pos", "compound"}
    assert -1 <= scores["compound"] <= 1
    assert scores["neg"] + scores["neu"] + scores["pos"] == pytest.approx(1.0, abs=0.01)
    assert SIA.polarity_scores("")["compound"] == 0.0


@pytest.mark.parametrize(
    "text",
    ["x" * 1_000_000, "pessimo " * 200_000, "😡" * 50_000, "😡😍" * 25_000,
     "ma bello " * 100_000, "non " * 200_000 + "bello", "#" + "A" * 100_000],
)
def test_hostile_text_is_bounded(text):
    # Only a bounded head is scored (speed is measured by `python -m monitoring bench`).
    scores = SIA.polarity_scores(text)
    assert scores == SIA.polarity_scores(text[: MAX_TEXT_CHARS * 2])
    assert -1 <= scores["compound"] <= 1


@pytest.mark.parametrize(
    "content, message",
    [("bello\n", "expected"), ("bello\t9\n", "outside"), ("bello\tmolto\n", "could not")],
)
def test_bad_lexicon_files_fail_clearly(tmp_path, content, message):
    path = tmp_path / "lex.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_lexicon(path)


def test_packaged_lexicon_size():
    assert len(load_lexicon()) > 1500


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        # a run of a unit holding white space is collapsed with the whole text
        (" ok ok ok ok", ["ok", "ok", "ok"]),
        ("ok ok ok ok ", ["ok", "ok", "ok"]),
        ("a a a a a", ["a", "a", "a", "a"]),
        # four units need the separator after the fourth one
        ("no no no no", ["no", "no", "no", "no"]),
        ("no  no  no  no", ["no", "no", "no", "no"]),
        # runs inside one chunk, chunk by chunk
        ("nooooo siii ahahahahah", ["no", "si", "ahahah"]),
        ("pessimo\tpessimo\tpessimo\tpessimo", ["pessimo"] * 4),
        ("😡😡😡😡😡 vergogna", ["😡", "😡", "😡", "vergogna"]),
        ("x\u200b x\u200b x\u200b x\u200b ", ["x", "x", "x"]),
    ],
)
def test_runs_are_collapsed_across_and_within_chunks(text, folded):
    assert [t[2] for t in tokenize(text)] == folded


@pytest.mark.parametrize(
    "text",
    ["", "   ", "!!!", "boh", "non è male", "prodotto buono ma assistenza pessima!!",
     "Servizio OTTIMO, grazie 😍", "non funziona niente da giorni??? VERGOGNA", ":( :( :(",
     "un po' lento però gentilissimi", "ma ma ma ma", "NON NON non mai " * 50],
)
def test_compound_is_the_compound_of_polarity_scores(text):
    assert SIA.compound(text) == SIA.polarity_scores(text)["compound"]


def test_memos_keep_short_keys_only():
    from monitoring.enrich import italian

    long_word = "pessimo" * 500
    SIA.compound(f"{long_word} servizio {long_word}x!")
    SIA.compound(f"ok {long_word}y ok ok ok ok ")  # the run of " ok" reaches across chunks
    memos = (italian._CHUNKS, italian._RAW_CHUNKS, SIA._infos)
    assert all(len(key) <= 40 for memo in memos for key in memo)
    assert all(len(entry[1]) <= 40 for entry in italian._ENTRIES.values())
