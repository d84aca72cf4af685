from __future__ import annotations

import pytest

from monitoring.enrich.language import (
    DETECT_CHARS,
    detect_language,
    detect_languages,
    normalize_hint,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ancora senza luce da ieri sera, è una vergogna", "it"),
        ("La bolletta di questo mese è sbagliata, chi mi aiuta?", "it"),
        ("Il treno delle 8 non è mai arrivato", "it"),
        ("l'assistenza non risponde", "it"),
        ("grazie mille per la risposta veloce", "it"),
        ("Ottimo servizio, complimenti a tutti", "it"),
        ("my flight was cancelled and nobody answers the phone", "en"),
        ("Thanks for the quick reply, it works now", "en"),
        ("I can't log in to my account since yesterday", "en"),
        ("where is my refund?", "en"),
        ("The app keeps crashing when I open it", "en"),
        ("Le service client ne répond jamais, c'est inadmissible", "fr"),
        ("El servicio es muy malo y nadie contesta", "es"),
        ("Der Zug ist schon wieder zu spät und niemand sagt etwas", "de"),
    ],
)
def test_detects_short_posts(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text, hint, expected",
    [
        ("this text is plainly English", "it", "it"),  # a valid hint wins
        ("questo testo è italiano", "en-US", "en"),
        ("questo testo è chiaramente italiano", "und", "it"),  # unusable hints are ignored
        ("this text is plainly English and long enough", "qme", "en"),
        ("this text is plainly English and long enough", "", "en"),
        ("whatever", "ita", "it"),
    ],
)
def test_hint_handling(text, hint, expected):
    assert detect_language(text, hint) == expected


@pytest.mark.parametrize(
    "hint, expected",
    [("it", "it"), ("IT", "it"), ("pt_BR", "pt"), ("zxx", None), ("", None), (None, None),
     ("english", None), ("xx", None)],
)
def test_normalize_hint(hint, expected):
    assert normalize_hint(hint) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("", "und"), ("👍👍👍", "und"), ("!!! ???", "und"), ("@user https://t.co/x", "und"),
     ("Это очень плохой сервис, никто не отвечает", "ru"), ("最悪のサービスです", "ja")],
)
def test_undetermined_and_scripts(text, expected):
    assert detect_language(text) == expected


def test_batch_and_length_mismatch():
    assert detect_languages(["che disastro oggi", "what a mess today"], [None, "de"]) == [
        "it", "de"
    ]
    with pytest.raises(ValueError):
        detect_languages(["a", "b"], ["en"])


@pytest.mark.parametrize("text", ["x" * 1_000_000, "ciao " * 200_000, "😡" * 50_000])
def test_hostile_text_is_bounded(text):
    # Only the first DETECT_CHARS characters are inspected.
    assert detect_language(text) == detect_language(text[:DETECT_CHARS])
