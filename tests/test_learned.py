from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import joblib
import numpy as np
import pytest

from monitoring.config import Settings
from monitoring.enrich.learned import (
    C_GRID,
    MODEL_VERSION,
    LexiconFeatures,
    TextModel,
    choose_c,
    cross_val_predict,
    preprocess,
    words,
)
from monitoring.enrich.pipeline import Enricher
from monitoring.enrich.refine import Refiner
from monitoring.models import Mention

REQUEST = [
    "how do I change my billing address", "can you tell me how to reset my password",
    "where can I download my invoice", "how do I add a second user", "can I change my plan",
    "what is the number to call for support", "how do I cancel my order",
    "where do I find my contract", "can you send me the receipt", "how can I update my card",
]
PRAISE = [
    "great service, thank you so much", "the new app is fantastic", "thanks, problem solved fast",
    "love the new design", "amazing support team, thanks", "very happy with the upgrade",
    "best customer care ever", "you guys are awesome", "quick and friendly, thanks",
    "wonderful experience today",
]
TEXTS = REQUEST + PRAISE
LABELS = ["request"] * len(REQUEST) + ["praise"] * len(PRAISE)


@pytest.fixture(scope="module")
def model():
    return TextModel().fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    "text, label",
    [("how do I change my password", "request"), ("thanks, great support", "praise"),
     ("can you send me the invoice", "request"), ("awesome app, love it", "praise")],
)
def test_predicts_held_out_texts(model, text, label):
    assert model.predict([text]) == [label]


def test_predict_proba(model):
    classes, probs = model.predict_proba(["fantastic", "how do I"])
    assert classes == ["praise", "request"]
    assert probs.shape == (2, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert model.predict([]) == []


@pytest.mark.parametrize("sentiment_features", [True, False])
def test_save_load_round_trip(tmp_path, sentiment_features):
    model = TextModel(sentiment_features=sentiment_features).fit(TEXTS, LABELS)
    path = tmp_path / "model.joblib"
    model.save(path)
    loaded = TextModel.load(path)
    probe = ["where is my invoice", "great job", "ciao"]
    assert loaded.predict(probe) == model.predict(probe)
    np.testing.assert_allclose(loaded.predict_proba(probe)[1], model.predict_proba(probe)[1])
    assert loaded.sentiment_features == sentiment_features


@pytest.mark.parametrize(
    "blob",
    [{"version": "sentinella-textmodel/0", "model": None, "params": {}},
     {"version": "sentinella-textmodel/1", "model": None, "params": {"C": 4.0}},
     ["not", "a", "model"]],
)
def test_version_mismatch_is_refused(tmp_path, blob):
    path = tmp_path / "old.joblib"
    joblib.dump(blob, path)
    with pytest.raises(ValueError, match="version"):
        TextModel.load(path)
    assert MODEL_VERSION in str(pytest.raises(ValueError, TextModel.load, path).value)


@pytest.mark.parametrize(
    "texts, labels, error",
    [(["a", "b"], ["x", "x"], ValueError), (["a", "b"], ["x"], ValueError)],
)
def test_bad_training_sets(texts, labels, error):
    with pytest.raises(error):
        TextModel().fit(texts, labels)


def test_unfitted_model_fails_clearly():
    with pytest.raises(RuntimeError, match="not fitted"):
        TextModel().predict(["x"])


def test_cross_val_predict_never_sees_its_test_items():
    preds = cross_val_predict(TEXTS, LABELS, folds=5, seed=1)
    assert len(preds) == len(TEXTS)
    assert set(preds) <= {"request", "praise"}
    assert np.mean([p == g for p, g in zip(preds, LABELS)]) >= 0.7


@pytest.mark.parametrize(
    "text, expected",
    [("@acme 3 hours", "@user 0 hours"), ("see https://a.b/c ok", "see http ok"),
     ("nooooo", "nooo")],
)
def test_preprocess(text, expected):
    assert preprocess(text) == expected


@pytest.mark.parametrize(
    "text, present, absent",
    [
        # accents folded, elongation collapsed, a known positive word tagged
        ("Servizio BELLISSIMOOOO", ["servizio", "bellissimo", "__pos", "servizio bellissimo"],
         ["__npos"]),
        # within a negation's reach the polarity tag is a negated one
        ("non è affatto buono", ["non", "__not", "buono", "__npos"], ["__pos"]),
        # the reach ends at the sentence's end
        ("non lo so. buono", ["__not", "__pos"], ["__npos"]),
        # user names and URLs become placeholders; numbers are dropped
        ("@Lumea 3 giorni https://x.co/a", ["xuserx", "xurlx", "giorni"], ["lumea", "3"]),
        # emoji stay tokens, with their polarity
        ("pessimo 😡", ["😡", "__emoneg", "pessimo", "__neg", "pessimo 😡"], ["__emopos"]),
        # English words are tagged from VADER's lexicon
        ("the app is awful", ["awful", "__neg", "app is"], ["__pos"]),
        # hashtags are split into words
        ("#BollettaPazza", ["bolletta", "pazza"], ["#"]),
    ],
)
def test_words(text, present, absent):
    tokens = words(text)
    assert set(present) <= set(tokens), tokens
    assert not set(absent) & set(tokens), tokens


@pytest.mark.parametrize(
    "text, column, sign",
    [("che disservizio, una vergogna!", 0, -1),   # Italian compound
     ("servizio ottimo, grazie", 0, 1),
     ("terrible service, awful", 3, -1),          # English compound
     ("great crew, thank you", 3, 1),
     ("pessimo e lento", 7, 1),                   # negative words counted
     ("non è buono", 8, 1),                       # negated positive word counted
     ("grazie 😍", 10, 1),                        # positive emoji counted
     ("perché? perché?", 13, 1)],                 # question marks counted
)
def test_lexicon_features(text, column, sign):
    row = LexiconFeatures().transform([text]).toarray()[0]
    assert row.shape == (16,)
    assert np.sign(row[column]) == sign, row


def test_lexicon_features_of_empty_and_bad_input():
    rows = LexiconFeatures(weight=2.0).transform(["", None, "x" * 100_000]).toarray()
    assert rows.shape == (3, 16)
    assert not rows[:2].any()


@pytest.mark.parametrize("C, chosen", [(0.5, 0.5), ("auto", None)])
def test_c_is_fixed_or_chosen_by_cross_validation(C, chosen, tmp_path):
    model = TextModel(C=C).fit(TEXTS, LABELS)
    assert model.chosen_C_ == chosen if chosen is not None else model.chosen_C_ in C_GRID
    model.save(tmp_path / "m.joblib")
    assert TextModel.load(tmp_path / "m.joblib").chosen_C_ == model.chosen_C_


def test_choose_c_prefers_what_generalises():
    # Two well separated classes in one feature plus a noise feature: any C separates them,
    # so the smallest C of the grid wins the tie.
    rng = np.random.default_rng(0)
    x = np.column_stack([np.r_[np.ones(30), -np.ones(30)], rng.normal(size=60)])
    y = np.array(["a"] * 30 + ["b"] * 30)
    assert choose_c(x, y, grid=(0.01, 1.0, 100.0)) == 0.01
    assert choose_c(x, y, grid=(7.0,)) == 7.0


def test_a_class_with_a_single_example_still_gives_probabilities():
    texts = TEXTS + ["il volantino di maggio"]
    labels = LABELS + ["other"]
    classes, probs = TextModel().fit(texts, labels).predict_proba(["great support"])
    assert classes == ["other", "praise", "request"]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert classes[int(probs.argmax())] == "praise"


# -- refinement of the rules by models trained on the team's labels ----------------------


# The team files posts about the loyalty card's points as requests although the rules see
# no service problem in them: a learned model teaches the product such house conventions.
LOYALTY = [f"la tessera fedeltà {w} non ha caricato i punti" for w in
           ("nuova", "vecchia", "digitale", "gold", "premium", "family", "base", "plus")]
FLYERS = [f"è uscito il volantino di {m} con le offerte" for m in
          ("marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre")]
SETTINGS = Settings.model_validate({"streams": [{"id": "lumea", "name": "Lumea",
                                                 "keywords": ["lumea"]}]})


def _write_category_model(folder, texts=LOYALTY + FLYERS,
                          labels=["request"] * 8 + ["other"] * 8) -> None:
    folder.mkdir(exist_ok=True)
    TextModel(sentiment_features=False).fit(texts, labels).save(folder / "model_category.joblib")


def _categories(enricher: Enricher, texts: list[str]) -> list[str]:
    mentions = [Mention("t", str(i), "lumea", datetime(2026, 1, 1), "@u", t, lang_hint="it")
                for i, t in enumerate(texts)]
    return enricher.enrich(mentions)["category"].tolist()


def test_a_trained_model_refines_the_rules_and_the_product_works_without_it(tmp_path):
    probe = ["la tessera fedeltà smart non ha caricato i punti",
             "è uscito il volantino di novembre con le offerte"]
    assert _categories(Enricher(SETTINGS), probe) == ["other", "other"]
    assert _categories(Enricher(SETTINGS, tmp_path / "none"), probe) == ["other", "other"]
    _write_category_model(tmp_path / "models")
    assert _categories(Enricher(SETTINGS, tmp_path / "models"), probe) == ["request", "other"]


@pytest.mark.parametrize(("min_confidence", "expected"), [(0.5, "request"), (1.0, "other")])
def test_the_model_overrides_only_when_confident(tmp_path, min_confidence, expected):
    _write_category_model(tmp_path)
    refiner = Refiner(tmp_path, min_confidence=min_confidence)
    assert refiner.refine("category", [LOYALTY[0]], ["other"]) == [expected]


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x04K\x01."])
def test_an_unreadable_model_file_is_ignored(tmp_path, content, caplog):
    (tmp_path / "model_category.joblib").write_bytes(content)
    refiner = Refiner(tmp_path)
    assert refiner.refine("category", ["qualsiasi"], ["praise"]) == ["praise"]
    assert "ignoring the learned model" in caplog.text


def test_a_retrained_model_is_picked_up_and_a_removed_one_dropped(tmp_path):
    refiner = Refiner(tmp_path)
    _write_category_model(tmp_path)
    assert refiner.refine("category", [LOYALTY[1]], ["other"]) == ["request"]
    _write_category_model(tmp_path, labels=["polemic"] * 8 + ["other"] * 8)
    path = tmp_path / "model_category.joblib"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert refiner.refine("category", [LOYALTY[1]], ["other"]) == ["polemic"]
    path.unlink()
    assert refiner.refine("category", [LOYALTY[1]], ["other"]) == ["other"]


# -- the evaluation command's --train path ---------------------------------------------

UMSAB_POSTS = [
    ("servizio ottimo, grazie mille", 2), ("che bella giornata, felice", 2),
    ("bravissimi, tutto perfetto", 2), ("adoro la nuova app 😍", 2),
    ("bolletta sbagliata, una vergogna", 0), ("pessimo servizio, lentissimi", 0),
    ("ancora senza luce, che schifo 😡", 0), ("truffa, rivoglio i soldi", 0),
    ("domani la conferenza stampa alle 10", 1), ("il volantino di maggio è online", 1),
    ("oggi riunione in comune", 1), ("aggiornamento della rete previsto a giugno", 1),
]


def _write_umsab(folder, name, posts):
    (folder / f"{name}_text.txt").write_text("\n".join(t for t, _ in posts) + "\n")
    (folder / f"{name}_labels.txt").write_text("\n".join(str(y) for _, y in posts) + "\n")
    return [str(folder / f"{name}_text.txt"), str(folder / f"{name}_labels.txt")]


@pytest.mark.parametrize("same_file", [False, True])
def test_evaluate_sentiment_with_train_uses_the_learned_model(tmp_path, same_file):
    train = _write_umsab(tmp_path, "train", UMSAB_POSTS * 3)
    evaluated = train if same_file else _write_umsab(
        tmp_path, "test", [("servizio pessimo, vergogna", 0), ("grazie, ottimo lavoro", 2)])
    out = tmp_path / "pred.csv"
    run = subprocess.run(
        [sys.executable, "-m", "monitoring", "evaluate", "sentiment", "--format", "umsab",
         *evaluated, "--train", *train, "--out", str(out)],
        check=False, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert ("model: learned (cross-validated" in run.stdout) == same_file
    rows = out.read_text().splitlines()
    assert rows[0] == "id,prediction"
    assert {r.split(",")[1] for r in rows[1:]} <= {"0", "1", "2"}
    if not same_file:
        assert rows[1:] == ["0,0", "1,2"]
