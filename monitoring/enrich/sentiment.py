"""Sentiment of short posts: VADER for English (plus customer care vocabulary), own lexicon
for Italian.

:func:`score` / :func:`score_batch` return a :class:`Sentiment` (VADER ``compound`` in
-1..1 and a label).  Italian text goes to
:class:`~monitoring.enrich.italian.ItalianSentimentAnalyzer`; everything else to
:class:`EnglishSentimentAnalyzer`, which applies VADER's rules in linear time (stock
VADER re-lowercases the whole text for every sentiment word and is quadratic on long or
emoji-flooded posts) and extends VADER's lexicon with :data:`CARE_LEXICON`: complaints to
customer care ("flight delayed 3 hours, still on hold") often carry no opinion word.

Every text is bounded first (:func:`bound_text`): cut to ``MAX_TEXT_CHARS``, zero-width
characters dropped, runs of a repeated character or short unit collapsed to three.
"""

from __future__ import annotations

import math
import re
import string
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    normalize,
)

from monitoring.models import MAX_TEXT_CHARS

__all__ = [
    "CARE_LEXICON",
    "CARE_PHRASES",
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "POSITIVE_THRESHOLD_EN",
    "EnglishSentimentAnalyzer",
    "Sentiment",
    "bound_text",
    "collapse_runs",
    "label_of",
    "score",
    "score_batch",
]

#: ``compound`` at or above which a post is positive.  Higher than VADER's 0.05: in posts
#: to a brand one courtesy word ("thanks", "please", "ok") is not praise.
POSITIVE_THRESHOLD = 0.3
#: The same for texts scored with VADER's English lexicon, which rates courtesy words high
#: ("thanks" 1.9, "glad" 2.0, "sure" 1.3): in a post to a brand they mostly go with a
#: request, so an English post needs more positive words than an Italian one to be praise
#: (the Italian lexicon rates courtesy words low itself).
POSITIVE_THRESHOLD_EN = 0.5
#: ``compound`` at or below which a post is negative.
NEGATIVE_THRESHOLD = -0.05

_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# A character or a unit of two or three characters (emoji with modifiers, "ah") repeated
# four or more times.  The lazy unit is at most three characters: linear time.
_RUN = re.compile(r"(.{1,3}?)\1{3,}", re.DOTALL)
# Necessary condition for such a run (the unit's first character recurs at its stride):
# about three times cheaper to scan for, so the full pattern runs only on the few texts
# that pass it.
_RUN_HINT = re.compile(r"(.)(?:\1\1\1|.\1.\1.\1|..\1..\1..\1)", re.DOTALL)


def collapse_runs(text: str) -> str:
    """Collapse a character, or a unit of two or three, repeated four times or more to three.

    >>> collapse_runs("noooooo ahahahahah 😡😡😡😡😡"), collapse_runs("ok")
    ('nooo ahahah 😡😡😡', 'ok')
    """
    if _RUN_HINT.search(text) is None:
        return text
    return _RUN.sub(r"\1\1\1", text)


def bound_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Bound the work a text can cause: cut, drop invisible characters, collapse runs.

    >>> bound_text("noooooo!!!!!!!! 😡😡😡😡😡😡")
    'nooo!!! 😡😡😡'
    >>> len(bound_text("a b " * 10_000)) <= 4_000
    True
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[: limit + limit // 2]
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    return collapse_runs(text)[:limit]


#: Customer care vocabulary added to VADER's lexicon (VADER's -4..4 scale).  Events that
#: are bad for a customer (delays, cancellations, outages, charges) are negative; request
#: words that VADER rates as positive ("help", "please") are close to neutral here, since
#: in a post to a brand they mostly ask for something.
CARE_LEXICON: dict[str, float] = {
    # delays and cancellations
    "delayed": -1.6, "delay": -1.4, "delays": -1.4, "delaying": -1.4, "late": -1.0,
    "cancelled": -1.8, "canceled": -1.8, "cancel": -1.0, "cancels": -1.2,
    "cancelling": -1.3, "canceling": -1.3, "cancellation": -1.4, "cancellations": -1.4,
    "stuck": -1.6, "stranded": -2.1, "diverted": -1.0, "overbooked": -1.8,
    "overbooking": -1.6, "oversold": -1.6, "missed": -1.3, "misconnect": -1.5,
    "rebook": -0.6, "rebooked": -0.8, "rebooking": -0.8, "waiting": -0.7, "waited": -1.0,
    "wait": -0.6, "queue": -0.5, "tarmac": -0.4, "standby": -0.4, "hours": -0.5,
    "hrs": -0.5, "still": -0.4, "again": -0.4,
    # money
    "refund": -0.8, "refunds": -0.8, "overcharged": -2.2, "overcharge": -2.0,
    "fee": -0.7, "fees": -0.7, "surcharge": -1.0, "compensation": -0.7,
    "reimburse": -0.5, "reimbursement": -0.7, "chargeback": -1.5,
    # things broken, lost, unreachable
    "outage": -2.0, "outages": -2.0, "glitch": -1.4, "glitches": -1.4, "bug": -1.0,
    "bugs": -1.0, "crashed": -1.8, "crashing": -1.6, "crashes": -1.6, "down": -0.5,
    "broke": -1.5, "lost": -1.5, "missing": -1.3, "damaged": -1.9, "misplaced": -1.4,
    "disconnected": -1.3, "unreachable": -1.6, "unanswered": -1.6, "unhelpful": -2.0,
    "ignored": -1.6, "ignoring": -1.6, "ignore": -1.3, "issue": -0.9, "issues": -1.0,
    "complaint": -1.5, "complaints": -1.5, "incorrect": -1.3, "wrong": -1.6,
    "dirty": -1.5, "smelly": -1.6, "cramped": -1.4, "hung": -0.6, "downgraded": -1.3,
    "overdue": -1.2, "undelivered": -1.6, "nobody": -0.6, "nowhere": -0.6,
    "wtf": -2.5, "smh": -1.5, "ugh": -1.8, "seriously": -0.6, "unbelievable": -1.5,
    # said to a brand, "a joke" is contempt (VADER: joke 1.2)
    "joke": -1.2, "jokes": -0.8, "shambles": -2.0, "inept": -2.1, "nightmare": -2.3,
    "fml": -2.0, "why": -0.5,
    # request and conversational words (VADER: help 1.7, please 1.3, yes 1.7, ok 1.2)
    "help": 0.4, "please": 0.3, "pls": 0.2, "plz": 0.2, "support": 0.4, "care": 0.5,
    "yes": 0.6, "sure": 0.5, "ok": 0.5, "okay": 0.4, "well": 0.3, "fine": 0.5, "lol": 1.0,
}

#: Words that put the next three words in an irrealis context (wish, condition, modal):
#: "it would be nice if...", "if you could help" - their valence is not asserted and is
#: multiplied by :data:`IRREALIS_SCALAR` (the irrealis blocking of Taboada et al., 2011).
IRREALIS = frozenset(
    ["would", "could", "should", "might", "wish", "if", "hopefully", "would've", "could've", "should've", "wd", "cd"]
)
IRREALIS_SCALAR = 0.0

#: A negated action with no opinion word after it reports a failure in a post to customer
#: care ("I can't check in", "still haven't received my bag"): the negator itself gets
#: this valence when none of the next three words is in the lexicon.
FAILURE_NEGATORS = frozenset(
    ["can't", "cant", "cannot", "couldn't", "couldnt", "won't", "wont", "didn't", "didnt", "haven't", "havent", "hasn't", "hasnt", "doesn't", "doesnt", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "unable", "not", "never", "don't", "dont", "weren't", "werent"]
)
FAILURE_VALENCE = -0.9

#: Multi-word expressions scored as one token (words joined with ``_``).
CARE_PHRASES: dict[str, float] = {
    "on hold": -1.6, "still waiting": -1.8, "still no": -1.2, "never arrived": -2.0,
    "never received": -2.0, "never got": -1.6, "never showed": -1.8, "hung up": -1.8,
    "no answer": -1.6, "no response": -1.6, "no reply": -1.5, "no one": -0.9,
    "not working": -1.8, "doesn't work": -1.8, "does not work": -1.8, "didn't work": -1.6,
    "stopped working": -1.9, "isn't working": -1.8, "won't let me": -1.4,
    "thanks for nothing": -2.2,
    "customer service": 0.0, "customer care": 0.0, "customer support": 0.0,
    "how long": -0.6, "any update": -0.3, "any updates": -0.3, "what happened": -0.6,
    "would be nice": -0.8, "would be great": -0.5, "would be helpful": -0.5,
    "not happy": -1.9, "never again": -2.3, "no show": -1.0, "sold out": -0.5,
    "where is my": -1.2, "where are my": -1.2, "was told": -0.6, "were told": -0.6,
    "waste of time": -2.0, "not acceptable": -2.0, "fix this": -0.9, "fix it": -0.7,
}

#: Emoji whose VADER description carries no lexicon word ("pouting face"), described
#: instead by a word of the intended valence.
EMOJI_WORDS: dict[str, str] = {
    "😡": "furious", "🤬": "furious", "😤": "annoyed", "🙄": "annoyed", "😒": "annoyed",
    "👎": "bad", "👍": "good", "🤮": "disgusting", "🤢": "disgusting", "💩": "crap",
    "🖕": "fuck", "😩": "miserable", "😫": "miserable", "🤦": "stupid", "🙏": "thanks",
    "👏": "good", "🔥": "", "💯": "perfect", "🤡": "ridiculous",
}

#: Positive valence in a question is multiplied by this: a question asks for something,
#: and its courtesy words ("can you please help? thanks") are not praise.
QUESTION_POSITIVE_SCALAR = 0.5

#: Valence of a reported long wait ("for 3 hours", "after two days").
LONG_WAIT_VALENCE = -1.3

_PHRASE = re.compile(
    r"(?<![\w'])("
    + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(CARE_PHRASES, key=len)[::-1])
    + r")(?![\w'])",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_PUNCTUATION = string.punctuation
_STRIP_CACHE_SIZE = 200_000
_HASHTAG = re.compile(r"#([A-Za-z]{5,60})(?![\w'])")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# "for 3 hours", "after two days": a long wait reported to customer care.
_DURATION = re.compile(
    r"(?<![\w'])(?:for|after|over|than)\s+(?:\d{1,3}\+?|an?|two|three|four|five|several|many)?"
    r"\s{0,3}(?:more\s+)?(?:hours?|hrs?|days|weeks|months)(?![\w'])",
    re.IGNORECASE,
)
# "sucks.i paid": words glued by punctuation without a space (the pattern starts at the
# punctuation mark, so the scan skips to those, then looks behind it).
_GLUED = re.compile(r"([.!?;,])(?<=[a-z]{2}[.!?;,])(?=[A-Za-z])")
# Characters other than ASCII letters that match an ASCII letter when the case is ignored
# (tests/test_sentiment.py checks the list against every code point).  Without them, a
# case-insensitive pattern of ASCII words matches only where the lower-cased text has them.
CASE_TWINS = "\u0130\u0131\u017f\u212a"
_CASE_TWIN = re.compile(f"[{CASE_TWINS}]")
_WORDS = re.compile(r"[\w']+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# First two words of each phrase: a phrase matches only where the lower-cased text has
# them as consecutive runs of word characters and apostrophes.
_PHRASE_PAIRS = frozenset(tuple(p.split()[:2]) for p in CARE_PHRASES)
if any(len(p.split()) < 2 for p in CARE_PHRASES):  # pragma: no cover - a one-word phrase
    raise RuntimeError("CARE_PHRASES hold expressions of two words or more")
_DURATION_WORDS = ("for", "after", "over", "than")
_DURATION_UNITS = ("hour", "hr", "days", "weeks", "months")
_NEGATE = frozenset(NEGATE)
# First two words of VADER's idioms and multi-word boosters: ``_idioms`` can change a
# valence only when two consecutive words around it are one of these pairs.
_IDIOM_PAIRS = frozenset(
    tuple(k.split()[:2]) for k in (*SPECIAL_CASES, *BOOSTER_DICT) if len(k.split()) > 1
)


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Sentiment of one text.

    >>> Sentiment(-0.6, "negative").label
    'negative'
    """

    compound: float  # -1..1
    label: str  # 'negative' | 'neutral' | 'positive'


def label_of(compound: float, lang: str = "it") -> str:
    """Map a compound score to a label with :data:`POSITIVE_THRESHOLD` (Italian; other
    languages :data:`POSITIVE_THRESHOLD_EN`) and :data:`NEGATIVE_THRESHOLD`.

    >>> label_of(0.3), label_of(0.0), label_of(-0.2), label_of(0.3, "en")
    ('positive', 'neutral', 'negative', 'neutral')
    """
    if compound >= (POSITIVE_THRESHOLD if lang == "it" else POSITIVE_THRESHOLD_EN):
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def _is_negated(word: str) -> bool:
    return word in _NEGATE or "n't" in word


def _has_phrase_pair(low: str) -> bool:
    """Whether a lower-cased text has the first two words of a :data:`CARE_PHRASES` entry."""
    words = _WORDS.findall(low)
    return not _PHRASE_PAIRS.isdisjoint(pairwise(words))


def _join_phrase(match: re.Match[str]) -> str:
    return _SPACES.sub("_", match.group(1))


class EnglishSentimentAnalyzer(SentimentIntensityAnalyzer):
    """VADER with linear-time rules and, by default, the customer care extension.

    Parameters
    ----------
    extended : bool
        Add :data:`CARE_LEXICON` and :data:`CARE_PHRASES` to VADER's lexicon.  With
        ``False`` the scores are stock VADER's (on bounded text).

    Examples
    --------
    >>> plain = EnglishSentimentAnalyzer(extended=False)
    >>> plain.polarity_scores("The flight was delayed again, 3 hours on hold")["compound"]
    -0.2263
    >>> care = EnglishSentimentAnalyzer()
    >>> care.polarity_scores("The flight was delayed again, 3 hours on hold")["compound"] < -0.5
    True
    >>> care.polarity_scores("Great crew, thank you!")["compound"] > 0.5
    True
    """

    def __init__(self, extended: bool = True):
        super().__init__()
        self.extended = extended
        self._strip: dict[str, str] = {}
        if extended:
            self.lexicon = {**self.lexicon, **CARE_LEXICON}
            self.emojis = {**self.emojis, **EMOJI_WORDS}
            self.lexicon["long_wait"] = LONG_WAIT_VALENCE
            for phrase, valence in CARE_PHRASES.items():
                self.lexicon[phrase.replace(" ", "_")] = valence

    def _demojize(self, text: str) -> str:
        """Each emoji replaced by its description, after a space unless one precedes it."""
        if text.isascii():
            return text
        return _NON_ASCII.sub(self._describe, text)

    def _describe(self, match: re.Match[str]) -> str:
        char = match.group()
        description = self.emojis.get(char)
        if description is None:
            return char
        i = match.start()
        return " " + description if i and match.string[i - 1] != " " else description

    def polarity_scores(self, text: str) -> dict[str, float]:
        """Scores like VADER's ``polarity_scores`` (``neg``, ``neu``, ``pos``, ``compound``)."""
        return self.score_valence(*self._valences(text))

    def compound(self, text: str) -> float:
        """Only the ``compound`` of :meth:`polarity_scores` (the same number, less work).

        >>> care = EnglishSentimentAnalyzer()
        >>> text = "Still waiting for a refund!!"
        >>> care.compound(text) == care.polarity_scores(text)["compound"]
        True
        """
        sentiments, text = self._valences(text)
        if not sentiments:
            return 0.0
        total = float(sum(sentiments))
        emphasis = self._punctuation_emphasis(text)
        if total > 0:
            total += emphasis
        elif total < 0:
            total -= emphasis
        return round(normalize(total), 4)

    def _valences(self, text: str) -> tuple[list[float], str]:
        """The valence of each token and the text VADER's punctuation emphasis reads."""
        text = bound_text(text)
        if self.extended:
            if "#" in text:
                text = _HASHTAG.sub(self._split_hashtag, text)
            text = _GLUED.sub(r"\1 ", text)
            plain = text.isascii() or _CASE_TWIN.search(text) is None
            low = text.lower() if plain else ""
            if not plain or (any(w in low for w in _DURATION_WORDS)
                             and any(u in low for u in _DURATION_UNITS)):
                text = _DURATION.sub(" long_wait ", text)
                low = text.lower() if plain else ""
            if not plain or _has_phrase_pair(low):
                text = _PHRASE.sub(_join_phrase, text)
        text = self._demojize(text).strip()
        words = self._words(text)
        lower = [w.lower() for w in words]
        sentiments = self._sentiments(words, lower)
        if "but" in lower:
            bi = lower.index("but")
            sentiments = [s * 0.5 if k < bi else s * 1.5 if k > bi else s
                          for k, s in enumerate(sentiments)]
        if self.extended and "?" in text:
            sentiments = [s * QUESTION_POSITIVE_SCALAR if s > 0 else s for s in sentiments]
        return sentiments, text

    def _split_hashtag(self, match: re.Match[str]) -> str:
        """``#EpicFail`` -> ``Epic Fail``; ``#unitedsucks`` -> ``united sucks`` when a
        lexicon word of four letters or more starts or ends the tag."""
        tag = match.group(1)
        if not tag.islower() and not tag.isupper():
            return _CAMEL.sub(" ", tag)
        low = tag.lower()
        if low in self.lexicon:
            return tag
        lexicon = self.lexicon
        for k in range(len(low) - 2, 3, -1):  # longest known word first
            if low[:k] in lexicon:
                return f"{tag[:k]} {tag[k:]}"
            if low[-k:] in lexicon:
                return f"{tag[:-k]} {tag[-k:]}"
        return match.group()

    def _words(self, text: str) -> list[str]:
        """VADER's tokens (``SentiText.words_and_emoticons``): split on white space, each
        stripped of surrounding punctuation unless that leaves two characters or fewer;
        the stripping is remembered per token shape."""
        strip = self._strip
        words = []
        for token in text.split():
            found = strip.get(token)
            if found is None:
                stripped = token.strip(_PUNCTUATION)
                found = token if len(stripped) <= 2 else stripped
                if len(strip) >= _STRIP_CACHE_SIZE:  # bounded memory on hostile input
                    strip.clear()
                strip[token] = found
            words.append(found)
        return words

    def _sentiments(self, words: list[str], lower: list[str]) -> list[float]:
        """Valence of each token; tokens that no rule can score are skipped cheaply."""
        # allcap_differential: some but not all words in capitals
        cap_diff = 0 < len(words) - sum(map(str.isupper, words)) < len(words)
        lexicon, valence = self.lexicon, self._valence
        failure = FAILURE_NEGATORS if self.extended else frozenset()
        return [
            0.0 if (low not in lexicon and low not in failure) or low in BOOSTER_DICT
            else valence(words, lower, i, cap_diff)
            for i, low in enumerate(lower)
        ]

    def _valence(self, words: list[str], lower: list[str], i: int, cap_diff: bool) -> float:
        """VADER's ``sentiment_valence`` on a pre-lowered word list (same rules)."""
        item = lower[i]
        if item in BOOSTER_DICT:
            return 0.0
        if item == "kind" and i < len(words) - 1 and lower[i + 1] == "of":
            return 0.0
        lexicon = self.lexicon
        base = lexicon.get(item)
        if base is None:
            if (
                self.extended
                and item in FAILURE_NEGATORS
                and lexicon.keys().isdisjoint(lower[i + 1 : i + 4])
            ):
                return FAILURE_VALENCE
            return 0.0
        valence = base
        if item == "no" and i != len(words) - 1 and lower[i + 1] in lexicon:
            valence = 0.0
        if (i > 0 and lower[i - 1] == "no") or (i > 1 and lower[i - 2] == "no") or (
            i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor")
        ):
            valence = base * N_SCALAR
        if cap_diff and words[i].isupper():
            valence = valence + C_INCR if valence > 0 else valence - C_INCR
        for start_i in range(3):
            if i > start_i and lower[i - (start_i + 1)] not in lexicon:
                prev = lower[i - (start_i + 1)]
                s = 0.0
                if prev in BOOSTER_DICT:
                    s = BOOSTER_DICT[prev]
                    if valence < 0:
                        s *= -1
                    if cap_diff and words[i - (start_i + 1)].isupper():
                        s = s + C_INCR if valence > 0 else s - C_INCR
                    if start_i == 1:
                        s *= 0.95
                    elif start_i == 2:
                        s *= 0.9
                valence += s
                valence = self._negation(valence, lower, start_i, i)
                if start_i == 2 and not _IDIOM_PAIRS.isdisjoint(pairwise(lower[i - 3 : i + 3])):
                    valence = self._idioms(valence, lower, i)
        if i > 1 and lower[i - 1] == "least" and lower[i - 1] not in lexicon:
            if lower[i - 2] not in ("at", "very"):
                valence *= N_SCALAR
        elif i > 0 and lower[i - 1] == "least" and lower[i - 1] not in lexicon:
            valence *= N_SCALAR
        if self.extended and valence and not IRREALIS.isdisjoint(lower[max(0, i - 3) : i]):
            valence *= IRREALIS_SCALAR
        return valence

    @staticmethod
    def _negation(valence: float, lower: list[str], start_i: int, i: int) -> float:
        if start_i == 0:
            if _is_negated(lower[i - 1]):
                valence *= N_SCALAR
        elif start_i == 1:
            if lower[i - 2] == "never" and lower[i - 1] in ("so", "this"):
                valence *= 1.25
            elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
                pass
            elif _is_negated(lower[i - 2]):
                valence *= N_SCALAR
        else:
            if (lower[i - 3] == "never" and lower[i - 2] in ("so", "this")) or lower[
                i - 1
            ] in ("so", "this"):
                valence *= 1.25
            elif lower[i - 3] == "without" and "doubt" in (lower[i - 2], lower[i - 1]):
                pass
            elif _is_negated(lower[i - 3]):
                valence *= N_SCALAR
        return valence

    @staticmethod
    def _idioms(valence: float, lower: list[str], i: int) -> float:
        n = len(lower)
        seqs = (
            f"{lower[i - 1]} {lower[i]}",
            f"{lower[i - 2]} {lower[i - 1]} {lower[i]}",
            f"{lower[i - 2]} {lower[i - 1]}",
            f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}",
            f"{lower[i - 3]} {lower[i - 2]}",
        )
        for seq in seqs:
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        if n - 1 > i:
            seq = f"{lower[i]} {lower[i + 1]}"
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
        if n - 1 > i + 1:
            seq = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
        for seq in (seqs[3], seqs[4], seqs[2]):
            if seq in BOOSTER_DICT:
                valence += BOOSTER_DICT[seq]
        return valence


_analyzers: dict[str, object] = {}
_lock = threading.Lock()


def _analyzer(kind: str):
    found = _analyzers.get(kind)
    if found is None:
        with _lock:
            found = _analyzers.get(kind)
            if found is None:
                if kind == "it":
                    from monitoring.enrich.italian import ItalianSentimentAnalyzer

                    found = ItalianSentimentAnalyzer()
                else:
                    found = EnglishSentimentAnalyzer()
                _analyzers[kind] = found
    return found


def score(text: str, lang: str) -> Sentiment:
    """Score one text in language ``lang`` (Italian has its own lexicon, others use VADER).

    >>> score("Volo cancellato e nessun rimborso, una vergogna", "it").label
    'negative'
    >>> score("Thanks, the new app works great!", "en").label
    'positive'
    >>> score("", "und")
    Sentiment(compound=0.0, label='neutral')
    """
    kind = "it" if lang == "it" else "en"
    compound = float(_analyzer(kind).compound(text))
    if math.isnan(compound):
        compound = 0.0
    return Sentiment(compound, label_of(compound, kind))


def score_batch(texts: Sequence[str], langs: Sequence[str]) -> list[Sentiment]:
    """Score texts with their languages (same length).

    >>> [s.label for s in score_batch(["che schifo", "love it"], ["it", "en"])]
    ['negative', 'positive']
    """
    if len(texts) != len(langs):
        raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
    analyzers = {"it": _analyzer("it"), "en": _analyzer("en")}
    memo = _SENTIMENTS
    out: list[Sentiment] = []
    for text, lang in zip(texts, langs):
        kind = "it" if lang == "it" else "en"
        compound = float(analyzers[kind].compound(text))
        if math.isnan(compound):
            compound = 0.0
        # The sign too: 0.0 and -0.0 are equal keys.
        key = (compound, kind, math.copysign(1.0, compound))
        found = memo.get(key)
        if found is None:
            found = Sentiment(compound, label_of(compound, kind))
            if len(memo) >= 100_000:
                memo.clear()
            memo[key] = found
        out.append(found)
    return out


#: Sentiments by compound score and scorer: a batch has few distinct scores.
_SENTIMENTS: dict[tuple[float, str, float], Sentiment] = {}
