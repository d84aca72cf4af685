from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from monitoring.detect import is_anomalous
from monitoring.detect.terms import MAX_TOKENS, EmergingTerms, tokenize

T0 = datetime(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("La bolletta è SBAGLIATA di nuovo", ["bolletta", "sbagliata", "nuovo"]),
        ("The app is down", ["app", "down"]),
        ("The customer's app doesn't work", ["customer's", "app", "work"]),
        ("Dell'assistenza non ne posso più", ["assistenza"]),
        (
            "#Blackout a Roma, @LumeaEnergia rispondete",
            ["#blackout", "roma", "@lumeaenergia", "rispondete"],
        ),
        ("see https://example.com/x?y=1 now", ["see"]),
        ("zero\u200bwidth", ["zerowidth"]),
        ("12345 2026 ok", []),
        ("", []),
        ("SEE HTTPS://EXAMPLE.COM/X now WWW.EXAMPLE.IT", ["see"]),
        ("\uff2c\uff35\uff2d\uff25\uff21 dell\u2019ordine", ["lumea", "ordine"]),  # NFKC
        ("soft\u00adhyphen l'app", ["softhyphen", "app"]),
        ("Ciao @Lumea, buonasera: bolletta doppia, grazie per favore", ["@lumea", "bolletta",
                                                                         "doppia"]),
        ("Hi, thanks! Please fix the outage", ["fix", "outage"]),
        ("Non si può pagare, vorrei sapere perché devo aspettare", ["pagare", "sapere",
                                                                    "aspettare"]),
        ("You cannot log in and I need the invoice", ["log", "invoice"]),
    ],
)
def test_tokenize(text, expected):
    assert tokenize(text) == expected
    assert tokenize(text) == expected  # the second time through the token memo


def test_tokenize_memo_stays_bounded(monkeypatch):
    from monitoring.detect import terms

    monkeypatch.setattr(terms, "_KEPT_MAX", 5)
    terms._KEPT.clear()
    words = [f"parola{i}" for i in range(20)]
    assert tokenize(" ".join(words)) == words
    assert len(terms._KEPT) <= 5


@pytest.mark.parametrize(
    "hostile",
    ["😡" * 100_000, "a" * 1_000_000, "word " * 200_000, "http://" + "x" * 500_000, "#" * 300_000],
)
def test_tokenize_is_bounded(hostile):
    tokens = tokenize(hostile)
    assert len(tokens) <= MAX_TOKENS
    assert all(len(t) <= 40 for t in tokens)


def warm(det: EmergingTerms, bins: int, counts: dict[str, int]) -> None:
    for i in range(bins):
        det.learn_one(T0 + timedelta(minutes=i), counts)


@pytest.mark.parametrize(
    ("current", "expected_top"),
    [
        ({"bolletta": 5, "app": 2}, []),  # usual volumes
        ({"bolletta": 5, "#blackout": 2}, []),  # a new term needs several mentions
        ({"bolletta": 5, "#blackout": 8}, ["#blackout"]),
        ({"bolletta": 25, "#blackout": 8}, ["bolletta", "#blackout"]),  # known term surging
    ],
)
def test_emerging_terms(current, expected_top):
    det = EmergingTerms(bin_minutes=1)
    warm(det, 240, {"bolletta": 5, "app": 2, "grazie": 1})
    top = det.score_one(current, k=5)
    assert [t.term for t in top] == expected_top
    for t in top:
        assert t.observed == current[t.term] and t.expected < t.observed and t.score >= 2


@pytest.mark.parametrize(("mentions", "anomalous"), [(3, False), (5, True)])
def test_never_seen_term_needs_several_mentions(mentions, anomalous):
    det = EmergingTerms(bin_minutes=1)
    warm(det, 240, {"bolletta": 5})
    top = det.score_one({"#blackout": mentions})
    assert [t.term for t in top] == ["#blackout"]
    assert is_anomalous(top[0].score) is anomalous


def test_top_k_best_first():
    det = EmergingTerms(bin_minutes=1, grace_period=1)
    warm(det, 60, {"base": 10})
    top = det.score_one({f"t{i}": 3 + i for i in range(20)}, k=3)
    assert [t.term for t in top] == ["t19", "t18", "t17"]


def test_memory_is_bounded():
    det = EmergingTerms(bin_minutes=1, max_terms=100)
    for i in range(500):
        det.learn_one(T0 + timedelta(minutes=i), {f"w{i}": 1, "common": 3})
    assert len(det) <= 100
    assert det.background("common") > 1.0


def test_warm_up_returns_nothing():
    det = EmergingTerms(bin_minutes=1, grace_period=10)
    det.learn_one(T0, {"x": 1})
    assert det.score_one({"boom": 100}) == []
