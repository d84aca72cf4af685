"""VADER's scores, exactly, faster: the same algorithm with the work done once per text.

:class:`ExactVader` returns what ``vaderSentiment``'s ``polarity_scores`` returns (all four
numbers, to 1e-9) for any text up to ``MAX_TEXT_CHARS`` characters, in linear time:

- the text is lower-cased once, not once per sentiment word;
- tokens are stripped of punctuation through a cache of the token shapes seen;
- emoji are described in one pass over non-ASCII text only;
- the ``but`` rule reproduces VADER's (which rescales the *first* score equal to each
  score in turn) with a heap per value instead of ``list.index`` (quadratic in stock VADER).

Longer texts are cut to ``MAX_TEXT_CHARS`` first (stock VADER is super-linear on them).
``python -m monitoring bench vader-exact DIR...`` checks the identity on labelled files and
measures the speed.
"""

from __future__ import annotations

import csv
import heapq
import time
from pathlib import Path

from vaderSentiment.vaderSentiment import SentiText

from monitoring.enrich.sentiment import EnglishSentimentAnalyzer
from monitoring.models import MAX_TEXT_CHARS

__all__ = ["ExactVader", "but_rule", "compare", "read_texts"]



def but_rule(lower: list[str], sentiments: list[float]) -> list[float]:
    """VADER's ``_but_check``, same result, in O(n log n).

    VADER walks the scores and, for each, rescales the first score *equal* to it (x0.5
    before the first "but", x1.5 after it), so repeated values interact.

    >>> but_rule(["good", "but", "bad"], [1.9, 0, -2.5])
    [0.95, 0, -3.75]
    >>> but_rule(["nice", "nice", "but", "ok"], [1.8, 1.8, 0, 0.9])  # VADER's quirk
    [0.45, 0.9, 0, 0.9]
    """
    if "but" not in lower:
        return sentiments
    bi = lower.index("but")
    cur = list(sentiments)
    heaps: dict[float, list[int]] = {}
    for k, v in enumerate(cur):
        if v:
            heaps.setdefault(v, []).append(k)  # ascending already: a valid heap
    for k in range(len(cur)):
        v = cur[k]
        if not v:
            continue  # zero stays zero
        heap = heaps[v]
        while cur[heap[0]] != v:  # drop indices whose value has changed since
            heapq.heappop(heap)
        si = heap[0]
        if si == bi:
            continue
        new = v * 0.5 if si < bi else v * 1.5
        cur[si] = new
        heapq.heappush(heaps.setdefault(new, []), si)
    return cur


class ExactVader(EnglishSentimentAnalyzer):
    """Stock VADER's ``polarity_scores``, identical results, several times faster.

    Examples
    --------
    >>> from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    >>> text = "The food was GREAT!!! but the service, not so much :( 😡"
    >>> ExactVader().polarity_scores(text) == SentimentIntensityAnalyzer().polarity_scores(text)
    True
    """

    def __init__(self) -> None:
        super().__init__(extended=False)

    def polarity_scores(self, text: str) -> dict[str, float]:
        """Scores exactly as ``SentimentIntensityAnalyzer.polarity_scores``."""
        return self.score_valence(*self._valences(text))

    def _valences(self, text: str) -> tuple[list[float], str]:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        text = self._demojize(text[:MAX_TEXT_CHARS]).strip()
        words = self._words(text)
        lower = [w.lower() for w in words]
        return but_rule(lower, self._sentiments(words, lower)), text


def read_texts(path: Path | str) -> list[str]:
    """Texts of a labelled file: a CSV's ``text`` column, or the last tab-separated field of
    each line of a text file (VADER's ``tweets_GroundTruth.txt``: id, rating, text)."""
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(f)
            if "text" not in (reader.fieldnames or ()):
                raise ValueError(f"{path}: no text column")
            return [row["text"] or "" for row in reader]
        return [line.rstrip("\r\n").split("\t", 2)[-1] for line in f if line.strip()]


def compare(texts: list[str], repeat: int = 3) -> dict[str, float]:
    """Score ``texts`` with stock VADER and :class:`ExactVader`: differences and speeds.

    Speeds are medians of ``repeat`` runs of this process's CPU time (steady on a busy
    machine).

    >>> r = compare(["good", "not bad at all!!", "meh :("], repeat=1)
    >>> r["n"], r["mismatches"], r["max_abs_diff"]
    (3, 0, 0.0)
    """
    from statistics import median

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    stock, exact = SentimentIntensityAnalyzer(), ExactVader()
    expected = [stock.polarity_scores(t) for t in texts]
    got = [exact.polarity_scores(t) for t in texts]
    diffs = [max(abs(e[k] - g[k]) for k in e) for e, g in zip(expected, got)]
    rates: dict[str, list[float]] = {"stock": [], "exact": []}
    for _ in range(repeat):
        for name, scorer in (("stock", stock), ("exact", exact)):
            t0 = time.process_time()
            for text in texts:
                scorer.polarity_scores(text)
            rates[name].append(len(texts) / max(time.process_time() - t0, 1e-9))
    stock_rate, exact_rate = median(rates["stock"]), median(rates["exact"])
    return {"n": len(texts), "mismatches": sum(d > 1e-9 for d in diffs),
            "max_abs_diff": max(diffs, default=0.0), "stock_per_s": stock_rate,
            "exact_per_s": exact_rate, "speedup": exact_rate / stock_rate}


# SentiText is VADER's tokenizer: kept imported so a change of its rules in a new release
# shows up in the identity check (``bench vader-exact``) rather than silently.
_ = SentiText
