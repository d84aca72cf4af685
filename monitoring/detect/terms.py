"""Emerging terms: which words, hashtags and handles are suddenly talked about?

Each term keeps an exponentially discounted count of its mentions and the detector keeps
the discounted number of bins, so a term's background rate per bin is a Poisson-gamma
posterior ``Gamma(prior_count + S, prior_bins + N)``.  A term's count in the current bin
is scored by the negative-binomial upper tail of that posterior predictive, floored at
``min_rate`` so that a never-seen term needs several mentions in one bin to surface.

Memory is bounded: when more than ``max_terms`` terms are tracked, the ones with the
lowest discounted counts are dropped.  Decay is applied lazily, so one update costs
O(number of distinct terms in the bin), plus an occasional O(max_terms) pruning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.detect import nb_surprise
from monitoring.models import MAX_TEXT_CHARS

__all__ = ["STOPWORDS", "EmergingTerm", "EmergingTerms", "tokenize"]

#: Most tokens taken from one text.
MAX_TOKENS = 64
#: Longest token kept (longer ones are noise: URLs, base64, keyboard mashing).
MAX_TOKEN_CHARS = 40

_URL = re.compile(r"(?:https?://|www\.)\S{0,2000}", re.IGNORECASE)
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_TOKEN = re.compile(r"[#@]?\w+(?:['’]\w+)?")
# Italian elided articles and prepositions: l'assistenza, dell'ordine, un'offerta.
_ELISION = re.compile(
    r"^(?:l|d|c|m|t|s|v|n|un|all|dall|dell|nell|sull|coll|quest|quell|nessun|anch)['’]"
)

_EN = """a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of on once only or other our ours
over own same she should so some such than that the their theirs them then there these
they this those through to too under until very was we were what when where which while
who whom why will with would you your yours yourself im ive dont cant wont didnt doesnt isnt
get got also one still even really like amp rt via u ur
without since yet ever never always again today yesterday tomorrow every another
minute minutes hour hours day days week weeks month months
hi hello hey thanks thank please pls
may might must shall need needs cannot"""
_IT = """a ad al alla alle allo ai agli all anche avere ha hanno ho hai abbiamo avete che chi
ci come con cosa da dal dalla dalle dallo dai dagli del della delle dello dei degli di dove
e ed è era erano essere fa fare gli già ha il in io la le lei li lo loro lui ma mi mia mie
miei mio ne nei nel nella nelle nello negli noi non nostro nostra o per perché più poi quale
quando quanto quella quelle quello questa queste questi questo qui se sei si sia siamo siete
sono sta stato su sua sue sui sul sulla suo suoi te ti tra tu tua tuo tutti tutto un una uno
vi voi sto ancora solo così oggi ora fatto dopo molto tanto niente nulla qualcuno
senza fra verso sopra sotto dentro fuori contro presso ogni altro altra altri altre
sempre mai quindi però pero perche cosi piu gia ieri domani adesso ecco invece anzi
tutta tutte nessuno nessuna qualche proprio
minuto minuti ore giorno giorni settimana settimane mese mesi
ciao salve buongiorno buonasera grazie prego favore
può puo posso puoi possiamo potete possono potrei potrebbe deve devo devi dobbiamo dovete
devono dovrei dovrebbe voglio vuoi vuole vogliamo volete vogliono vorrei stata stati
stanno stai faccio fai fanno avuto aveva avevo sarà sarebbe"""
#: Italian and English words too common to be a topic (greetings, thanks, modal and
#: auxiliary verbs, prepositions, time adverbs and units included: every customer writes them,
#: whatever the topic).  Unaccented spellings (``perche``, ``piu``) are listed too.
STOPWORDS: frozenset[str] = frozenset((_EN + " " + _IT).split())

# Raw token -> its topic token (None: dropped).  Words recur across posts; the memo is
# emptied when it reaches its bound.
_KEPT: dict[str, str | None] = {}
_KEPT_MAX = 200_000
_UNSEEN = object()


def tokenize(text: str, lang: str | None = None) -> list[str]:
    """Split a post into topic tokens: words, ``#hashtags`` and ``@handles``.

    Lower-cased, NFKC-normalised, URLs and invisible characters removed, Italian
    elisions stripped (``l'assistenza`` -> ``assistenza``), Italian and English stop
    words, numbers and words shorter than 3 characters dropped.  At most
    :data:`MAX_TOKENS` tokens from the first ``MAX_TEXT_CHARS`` characters.  ``lang``
    is accepted for future per-language rules; both stop-word lists always apply.

    >>> tokenize("L'assistenza di @Lumea non risponde!! #blackout https://x.co/a 2026")
    ['assistenza', '@lumea', 'risponde', '#blackout']
    >>> tokenize("The app is down AGAIN, the app...")
    ['app', 'down', 'app']
    """
    text = text[:MAX_TEXT_CHARS]
    ascii_only = text.isascii()  # most posts: no normalisation, no invisible characters
    if not ascii_only:
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    if not ascii_only:
        text = _INVISIBLE.sub("", text)
    tokens: list[str] = []
    for raw in _TOKEN.findall(text):
        token = _KEPT.get(raw, _UNSEEN)
        if token is _UNSEEN:
            token = _keep(raw)
            if len(_KEPT) >= _KEPT_MAX:
                _KEPT.clear()
            _KEPT[raw] = token
        if token is not None:
            tokens.append(token)
            if len(tokens) >= MAX_TOKENS:
                break
    return tokens


def _keep(token: str) -> str | None:
    """The topic token a raw token stands for, or None when it is not one."""
    if token[0] not in "#@":
        if "'" in token or "’" in token:
            token = _ELISION.sub("", token)
        bare = token.replace("'", "").replace("’", "")
        if len(token) < 3 or bare in STOPWORDS or token.isdigit():
            return None
    elif len(token) < 2:
        return None
    return None if len(token) > MAX_TOKEN_CHARS else token


@dataclass(frozen=True, slots=True)
class EmergingTerm:
    """One term of the current bin, with its surprise and its background expectation."""

    term: str
    score: float
    observed: int
    expected: float


class EmergingTerms:
    """Score per-bin term counts against each term's discounted background rate.

    Parameters
    ----------
    bin_minutes : int
        Width of one bin.
    halflife : timedelta
        Half-life of the background counts.
    max_terms : int
        Most terms tracked; the rarest are pruned beyond it.
    min_rate : float
        Floor of any term's expected count per bin.
    prior_count, prior_bins : float
        Gamma prior of a term's rate (in mentions, over bins).
    min_count : int
        Terms with fewer mentions in the bin are never reported.
    min_score : float
        Terms less surprising than this are never reported.
    grace_period : int | None
        Bins learned before scoring starts; default: one hour of bins.

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> det = EmergingTerms(bin_minutes=1, grace_period=5)
    >>> t0 = datetime(2026, 3, 2)
    >>> for i in range(120):
    ...     det.learn_one(t0 + timedelta(minutes=i), {"bolletta": 3, "app": 1})
    >>> top = det.score_one({"bolletta": 4, "app": 1, "#blackout": 12}, k=2)
    >>> [t.term for t in top], top[0].observed
    (['#blackout'], 12)
    """

    def __init__(
        self,
        bin_minutes: int = 1,
        halflife: timedelta = timedelta(hours=24),
        max_terms: int = 20_000,
        min_rate: float = 0.05,
        prior_count: float = 0.5,
        prior_bins: float = 1.0,
        min_count: int = 3,
        min_score: float = 2.0,
        grace_period: int | None = None,
    ) -> None:
        if bin_minutes <= 0 or max_terms <= 0:
            raise ValueError("bin_minutes and max_terms must be positive")
        self.bin_minutes = bin_minutes
        self.halflife = halflife
        self.max_terms = max_terms
        self.min_rate = min_rate
        self.prior_count = prior_count
        self.prior_bins = prior_bins
        self.min_count = min_count
        self.min_score = min_score
        self.grace_period = grace_period

        self._grace = grace_period if grace_period is not None else max(1, 60 // bin_minutes)
        self._decay = 0.5 ** (timedelta(minutes=bin_minutes) / halflife)
        self.n_learned = 0
        self._bins = 0.0  # discounted number of bins learned
        # term -> (discounted count, step of last update); decay applied lazily.
        self._counts: dict[str, tuple[float, int]] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def _count(self, term: str) -> float:
        entry = self._counts.get(term)
        if entry is None:
            return 0.0
        value, step = entry
        return value * self._decay ** (self.n_learned - step)

    def background(self, term: str, n: int | None = None) -> float:
        """Expected mentions of ``term`` in a bin (of ``n`` mentions, when given).

        With ``n`` the term's background is a rate per mention (its share of the
        stream), so a term that is in every post (the brand's name) rises with the
        daily rhythm instead of surfacing every morning.
        """
        exposure = 1.0 if n is None else float(n)
        rate = (self.prior_count + self._count(term)) / (self.prior_bins + self._bins)
        return max(rate * exposure, self.min_rate)

    def learn_one(self, ts: datetime, counts: Mapping[str, int], n: int | None = None) -> None:
        """Add one bin of term counts to the background (``ts`` is the bin start).

        ``n`` is the bin's number of mentions (or authors); without it every bin counts
        as one unit of exposure.  Use it the same way in :meth:`score_one`.
        """
        self.n_learned += 1
        self._bins = self._decay * self._bins + (1.0 if n is None else float(max(n, 0)))
        now = self.n_learned
        for term, count in counts.items():
            if count > 0:
                self._counts[term] = (self._count(term) + count, now)
        if len(self._counts) > self.max_terms:
            self._prune()

    def _prune(self) -> None:
        keep = int(self.max_terms * 0.8)
        ranked = sorted(self._counts, key=self._count, reverse=True)
        for term in ranked[keep:]:
            del self._counts[term]

    def score_one(self, counts: Mapping[str, int], k: int = 10,
                  n: int | None = None) -> list[EmergingTerm]:
        """Return the ``k`` most surprising terms of a bin, best first.

        Only terms with at least ``min_count`` mentions and a surprise of at least
        ``min_score`` appear.
        """
        if self.n_learned < self._grace:
            return []
        found = []
        for term, count in counts.items():
            if count < self.min_count:
                continue
            count_bg = self._count(term)
            rate = self.background(term, n)
            # Gamma posterior of the rate: shape a, so the predictive has alpha = 1 / a.
            alpha = 1.0 / (self.prior_count + count_bg)
            score = nb_surprise(count, rate, alpha)
            if score >= self.min_score:
                found.append(EmergingTerm(term, round(score, 3), int(count), round(rate, 3)))
        found.sort(key=lambda t: (-t.score, -t.observed, t.term))
        return found[:k]
