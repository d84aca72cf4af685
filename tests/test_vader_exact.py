from __future__ import annotations

import json
import subprocess
import sys

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitoring.enrich.vader_exact import ExactVader, but_rule, compare, read_texts
from monitoring.models import MAX_TEXT_CHARS

STOCK = SentimentIntensityAnalyzer()
EXACT = ExactVader()

TRICKY = [
    # negation
    "The food is not good", "it isn't bad at all", "I never said it was great",
    "never so happy in my life", "this is never this good", "without doubt the best",
    "no problem", "no, it is not ok", "not only good but great", "aint nobody got time",
    # but (also with repeated values, where VADER's rule rescales the first equal score)
    "good but bad", "nice nice but ok", "great, great, great but awful awful",
    "but", "but but good", "sad but true but happy",
    # capitals and boosters
    "This is GREAT", "this is GREAT and AWFUL", "ALL CAPS ONLY GOOD", "extremely good",
    "EXTREMELY good", "kinda bad", "sort of ok", "the movie was kind of good",
    "kind of", "kind", "least favourite", "at least it works", "very least good",
    # idioms and special cases
    "the bomb", "yeah right", "cut the mustard", "hand to mouth", "back handed",
    "blow smoke", "break a leg", "upper hand", "the shit", "bad ass", "kiss of death",
    # ... three words or more before a sentiment word (where VADER looks for them)
    "wow the bomb good food", "oh yeah right great", "it was the kiss of death, sad",
    "we had just enough fun", "that was sort of nice", "the shit is good", "a bad ass good",
    "it is to die for good", "the bus stop was nice", "my beating heart loves it",
    # punctuation emphasis
    "good!", "good!!!!!!", "bad??", "bad????", "ok?!?!", "really?! great!!!",
    # emoji and emoticons
    "😡", "I love it 😍😍", "great:)", "sad :( :(", "🙂🙃😀", ":-) :D <3", "👍🏽 thanks",
    # punctuation and shapes
    "'good'", "...", "", "   ", "!!!", "a", "GOOD.", "good,bad", "can't stand it",
    "@user #good http://x.co/good", "\u200bgood", "I\tlove\nit",
]


@pytest.mark.parametrize("text", TRICKY)
def test_same_scores_as_stock_vader(text):
    assert EXACT.polarity_scores(text) == pytest.approx(STOCK.polarity_scores(text), abs=1e-9)


@pytest.mark.parametrize(
    ("lower", "scores"),
    [
        (["good", "but", "bad"], [1.9, 0, -2.5]),
        (["nice", "nice", "but", "ok"], [1.8, 1.8, 0, 0.9]),
        (["x", "y", "but", "z", "w"], [0.9, 1.8, 0, 0.9, 0.45]),
        (["but", "a", "b"], [0, 2.0, 2.0]),
        (["a", "b"], [1.0, -1.0]),
        (["a", "but", "b", "but", "c"], [1.0, 0, 0.5, 0, 2.0]),
    ],
)
def test_but_rule_is_vaders(lower, scores):
    assert but_rule(lower, list(scores)) == STOCK._but_check(lower, list(scores))


@pytest.mark.parametrize(
    "text",
    ["good " * 700, "NOT bad but " * 300, "😍" * 800, "!" * 3000 + " good",
     "great but " * 390 + "awful"],
)
def test_long_texts_within_the_bound_are_exact(text):
    assert len(text) <= MAX_TEXT_CHARS
    assert EXACT.polarity_scores(text) == pytest.approx(STOCK.polarity_scores(text), abs=1e-9)


@pytest.mark.parametrize("text", ["good " * 200_000, "😡" * 100_000, "but " * 200_000])
def test_longer_texts_are_cut(text):
    scores = EXACT.polarity_scores(text)
    assert scores == EXACT.polarity_scores(text[:MAX_TEXT_CHARS])
    assert -1.0 <= scores["compound"] <= 1.0


def test_compare_and_read_texts(tmp_path):
    (tmp_path / "gt.txt").write_text("1\t2.5\tso good\n2\t-1\tbad\tday\n\n", encoding="utf-8")
    (tmp_path / "a.csv").write_text('id,text\n1,"good, really"\n2,\n', encoding="utf-8")
    assert read_texts(tmp_path / "gt.txt") == ["so good", "bad\tday"]
    assert read_texts(tmp_path / "a.csv") == ["good, really", ""]
    (tmp_path / "b.csv").write_text("id,body\n1,x\n")
    with pytest.raises(ValueError, match="no text column"):
        read_texts(tmp_path / "b.csv")
    r = compare(TRICKY, repeat=1)
    assert (r["n"], r["mismatches"]) == (len(TRICKY), 0)
    assert r["exact_per_s"] > 0 and r["stock_per_s"] > 0


def test_bench_command(tmp_path):
    (tmp_path / "gt.txt").write_text("".join(f"{i}\t0\t{t}\n" for i, t in enumerate(TRICKY[:20])))
    out = subprocess.run([sys.executable, "-m", "monitoring", "bench", "vader-exact",
                          str(tmp_path), "--repeat", "1"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    (row,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["n"] == 20 and row["mismatches"] == 0 and row["speedup"] > 0
    out = subprocess.run([sys.executable, "-m", "monitoring", "bench", "vader-exact",
                          str(tmp_path / "missing.csv")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2
