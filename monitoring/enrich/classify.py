"""Mention category: customer *request*, *polemic*, *praise* or *other* (Italian and English).

A small set of readable rules turns the text into named features (who the post is addressed
to, first-person problem statements, service vocabulary, questions, help words, outage
reports, praise, polemic and spam vocabulary); each category gets a weighted score from the
features that fired and the sentiment ``compound`` given by the caller, and the best score
wins.  The features that fired are returned as ``reasons`` so the operator can see why.

- *request*: a customer needs help or reports a problem with the service;
- *polemic*: opinion or commentary about the brand (ads, executives, politics, boycotts,
  sarcasm), negative or not, without asking for help;
- *praise*: positive feedback and thanks;
- *other*: spam, job posts, promotions, news and neutral chatter, links only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from monitoring.models import CATEGORIES, MAX_TEXT_CHARS

__all__ = [
    "CATEGORIES",
    "VOCABULARIES",
    "Classification",
    "PhraseMatcher",
    "category",
    "classify",
    "find_vocabularies",
    "is_request",
    "text_tokens",
    "tokens",
]


#: Phrases starting at a token: features completed, ``(feature, rest, next pattern)``.
_Starts = tuple[frozenset[str], tuple[tuple[str, tuple, tuple | None], ...]]

#: Distinct tokens remembered by a :class:`PhraseMatcher` before its memo is cleared.
MEMO_SIZE = 50_000


class PhraseMatcher:
    """Find which vocabularies occur in a tokenised text, in one pass over the tokens.

    A phrase is a sequence of space-separated token patterns; a token pattern lists
    alternatives separated by ``|``; an alternative ending in ``*`` (at least three characters
    before it) matches any token starting with it; the pattern ``~`` matches one optional
    token of any kind.  Matching is on lowercase tokens from :func:`tokens`.  Work is
    linear in the number of tokens: two dictionary look-ups per token, then only the
    phrases starting with that token are checked.

    Parameters
    ----------
    vocabularies : mapping of str to sequence of str
        Feature name -> phrases.

    Examples
    --------
    >>> m = PhraseMatcher({"problem": ["not work*", "my ~ bill|order*"], "thanks": ["thank*"]})
    >>> sorted(m.find(tokens("Thanks, but my last bill is not working")))
    ['problem', 'thanks']
    >>> m.find(tokens("my order"))
    {'problem'}
    """

    def __init__(self, vocabularies: Mapping[str, Sequence[str]]):
        self.vocabularies = vocabularies
        self._exact: dict[str, list[tuple[str, tuple]]] = {}
        self._prefix: dict[str, list[tuple[str, str, tuple]]] = {}
        self._memo: dict[str, _Starts] = {}
        for feature, phrases in vocabularies.items():
            for phrase in phrases:
                first, *rest = [self._parse(p) for p in phrase.split()]
                exact, prefixes, optional = first
                if optional:
                    raise ValueError(f"phrase {phrase!r} cannot start with '~'")
                for word in exact:
                    self._exact.setdefault(word, []).append((feature, tuple(rest)))
                for stem in prefixes:
                    self._prefix.setdefault(stem[:3], []).append((stem, feature, tuple(rest)))

    @staticmethod
    def _parse(pattern: str) -> tuple[frozenset[str], tuple[str, ...], bool]:
        if pattern == "~":
            return frozenset(), (), True
        exact = frozenset(a for a in pattern.split("|") if not a.endswith("*"))
        prefixes = tuple(a[:-1] for a in pattern.split("|") if a.endswith("*"))
        if any(len(p) < 3 for p in prefixes):
            raise ValueError(f"prefix too short in {pattern!r} (three characters at least)")
        return exact, prefixes, False

    @classmethod
    def _rest_matches(cls, toks: Sequence[str], i: int, rest: tuple) -> bool:
        if not rest:
            return True
        (exact, prefixes, optional), tail = rest[0], rest[1:]
        if optional:
            return cls._rest_matches(toks, i, tail) or (
                i < len(toks) and cls._rest_matches(toks, i + 1, tail)
            )
        if i >= len(toks):
            return False
        tok = toks[i]
        if tok in exact or (prefixes and tok.startswith(prefixes)):
            return cls._rest_matches(toks, i + 1, tail)
        return False

    def _starts(self, tok: str) -> _Starts:
        """Phrases that can start at token ``tok``, memoised: the features of the one-token
        phrases it completes, and ``(feature, remaining patterns)`` of the longer ones."""
        starting = tuple(self._exact.get(tok, ())) + tuple(
            (feature, rest)
            for stem, feature, rest in self._prefix.get(tok[:3], ())
            if tok.startswith(stem)
        )
        found = (
            frozenset(feature for feature, rest in starting if not rest),
            # a last pattern for the next token alone is checked in place (no call)
            tuple((feature, rest, rest[0][:2] if len(rest) == 1 and not rest[0][2] else None)
                  for feature, rest in starting if rest),
        )
        if not found[0] and not found[1]:
            found = _NOTHING
        if len(self._memo) >= MEMO_SIZE:  # bounded memory on hostile input
            self._memo.clear()
        self._memo[tok] = found
        return found

    def find(self, toks: Sequence[str]) -> set[str]:
        """Names of the vocabularies with at least one phrase in ``toks``."""
        found: set[str] = set()
        get, starts, rest_matches = self._memo.get, self._starts, self._rest_matches
        last = len(toks) - 1
        for i, tok in enumerate(toks):
            candidates = get(tok) or starts(tok)
            if candidates is _NOTHING:
                continue
            complete, longer = candidates
            if complete:
                found.update(complete)
            for feature, rest, following in longer:
                if feature in found:
                    continue
                if following is None:
                    if rest_matches(toks, i + 1, rest):
                        found.add(feature)
                elif i < last:
                    nxt = toks[i + 1]
                    exact, prefixes = following
                    if nxt in exact or (prefixes and nxt.startswith(prefixes)):
                        found.add(feature)
        return found


#: What :meth:`PhraseMatcher._starts` gives a token that starts no phrase.
_NOTHING: _Starts = (frozenset(), ())


_TOKEN = re.compile(r"\w+(?:'(?:t|s|m|re|ve|ll|d)(?!\w))?'?")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


_PLAIN_TOKEN = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]{2}")


def tokens(text: str) -> list[str]:
    """Lowercase word tokens; English contractions stay whole, Italian elisions split.

    >>> tokens("I can’t log in dell'app #fail")
    ['i', "can't", 'log', 'in', "dell'", 'app', 'fail']
    """
    low = text[:MAX_TEXT_CHARS].lower()
    if "\u2019" in low or "\u2018" in low or "\u02bc" in low or "`" in low:
        low = low.translate(_APOSTROPHES)
    if "'" not in low:
        return _PLAIN_TOKEN.findall(low)
    return _TOKEN.findall(low)


_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S{0,300}", re.IGNORECASE)
_HANDLE = re.compile(r"@\w{1,30}")
_LEADING_HANDLES = re.compile(
    r"^(?:\s{0,3}(?:\.|hey|hi|ciao|salve|buongiorno|dear)?\s{0,3}@\w{1,30}[,:]?)+", re.IGNORECASE
)
_CARE_HANDLE = re.compile(
    r"(?:help|support|care|service|servizio|assist|customer|clienti|cliente|desk|team|cs$|"
    r"official|_uk$|_us$|uk$|us$|_it$|italia$|_ita$|_esp?$|_fr$|answers|info$)",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"#(\w{1,60})")
_COMPLAINT_TAG = re.compile(
    r"fail|nothappy|notcool|notgood|nogood|disappoint|worst|rubbish|badservice|fuming|angry|"
    r"delus|vergogn|schifo|disservizio", re.IGNORECASE
)
_POLEMIC_TAG = re.compile(r"boycott|boicott|vergogna|shame|ceo", re.IGNORECASE)

_ITEMS_EN = (
    "order*|bill|bills|billing|account*|contract*|meter*|refund*|deliver*|package*|parcel*|"
    "flight*|booking*|ticket*|subscription*|payment*|card|cards|internet|wifi|phone*|app|bag|"
    "bags|luggage|seat*|reservation*|money|plan|connection*|router|service|email*|device*|"
    "laptop*|car|item*|purchase*|claim*|case|complaint*|points|balance|data|power|electricity|"
    "printer*|battery|screen|product*|tv|package"
)
_ITEMS_IT = (
    "bollett*|ordin*|contratt*|conto|conti|contator*|rimbors*|pacco|pacchi|spedizion*|volo|voli|"
    "prenotazion*|bigliett*|abbonament*|pagament*|carta|linea|connession*|fibra|modem|utenz*|"
    "fornitur*|sim|credito|account|app|bagagl*|reclam*|pratic*|segnalazion*|telefono|cellulare"
)
#: Vocabularies of the category features (phrase syntax of :class:`PhraseMatcher`).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "service_words": (
        _ITEMS_IT,
        "order|orders|ordered|bill|bills|billing|billed|account|accounts|contract*|meter|meters",
        "refund*|delivery|delivered|deliveries|package|packages|parcel*|flight*|booking*|ticket*",
        "subscription*|payment*|card|internet|wifi|app|luggage|reservation*|router|printer*",
        "invoice*", "shipment*", "shipping", "shipped", "tracking",
        "charge|charged|charges|fee|fees", "wi fi", "broadband|signal|website|site|login|signin",
        "log|sign in", "password*", "customer service|care|support", "helpline|agent|agents",
        "store|branch|engineer*|appointment*|warranty|replacement|exchange|return*|baggage",
        "train|trains|bus|driver*|update*|version|console|voucher*|receipt*|gas|water|stock",
        "servizio clienti", "assistenza|operator*|tecnico|tecnici|offerta|tariff*|luce|corrente",
        "numero verde", "acqua|treno|treni|autobus|negozio|scontrino|garanzia|reso|fattur*",
        "addebit*|prodotto|prodotti",
    ),
    "first_person_problem": (
        f"my|our ~ {_ITEMS_EN}",
        "i can't|cannot|couldn't|cant|couldnt",
        "i can|could|am|was not|unable",
        "i'm not|unable",
        "i've|ive|i not|never received|got|had",
        "i haven't|havent|didn't|didnt|never|hadn't received|got|get|heard|had",
        "i have|did|had not received|got|get|heard|had",
        "unable|impossible to",
        "won't|wont let me",
        "keep|keeps crashing|freezing|failing|dropping|saying|telling|asking|logging",
        (
            "doesn't|isn't|don't|aren't|wasn't|won't|didn't|can't|hasn't|haven't|wouldn't|"
            "couldn't|doesnt|isnt|dont|wont|didnt|cant|not|stopped|never|nor ~ work*|load*|"
            "arriv*|show*|charg*|connect*|respond*|answer*|turn|print*|open*|start*|deliver*|"
            "receiv*|refund*"
        ),
        "still waiting|no|not|nothing|haven't|broken|down|getting|charging|missing|waiting",
        (
            "been|was|were|am|i'm|got waiting|charged|overcharged|billed|disconnected|told|"
            "promised|left|stuck|stranded|refused|denied|cut"
        ),
        "on hold", "no response|reply|answer|refund|update|word|help",
        "nobody|noone answer*|respond*|repl*|call*|help*|pick*|got|cares|bothered|contact*",
        "no one answer*|respond*|repl*|call*|help*|pick*|got|cares|bothered|contact*",
        "double|over|wrongly charged|billed", "overcharged",
        "charged me|twice|again",
        (
            "wrong|missing|broken|damaged|faulty|defective|incorrect|late|lost|cancelled|"
            "canceled|delayed|delay|delays|stolen|expired|declined|blocked|locked|hacked|suspended"
        ),
        "cancellation*", "locked out", "error|errors|glitch*|bug|bugs|buggy|crash*",
        "again", "for ~ days|weeks|months|hours",
        "since yesterday|monday|tuesday|wednesday|thursday|friday|saturday|sunday|last|this",
        # Italian
        (
            "non riesco|posso|funziona|funzionano|va|vanno|arriva|arrivano|risponde|rispondono|"
            "carica|parte|ricevo|riesce|funzionava|accetta|trovo"
        ),
        "non mi|ci arriva|arrivano|funziona|risponde|rispondono|fa|fanno|permette|hanno|è|e'",
        "non ho ricevuto|avuto", "non è|e' arrivato|arrivata|mai|stato|stata",
        f"mio|mia|miei|mie ~ {_ITEMS_IT}",
        "ancora nessun*|niente|non|bloccat*", "ancora in attesa",
        "da giorni|settimane|mesi|ore",
        "senza luce|corrente|gas|acqua|linea|rete|internet|connessione|riscaldamento",
        "mi avete|hanno addebitato|staccato|sospeso|bloccato|chiuso|tolto|fatturato",
        "nessuno risponde|mi", "disservizi*|guasto|guasti|bloccat*|sospes*|sbagliat*",
        "errore|errori|ritardo|ritardi|cancellat*|soppress*|smarrit*|rotto|rotta|rotti|rotte",
        "perso|persa|persi|perse|danneggiat*", "mai arrivat*", "di nuovo", "ancora una volta",
        "ogni volta", "in attesa",
    ),
    "help_words": (
        "help|helps|please|pls|plz|assist|assistance|advise|advice|fix|kindly",
        "sort it|this out", "dm|dms|pm|inbox", "direct|private message",
        "contact|call me", "get back to me", "any update|news|idea|ideas|help",
        "what's going on", "what is going on", "can|could you|u|someone|anyone", "would you",
        "how do|can i", "need help", "i need", "what should i do", "who do|can|should i",
        "aiut*", "per favore|piacere", "vi prego", "potete|potreste|scrivetemi|contattatemi",
        "richiamatemi|risolvere", "in privato|dm", "messaggio privato", "come faccio|posso|devo",
        "cosa devo fare", "a chi devo|posso", "ho bisogno",
        "quando arriva|arriverà|tornerà|torna|risolvete",
    ),
    "outage": (
        "outage|outages|blackout|offline|disservizio|interruzione",
        "is|are|was|it's|site|app|server|servers|service|network|system|website down",
        "down again", "not working", "black out", "power cut",
        "no power|service|signal|internet|wifi|connection|network",
        "non funziona niente|nulla|più",
        "senza luce|corrente|gas|acqua|linea|rete|internet", "è giù",
        "went|goes|going|gone down",
    ),
    "resolved": (
        "resolved|resolving|solved|sorted|fixed",
        "quick|fast|prompt|speedy response|reply|help|service",
        "very|so|really|super|most|more helpful", "above and beyond",
        "out of his|her|their way", "risolt*|sistemat*|tempestiv*",
        "molto|super|davvero disponibil*|gentil*|veloc*",
    ),
    "praise_words": (
        "thank|thanks|thx|ty|cheers|love|loving|loved|great|awesome|amazing|excellent",
        "thank you|u", "brilliant|fantastic|best|kudos|shoutout|appreciat*|superb|perfect",
        "shout out", "well done", "wonderful|impressed", "5 stars", "grazie|complimenti",
        "bravi|brave|bravissim*|ottim*|fantastic*|perfett*|gentilissim*|eccellente",
        "velocissim*|top|super|adoro|consiglio|soddisfatt*",
    ),
    "complaint_words": (
        "disappoint*|worst|terrible|awful|horrible|horrendous|poor|useless|pathetic",
        "unacceptable|rubbish|appalling|shocking|ridiculous|slowest|frustrat*|annoy*|infuriat*",
        "a|what joke",
        "not happy|impressed|good|acceptable|ok|okay|fair|helpful|cool|funny",
        "fed up", "sick of|and", "tired of", "waste of", "rude",
        "so|very|too|really slow", "ripped off", "ripoff|scam|scammed|issue|issues|problem",
        "rip off", "problems|complain*|leak*|hole|stuck|fail|failed|fails|failure|smh|wtf",
        "no longer", "fell apart|off", "falling apart", "seriously", "come on", "how hard",
        "sort it out", "get it together", "never again", "are you kidding|serious|joking",
        (
            "why is|are|does|do|did|would|can't|won't|isn't|aren't|doesn't|haven't|hasn't|"
            "didn't|has|have"
        ),
        "refus*|invalid", "out of stock", "sold out", "killing me",
        # Italian
        "delus*|delusione|pessim*|vergognos*|inaccettabil*|assurd*|ridicol*|scandalos*",
        "lentissim*|inutil*|incompetent*|ennesim*|stufo|stufa|stufi|basta|problema|problemi",
        "reclamo|reclami|disagio|disagi|lamentel*|schifo|indecent*",
        "non è|e' possibile|accettabile|normale", "ma come|dai|scherziamo",
    ),
    "polemic_words": (
        "boycott*|ashamed|disgrace*|disgusting|ceo|chairman|executive*|board|ad|ads|advert*",
        "shame on", "commercial|commercials|campaign|politic*|government|president|racis*",
        "sexis*|greed*|corporate|monopoly|propaganda|woke|profit*|bonus|bonuses|shareholder*",
        "lobby*|strike|strikes|layoff*|sponsor*|clown*|scandal*|lies|liar*",
        "vergogn*|boicott*|pubblicit*|spot|manager|dirigenti|politica|politico|politici",
        "amministratore delegato", "governo|ladri|truff*|buffoni|pagliacci|sciacall*|bugiardi",
        "strozzin*|profitt*|azionisti|sciopero|licenziament*",
        # public figures, statements and politics (opinion, not a service problem)
        "resign|resigns|resignation|election*|senator*|minister*|mayor|party|statement",
        "homophob*|transphob*|misogyn*|offensive|offended|influencer*|testimonial*",
        "dimett*|dimission*|partito|partiti|elezion*|sindaco|ministr*|dichiarazion*",
        "intervista|sessist*|razzist*|omofob*|offensiv*|finanziat*|finanziate|finanzia",
        "sponsorizz*|misogin*",
    ),
    "negation": (
        "not|never|cannot|nothing|nope|non|mai|nessun|nessuno|nessuna|niente|cant|dont|doesnt",
        "don't|doesn't|didn't|can't|won't|isn't|aren't|wasn't|weren't|haven't|hasn't|hadn't",
        "couldn't|wouldn't|shouldn't|ain't|wont|didnt|isnt|no longer",
    ),
    "promo_news_words": (
        "hiring|job|jobs|career|careers|vacanc*|internship*|giveaway*|win|contest|sweepstakes",
        "apply now", "promo code", "coupon*|discount*|sale|rt|breaking|news|stocks|shares",
        "deal of the day", "follow us", "reports that", "according to", "earnings",
        "lavora con noi", "offerta di lavoro", "cerchiamo|assumiamo|concorso|vinci|sconto|sconti",
        "posizioni aperte", "codice sconto", "saldi|promozione|notizia|azioni|borsa",
        "ultim' ora",
    ),
}
if CATEGORIES != ("request", "polemic", "praise", "other"):  # pragma: no cover
    raise RuntimeError(f"_score_values returns its scores in another order than {CATEGORIES}")
_MATCHER = PhraseMatcher(VOCABULARIES)
_VOCABULARY_NAMES = frozenset(VOCABULARIES)
_QUESTION_WORDS = frozenset(
    ("why", "how", "when", "where", "what", "who", "which", "is", "are", "can", "could", "do",
     "does", "did", "will", "would", "should", "have", "has", "any", "perché", "perche",
     "come", "quando", "dove", "cosa", "chi", "quale", "posso", "potete", "avete", "sapete")
)


@dataclass(frozen=True, slots=True)
class Classification:
    """Category of a mention, with a confidence and the features that decided it.

    Parameters
    ----------
    category : str
        One of :data:`~monitoring.models.CATEGORIES`.
    confidence : float
        In 0..1: the winning category's share of the (soft-maxed) scores.
    reasons : tuple of str
        Slugs of the features that fired, e.g. ``'addressed_to_brand'``, ``'question'``.

    Examples
    --------
    >>> c = Classification("request", 0.8, ("question",))
    >>> c.category in CATEGORIES
    True
    """

    category: str
    confidence: float
    reasons: tuple[str, ...]


_BRANDS: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def _brand_pattern(brand_terms: Sequence[str]) -> re.Pattern[str] | None:
    key = brand_terms if isinstance(brand_terms, tuple) else tuple(brand_terms)
    try:
        return _BRANDS[key]
    except KeyError:
        pass
    terms = tuple(sorted({t.strip().lstrip("@#").lower() for t in key if t and t.strip()}))
    found = _compile_brand(terms) if terms else None
    if len(_BRANDS) >= 64:
        _BRANDS.clear()
    _BRANDS[key] = found
    return found


@lru_cache(maxsize=64)
def _compile_brand(terms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))


@lru_cache(maxsize=1024)
def _prepare(text: str) -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
    """Text without URLs, its handles, the body without handles and the body's tokens.

    Cached: the enrichment pipeline asks for the same text's tokens more than once.
    """
    no_urls = _URL.sub(" ", text) if ("http" in text or "www" in text or "pic." in text) else text
    if "@" in no_urls:
        handles = tuple(_HANDLE.findall(no_urls))
        body = _HANDLE.sub(" ", no_urls) if handles else no_urls
    else:
        handles, body = (), no_urls
    return no_urls, handles, body, _chunked_tokens(body)


#: :func:`tokens` of each white-space separated chunk seen (up to 40 characters).
_TOKEN_CHUNKS: dict[str, tuple[str, ...]] = {}


def _chunked_tokens(text: str) -> tuple[str, ...]:
    """:func:`tokens` of ``text``, from the memoised tokens of its chunks.

    The same tokens: no token holds white space, lower-casing is the same chunk by chunk
    (even the final sigma's context ends at white space), and without an apostrophe
    in a chunk both token patterns of :func:`tokens` find the same runs of word characters.
    """
    memo = _TOKEN_CHUNKS
    out: list[str] = []
    for chunk in text[:MAX_TEXT_CHARS].split():
        found = memo.get(chunk)
        if found is None:
            found = tuple(tokens(chunk))
            if len(chunk) <= 40:
                if len(memo) >= MEMO_SIZE:  # bounded memory on hostile input
                    memo.clear()
                memo[chunk] = found
        out.extend(found)
    return tuple(out)


def text_tokens(text: str) -> tuple[str, ...]:
    """Tokens of ``text`` without URLs and handles (cached; see :func:`tokens`).

    >>> text_tokens("@LumeaCare Senza luce da ieri https://example.com/x")
    ('senza', 'luce', 'da', 'ieri')
    """
    return _prepare(text[:MAX_TEXT_CHARS])[3]


_HANDLE_FLAGS: dict[tuple[re.Pattern[str] | None, str], tuple[bool, bool]] = {}
_TAG_FLAGS: dict[str, tuple[bool, bool]] = {}


def _handle_flags(brand: re.Pattern[str] | None, handle: str) -> tuple[bool, bool]:
    """Whether a handle looks like a care desk's and whether it names the brand (memoised)."""
    key = (brand, handle)
    found = _HANDLE_FLAGS.get(key)
    if found is None:
        found = (_CARE_HANDLE.search(handle, 1) is not None,
                 brand is not None and brand.search(handle.lower()) is not None)
        if len(_HANDLE_FLAGS) >= MEMO_SIZE:  # bounded memory on hostile input
            _HANDLE_FLAGS.clear()
        _HANDLE_FLAGS[key] = found
    return found


_HANDLES_INFO: dict[tuple, tuple[str, bool, bool]] = {}


def _handles_info(
    brand: re.Pattern[str] | None, handles: tuple[str, ...], lead_handles: tuple[str, ...]
) -> tuple[str, bool, bool]:
    """What a post's handles say (memoised): the addressing feature (``""`` for none),
    whether one is a care desk's and whether one names the brand."""
    key = (brand, handles, lead_handles)
    found = _HANDLES_INFO.get(key)
    if found is None:
        flags = [_handle_flags(brand, h) for h in handles]
        care = {h for h, (is_care, _) in zip(handles, flags) if is_care}
        brand_handles = care | {h for h, (_, is_brand) in zip(handles, flags) if is_brand}
        addressed = ""
        if any(h in brand_handles for h in lead_handles):
            addressed = "addressed_to_brand"
        elif lead_handles and brand is None:
            # No brand configured: a post opening with a handle may be addressed to a brand.
            addressed = "addressed_to_handle"
        found = (addressed, bool(care), bool(brand_handles))
        if len(handles) <= 8:  # bounded memory on hostile input: few, short keys
            if len(_HANDLES_INFO) >= MEMO_SIZE:
                _HANDLES_INFO.clear()
            _HANDLES_INFO[key] = found
    return found


def _tag_flags(tag: str) -> tuple[bool, bool]:
    """Whether a hashtag is a complaint's and whether it is a polemic's (memoised)."""
    found = _TAG_FLAGS.get(tag)
    if found is None:
        found = (_COMPLAINT_TAG.search(tag) is not None, _POLEMIC_TAG.search(tag) is not None)
        if len(_TAG_FLAGS) >= MEMO_SIZE:  # bounded memory on hostile input
            _TAG_FLAGS.clear()
        _TAG_FLAGS[tag] = found
    return found


def _features(
    text: str, compound: float, brand_terms: Sequence[str], matched: set[str] | None = None
) -> dict[str, float]:
    """Named features of a text (value 1.0 when a rule fired, or a strength); ``matched``
    is ``_MATCHER.find`` of the text's tokens when the caller has it already."""
    f: dict[str, float] = {}
    no_urls, handles, body, toks = _prepare(text)
    brand = _brand_pattern(brand_terms)
    if handles:
        leading = _LEADING_HANDLES.match(no_urls)
        lead_handles = tuple(_HANDLE.findall(leading.group())) if leading else ()
        addressed, care, brand_handles = _handles_info(brand, handles, lead_handles)
        if addressed:
            f[addressed] = 1.0
        if care:
            f["care_handle"] = 1.0
    else:
        brand_handles = False
    if "addressed_to_brand" not in f:
        if brand_handles or (brand is not None and brand.search(body.lower())):
            f["mentions_brand"] = 1.0
        elif brand is None and handles and "addressed_to_handle" not in f:
            f["mentions_handle"] = 1.0
    if not _LETTERS.search(body):
        f["links_only"] = 1.0
        return f
    for name in _MATCHER.find(toks) if matched is None else matched:
        f[name] = 1.0
    if "#" in body:
        # Neither tag pattern can match across the space between two tags: the same as
        # searching the tags joined by spaces.
        tag_flags = [_tag_flags(tag) for tag in _HASHTAG.findall(body)]
        if any(complaint for complaint, _ in tag_flags):
            f["complaint_words"] = 1.0
        if any(polemic for _, polemic in tag_flags):
            f["polemic_words"] = 1.0
    if "?" in body or toks[0] in _QUESTION_WORDS:
        f["question"] = 1.0
    if "resolved" in f and "praise_words" not in f:
        del f["resolved"]  # "resolved" counts as praise only together with thanks
    if compound <= -0.05:
        f["negative"] = min(1.0, 0.4 + abs(compound))
    elif compound >= 0.05:
        f["positive"] = min(1.0, 0.4 + compound)
    if len(toks) <= 3:
        f["short"] = 1.0
    return f


def _scores(f: dict[str, float]) -> dict[str, float]:
    return dict(zip(CATEGORIES, _score_values(f)))


def _best(f: dict[str, float]) -> str:
    """The category of the highest score, the first one in :data:`CATEGORIES` on a tie
    (as ``max`` over :func:`_scores`)."""
    values = _score_values(f)
    best = 0
    for i in (1, 2, 3):
        if values[i] > values[best]:
            best = i
    return CATEGORIES[best]


def _score_values(f: dict[str, float]) -> tuple[float, float, float, float]:
    """Scores of ``request``, ``polemic``, ``praise`` and ``other`` (order of
    :data:`CATEGORIES`)."""
    g = f.get
    to_brand = max(
        g("addressed_to_brand", 0.0),
        0.6 * g("mentions_brand", 0.0),
        0.5 * g("addressed_to_handle", 0.0),
        0.3 * g("mentions_handle", 0.0),
    )
    problem = g("first_person_problem", 0.0)
    outage = g("outage", 0.0)
    complaint = g("complaint_words", 0.0)
    service = g("service_words", 0.0)
    question = g("question", 0.0)
    help_ = g("help_words", 0.0)
    negative = g("negative", 0.0)
    positive = g("positive", 0.0)
    polemic_topic = g("polemic_words", 0.0)
    promo = g("promo_news_words", 0.0)
    negation = g("negation", 0.0)
    # A question about the brand's people, ads or politics with no problem of one's own
    # ("why are you sponsoring him?") is rhetorical: it asks for nothing.
    question *= 1.0 - polemic_topic * (1.0 - max(problem, outage, help_, service))
    issue = max(problem, outage, 0.8 * complaint, 0.5 * negation)
    ask = max(question, help_)
    request = (
        1.2 * problem
        + 1.0 * outage
        + 0.6 * complaint
        + 0.4 * service
        + 0.35 * question
        + 0.5 * help_
        + 0.3 * negative
        + 0.2 * negation
        + to_brand * (0.8 * max(issue, negative) + 0.4 * max(ask, service))
        + 0.2 * g("care_handle", 0.0)
        - 0.7 * promo
        - 0.6 * polemic_topic * (1.0 - problem)
    )
    polemic = (
        1.3 * polemic_topic
        + 0.6 * negative
        + 0.4 * complaint * (1.0 - to_brand)
        - 0.5 * ask
        - 0.5 * problem
        - 0.3 * outage
    )
    resolved = g("resolved", 0.0)
    praise = (
        g("praise_words", 0.0) * (0.6 + positive)
        + 0.4 * positive
        + 1.5 * resolved
        - 1.0 * negative * (1.0 - 0.5 * resolved)
        - 0.9 * issue * (1.0 - resolved)
        - 0.3 * ask
    )
    other = 0.9 + 0.8 * promo + 1.5 * g("links_only", 0.0)
    return request, polemic, praise, other


def classify(
    text: str, lang: str, compound: float, brand_terms: Sequence[str] = ()
) -> Classification:
    """Classify a mention as ``request``, ``polemic``, ``praise`` or ``other``.

    Parameters
    ----------
    text : str
        The mention text (truncated to ``MAX_TEXT_CHARS`` here).
    lang : str
        Language code (``"it"``, ``"en"``, ...); the rules are bilingual, so it is only a hint.
    compound : float
        Sentiment compound score in -1..1.
    brand_terms : sequence of str
        Handles or names of the monitored brand; a post addressed to one is more likely a request.

    Examples
    --------
    >>> classify("@LumeaCare non riesco ad accedere al mio account, potete aiutarmi?", "it",
    ...          0.0).category
    'request'
    >>> classify("@Lumea my bill is wrong again and nobody answers", "en", -0.5, ["lumea"]).category
    'request'
    >>> classify("Thanks @Lumea, the engineer was brilliant!", "en", 0.8, ["lumea"]).category
    'praise'
    >>> classify("Lumea's new ad is a disgrace, #boycottLumea", "en", -0.6, ["lumea"]).category
    'polemic'
    >>> classify("We're hiring! Apply now https://example.com/jobs", "en", 0.0).category
    'other'
    """
    text = text[:MAX_TEXT_CHARS]
    feats = _features(text, compound, brand_terms)
    scores = _scores(feats)
    best = max(CATEGORIES, key=lambda c: scores[c])
    exps = {c: math.exp(2.0 * (s - scores[best])) for c, s in scores.items()}
    confidence = exps[best] / sum(exps.values())
    return Classification(best, round(confidence, 3), tuple(k for k in feats if feats[k] > 0))


def category(
    text: str, compound: float, brand_terms: Sequence[str] = (),
    matched: set[str] | None = None,
) -> str:
    """Only the ``category`` of :func:`classify` (the same one, less work).

    ``matched`` is what :func:`find_vocabularies` found in ``text`` when the caller has it
    already (extra names, such as a vocabulary of its own, are ignored).

    >>> text = "@Lumea my bill is wrong again and nobody answers"
    >>> category(text, -0.5, ("lumea",)) == classify(text, "en", -0.5, ("lumea",)).category
    True
    """
    if matched is not None:
        matched = matched & _VOCABULARY_NAMES
    return _best(_features(text[:MAX_TEXT_CHARS], compound, brand_terms, matched))


def find_vocabularies(text: str, matcher: PhraseMatcher | None = None) -> set[str]:
    """Names of the vocabularies in ``text`` (tokens of :func:`text_tokens`), found with
    ``matcher`` (default: the classifier's own :data:`VOCABULARIES`).

    >>> sorted(find_vocabularies("@Lumea my bill is wrong, please help"))
    ['first_person_problem', 'help_words', 'service_words']
    """
    return (matcher or _MATCHER).find(text_tokens(text))


def is_request(
    text: str, lang: str, compound: float, brand_terms: Sequence[str] = ()
) -> bool:
    """True when the mention is a customer request or complaint (category ``request``).

    >>> is_request("@AcmeHelp my order never arrived, please help", "en", -0.3)
    True
    >>> is_request("Lovely sunset tonight", "en", 0.6)
    False
    """
    return classify(text, lang, compound, brand_terms).category == "request"
