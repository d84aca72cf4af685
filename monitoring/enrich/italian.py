"""Rule-based sentiment for Italian, in the style of VADER.

The lexicon (``lexicon_it.tsv``, packaged next to this module, rated by hand) gives valences
on VADER's -4..+4 scale to lemmas and forms, multi-word expressions, emoji and emoticons:
customer-care and crisis vocabulary first, then the general evaluative vocabulary, emotions,
idioms, slang and interjections of Italian social media.  Each line is
``term<TAB>valence[<TAB>kind]``; ``kind`` ``v`` marks a regular verb in the infinitive,
whose common conjugated forms are generated.  Words not in the lexicon are looked up again
after simple inflection rules: gender and number (``pessima``/``pessimi`` -> ``pessimo``,
``bollette`` -> ``bolletta``, ``bianchi`` -> ``bianco``), the ``-issimo`` superlative
(which also intensifies) and ``-mente`` adverbs.

Rules, with VADER's constants: negation (``non``, ``mai``, ``nessuno``, ``niente``,
``per niente``, ``affatto``, ``neanche``, ``senza``...) within three content words flips
and damps a valence; intensifiers and diminishers (``molto``, ``troppo``, ``davvero``,
``poco``, ``un po'``) scale it; after a contrast (``ma``, ``però``, ``tuttavia``) words
weigh 1.5 and before it 0.5; ALL-CAPS words among lower-case ones and exclamation marks
add emphasis.  Text is normalised first: accents folded, elisions split
(``dell'operatore``), hashtags split on case (``#BolletteFolli``), URLs and user names
dropped.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from monitoring.enrich.sentiment import collapse_runs
from monitoring.models import MAX_TEXT_CHARS

__all__ = ["LEXICON_PATH", "ItalianSentimentAnalyzer", "fold", "load_lexicon", "tokenize"]

#: The packaged lexicon.
LEXICON_PATH = Path(__file__).with_name("lexicon_it.tsv")

# VADER's empirically derived constants.
B_INCR = 0.293
B_DECR = -0.293
C_INCR = 0.733
N_SCALAR = -0.74
ALPHA = 15.0
#: Valence of laughter ("ahahah", "lol", "xd") not in the lexicon.
LAUGH_VALENCE = 1.5

NEGATORS = frozenset(
    ["non", "nn", "mai", "nessuno", "nessuna", "nessun", "niente", "nulla", "affatto", "neanche", "nemmeno", "neppure", "senza", "per_niente", "per_nulla", "neanche_per_sogno", "manco"]
)
BOOSTERS: dict[str, float] = {
    **dict.fromkeys(
        ["molto", "molta", "molti", "molte", "troppo", "troppa", "troppi", "troppe", "davvero", "veramente", "proprio", "assolutamente", "totalmente", "completamente", "estremamente", "particolarmente", "decisamente", "tanto", "tanta", "tanti", "tante", "parecchio", "super", "iper", "ultra", "davvero_davvero", "sempre_piu", "incredibilmente", "terribilmente", "enormemente", "profondamente", "altamente", "straordinariamente", "follemente", "seriamente", "sinceramente", "tremendamente", "infinitamente", "così", "cosi", "talmente", "oltremodo", "alquanto", "ancora_piu", "ben", "piu", "di_gran_lunga", "per_davvero", "sul_serio"],
        B_INCR,
    ),
    **dict.fromkeys(
        ["poco", "poca", "pochi", "poche", "un_po", "un_poco", "un_pochino", "leggermente", "abbastanza", "quasi", "appena", "piuttosto", "relativamente", "moderatamente", "parzialmente", "vagamente", "meno"],
        B_DECR,
    ),
}
NEGATORS = frozenset(w.replace("_", " ") for w in NEGATORS)
BOOSTERS = {w.replace("_", " "): v for w, v in BOOSTERS.items()}
_MODIFIER_WORDS = NEGATORS | frozenset(BOOSTERS)
CONTRASTS = frozenset(["ma", "pero", "tuttavia", "eppure", "invece", "anzi", "bensi"])
# Tokens skipped when looking back for negators and boosters: clitics, auxiliaries,
# articles ("non mi è mai piaciuto", "non è stato un bel servizio").
TRANSPARENT = frozenset(
    ["mi", "ti", "ci", "vi", "si", "ne", "lo", "la", "li", "le", "gli", "l", "il", "i", "un", "una", "uno", "e", "ha", "ho", "hai", "hanno", "abbiamo", "avete", "sono", "sei", "siamo", "siete", "era", "erano", "stato", "stata", "stati", "state", "essere", "avere", "fa", "fanno", "fatto", "piu", "me", "te", "se", "ce", "poi", "gia", "ancora", "per", "a", "di", "da"]
)
# Grammatical multi-word units joined before scoring.
_GRAMMAR_PHRASES = (
    "per niente", "per nulla", "neanche per sogno", "un po", "un poco", "un pochino",
    "di gran lunga", "sul serio", "per davvero", "davvero davvero", "sempre piu", "ancora piu",
)

_LAUGH = re.compile(r"(?:a?h?(?:ah|ha|eh|he|ih|hi|uh){2,}h?|lol|lmao|rotfl|xd+)")
_URL = re.compile(r"https?://\S{0,2000}|www\.\S{0,2000}")
_MENTION = re.compile(r"@\w{1,50}")
_HASHTAG = re.compile(r"#(\w{1,100})")
_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-Z])|(?<=[A-Za-zà-ÿ])(?=\d)|_")
_QUOTES = ("’", "‘", "`", "´", "ʼ")
_APOSTROPHES = str.maketrans(dict.fromkeys(_QUOTES, "'"))
_EMOTICON = (  # the look-ahead rejects most positions at their first character
    r"(?=[:;=(\[<^\-xX])(?<![\w:;=])(?:[:;=][-o^']?[)\]}dDpP(\[{/\\|*3$@]|[(\[][-o^']?[:;=]|<3+|</3|"
    r"\^[_.]?\^|-_-|[xX][dD]+(?!\w)|:'[()])"
)
_TOKEN = re.compile(
    rf"(?P<emo>{_EMOTICON})|(?P<word>[^\W\d_]+(?:'(?=[^\W\d_]))?)|(?P<punct>[!?.,;:])|(?P<sym>[^\s\w])"
)
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufe0f]")
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")

_FOLD_CACHE: dict[str, str] = {}


def fold(word: str) -> str:
    """Lower-case a word and drop its accents.

    >>> fold("Perché"), fold("CITTÀ"), fold("però")
    ('perche', 'citta', 'pero')
    """
    low = word.lower()
    if low.isascii():
        return low
    found = _FOLD_CACHE.get(low)
    if found is None:
        found = "".join(
            c for c in unicodedata.normalize("NFD", low) if not unicodedata.combining(c)
        )
        if len(_FOLD_CACHE) < 50_000:
            _FOLD_CACHE[low] = found
    return found


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)) + " "


def _bound(text: str) -> str:
    """The whole-text steps of the cleaning: cut, invisible characters, runs."""
    return collapse_runs(_visible(text))[:MAX_TEXT_CHARS]


def _visible(text: str) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[: MAX_TEXT_CHARS + MAX_TEXT_CHARS // 2]
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    return text


def _clean_chunk(text: str) -> str:
    """The steps of the cleaning that never reach across white space: URLs, user names,
    hashtags and typographic apostrophes (their matches hold no white space and their
    patterns look at no character beyond it)."""
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    if text.isascii():
        return text
    for quote in _QUOTES:  # str.replace is much faster than str.translate with a dict
        if quote in text:
            text = text.replace(quote, "'")
    return text


def _clean(text: str) -> str:
    # Each pass runs only when a cheap test shows it can change something.
    return _clean_chunk(_bound(text))


_WORD_CACHE: dict[str, str] = {}


def _fold_word(surface: str) -> str:
    """Folded form of a word token, with runs of three or more letters collapsed (cached)."""
    found = _WORD_CACHE.get(surface)
    if found is None:
        found = fold(surface)
        if len(found) > 2:
            found = _LETTER_RUN.sub(r"\1", found)
        if len(_WORD_CACHE) >= 100_000:  # bounded memory on hostile input
            _WORD_CACHE.clear()
        _WORD_CACHE[surface] = found
    return found


#: ``(kind, surface, folded, word, caps)`` of each token shape ``_TOKEN.findall`` returns:
#: ``word`` is the folded form for word tokens and ``""`` otherwise, ``caps`` whether a
#: word token is in capitals (two letters or more).
_ENTRIES: dict[tuple[str, str, str, str], tuple[str, str, str, str, bool]] = {}
_ENTRIES_SIZE = 50_000


def _entry(found: tuple[str, str, str, str]) -> tuple[str, str, str, str, bool]:
    emo, word, punct, sym = found
    if word:
        if word[-1] == "'":
            word = word.rstrip("'")
        # "nooo" -> "no", "bellooo" -> "bello" (runs of three or more letters)
        folded = _fold_word(word)
        entry = ("word", word, folded, folded, word.isupper() and len(word) > 1)
    elif punct:
        entry = ("punct", punct, punct, "", False)
    elif emo:
        entry = ("emo", emo, emo.lower(), "", False)
    else:
        entry = ("sym", sym, sym, "", False)
    if len(entry[1]) <= _CHUNK_CHARS:  # bounded memory on hostile input
        if len(_ENTRIES) >= _ENTRIES_SIZE:
            _ENTRIES.clear()
        _ENTRIES[found] = entry
    return entry


#: Tokens of each white-space separated chunk seen (chunks up to :data:`_CHUNK_CHARS`
#: characters): ``_CHUNKS`` of chunks of bounded text, ``_RAW_CHUNKS`` of chunks of text
#: whose runs (see :func:`~monitoring.enrich.sentiment.collapse_runs`) are all inside a
#: chunk, collapsed here.  No token, and no match of the cleaning patterns, spans white
#: space, and no pattern looks beyond it, so a text's tokens are its chunks' tokens in order.
_CHUNKS: dict[str, tuple[tuple[str, str, str, str, bool], ...]] = {}
_RAW_CHUNKS: dict[str, tuple[tuple[str, str, str, str, bool], ...]] = {}
_CHUNKS_SIZE = 50_000
_CHUNK_CHARS = 40


def _tokens_of_chunk(
    chunk: str, key: str, memo: dict[str, tuple[tuple[str, str, str, str, bool], ...]]
) -> tuple[tuple[str, str, str, str, bool], ...]:
    get = _ENTRIES.get
    found = tuple(get(f) or _entry(f) for f in _TOKEN.findall(_clean_chunk(chunk)))
    if len(key) <= _CHUNK_CHARS:
        if len(memo) >= _CHUNKS_SIZE:  # bounded memory on hostile input
            memo.clear()
        memo[key] = found
    return found


def _chunk_entries(chunk: str) -> tuple[tuple[str, str, str, str, bool], ...]:
    return _tokens_of_chunk(chunk, chunk, _CHUNKS)


def _raw_chunk_entries(chunk: str) -> tuple[tuple[str, str, str, str, bool], ...]:
    return _tokens_of_chunk(collapse_runs(chunk), chunk, _RAW_CHUNKS)


def _runs_stay_in_chunks(text: str, chunks: list[str]) -> bool:
    """Whether no run of a unit of one to three characters repeated four times or more
    (what :func:`~monitoring.enrich.sentiment.collapse_runs` shortens) can hold white space.

    Such a run repeats a unit holding white space, so the text has white space at four
    positions spaced by the unit's length: two white space characters in a row, or, with
    single spaces between chunks, three equal chunks of one or two characters in a row.
    """
    if len(text) - sum(map(len, chunks)) != len(chunks) - 1:
        return False  # white space before, after, or two characters of it in a row
    previous, repeats = "", 0
    for chunk in chunks:
        if chunk == previous and len(chunk) <= 2:
            repeats += 1
            if repeats == 2:
                return False
        else:
            repeats = 0
        previous = chunk
    return True


def _entries(text: str) -> list[tuple[str, str, str, str, bool]]:
    """Tokens of a text with what the scorer needs of each (see :func:`_entry`)."""
    text = _visible(text)
    chunks = text.split()
    if len(text) <= MAX_TEXT_CHARS and _runs_stay_in_chunks(text, chunks):
        # Each chunk's runs are collapsed with the chunk (memoised).
        get, compute = _RAW_CHUNKS.get, _raw_chunk_entries
    else:
        chunks = collapse_runs(text)[:MAX_TEXT_CHARS].split()
        get, compute = _CHUNKS.get, _chunk_entries
    out: list[tuple[str, str, str, str, bool]] = []
    extend = out.extend
    for chunk in chunks:
        found = get(chunk)
        extend(found if found is not None else compute(chunk))
    return out


def tokenize(text: str) -> list[tuple[str, str, str]]:
    """Split a text into ``(kind, surface, folded)`` tokens.

    ``kind`` is ``word``, ``emo`` (emoticon), ``punct`` or ``sym`` (emoji and other
    symbols).  Elided articles lose their apostrophe; a final apostrophe used as an accent
    (``perche'``) is dropped.

    >>> [t[2] for t in tokenize("Dell'operatore? NON risponde!! #ServizioPessimo :(")]
    ['dell', 'operatore', '?', 'non', 'risponde', '!', '!', 'servizio', 'pessimo', ':(']
    """
    return [entry[:3] for entry in _entries(text)]


_ARE = ["are", "o", "i", "a", "iamo", "ate", "ano", "ato", "ata", "ati", "ate", "ando", "avo", "avi", "ava", "avamo", "avano", "ai", "asti", "o'", "ammo", "arono", "ero", "erai", "era'", "eremo", "erete", "eranno", "erei", "eresti", "erebbe", "eremmo", "erebbero", "ino", "iate"]
_ERE = ["ere", "o", "i", "e", "iamo", "ete", "ono", "uto", "uta", "uti", "ute", "endo", "evo", "evi", "eva", "evamo", "evano", "ero'", "erai", "era'", "eremo", "eranno", "erei", "erebbe", "erebbero", "a", "ano"]
_IRE = ["ire", "o", "i", "e", "iamo", "ite", "ono", "isco", "isci", "isce", "iscono", "ito", "ita", "iti", "ite", "endo", "ivo", "iva", "ivano", "iro'", "ira'", "iranno", "irei", "irebbe", "a", "ano", "isca", "iscano"]


def _conjugate(verb: str) -> Iterator[str]:
    """Common forms of a regular verb (accents folded: ``pagherò`` -> ``paghero``)."""
    stem, ending = verb[:-3], verb[-3:]
    table = {"are": _ARE, "ere": _ERE, "ire": _IRE}.get(ending)
    if table is None:
        return
    for suffix in table:
        suffix = suffix.replace("'", "")
        form = stem + suffix
        if ending == "are":
            if stem.endswith(("c", "g")) and suffix[:1] in ("e", "i"):
                form = stem + "h" + suffix
            elif stem.endswith("i") and suffix.startswith("i"):
                form = stem + suffix[1:]
        yield form


def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, float]:
    """Read a lexicon file into ``{folded term: valence}`` (verbs expanded).

    >>> lex = load_lexicon()
    >>> lex["pessimo"] < -2 < 2 < lex["ottimo"]
    True
    >>> lex["funzionano"] > 0  # generated from the verb "funzionare"
    True
    """
    lexicon: dict[str, float] = {}
    generated: dict[str, float] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                raise ValueError(f"{path}:{lineno}: expected 'term<TAB>valence[<TAB>kind]'")
            term = " ".join(fold(w) for w in parts[0].strip().translate(_APOSTROPHES)
                            .replace("'", " ").split())
            valence = float(parts[1])
            if not -4.0 <= valence <= 4.0:
                raise ValueError(f"{path}:{lineno}: valence {valence} outside -4..4")
            kind = parts[2].strip() if len(parts) > 2 else ""
            lexicon[term] = valence
            if kind == "v":
                for form in _conjugate(term):
                    generated.setdefault(form, valence)
    for form, valence in generated.items():
        lexicon.setdefault(form, valence)
    return lexicon


def _candidates(word: str) -> Iterator[tuple[str, bool]]:
    """Lemma candidates of an inflected form, with a flag for the -issimo superlative."""
    if len(word) > 7 and word[-6:-1] == "issim":
        stem = word[:-6]
        for end in ("o", "e", "a"):
            yield stem + end, True
        if stem.endswith("h"):
            yield stem[:-1] + "o", True
        return
    if len(word) > 7 and word.endswith("mente"):
        stem = word[:-5]
        if stem.endswith("a"):
            yield stem[:-1] + "o", False
        yield stem + "e", False
        yield stem, False
        if stem.endswith(("l", "r")):
            yield stem + "e", False
        return
    if len(word) < 4:
        return
    last = word[-1]
    if word.endswith(("chi", "ghi")):
        yield word[:-2] + "o", False
    elif word.endswith(("che", "ghe")):
        yield word[:-2] + "a", False
        yield word[:-2] + "o", False
    if last == "a":
        yield word[:-1] + "o", False
    elif last == "i":
        yield word[:-1] + "o", False
        yield word[:-1] + "e", False
        yield word[:-1] + "a", False
    elif last == "e":
        yield word[:-1] + "o", False
        yield word[:-1] + "a", False
    elif last == "o":
        yield word[:-1] + "e", False


class ItalianSentimentAnalyzer:
    """VADER-like sentiment for Italian text with its own lexicon.

    Parameters
    ----------
    lexicon_path : Path
        Lexicon file (default: the packaged ``lexicon_it.tsv``).

    Examples
    --------
    >>> sia = ItalianSentimentAnalyzer()
    >>> sia.polarity_scores("Servizio ottimo, grazie!")["compound"] > 0.5
    True
    >>> sia.polarity_scores("Ancora senza luce, che disservizio")["compound"] < -0.3
    True
    >>> sia.polarity_scores("non è male")["compound"] > 0
    True
    >>> sorted(sia.polarity_scores("boh"))
    ['compound', 'neg', 'neu', 'pos']
    """

    def __init__(self, lexicon_path: Path = LEXICON_PATH):
        self.lexicon_path = lexicon_path
        self.lexicon = load_lexicon(lexicon_path)
        self._phrases: dict[str, list[tuple[str, ...]]] = {}
        for term in list(self.lexicon) + list(_GRAMMAR_PHRASES):
            words = tuple(term.split())
            if len(words) > 1:
                self._phrases.setdefault(words[0], []).append(words)
        for options in self._phrases.values():
            options.sort(key=len, reverse=True)
        # The same options, longest first, by their first two words.
        self._pairs: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        for options in self._phrases.values():
            for phrase in options:
                self._pairs.setdefault(phrase[:2], []).append(phrase)
        self._cache: dict[str, tuple[float, bool]] = {}
        self._infos: dict[str, tuple[float, bool, bool, bool]] = {}
        self._emoji: dict[str, float] | None = None

    # -- lexicon look-up -----------------------------------------------------------------
    def valence(self, word: str) -> tuple[float, bool]:
        """Valence of a folded word and whether it is a superlative (``-issimo``).

        >>> sia = ItalianSentimentAnalyzer()
        >>> sia.valence("pessime")[0] == sia.valence("pessimo")[0] < 0
        True
        >>> sia.valence("bellissima")[1]
        True
        """
        found = self._cache.get(word)
        if found is not None:
            return found
        value = self.lexicon.get(word)
        result = (value, False) if value is not None else (0.0, False)
        if value is None and len(word) >= 3 and _LAUGH.fullmatch(word):
            result = (LAUGH_VALENCE, False)
        elif value is None:
            for candidate, superlative in _candidates(word):
                value = self.lexicon.get(candidate)
                if value is not None:
                    result = (value, superlative)
                    break
        if len(self._cache) < 100_000:
            self._cache[word] = result
        return result

    def _info(self, word: str) -> tuple[float, bool, bool, bool]:
        """``(valence, superlative, contrast, modifier)`` of a folded word (memoised);
        :data:`_PLAIN` for the many words with none of them."""
        contrast, modifier = word in CONTRASTS, word in _MODIFIER_WORDS
        v, superlative = self.valence(word)
        info = (v, superlative, contrast, modifier)
        if v == 0.0 and not contrast and not modifier:
            info = _PLAIN
        if len(word) <= _CHUNK_CHARS:  # bounded memory on hostile input
            if len(self._infos) >= 100_000:
                self._infos.clear()
            self._infos[word] = info
        return info

    def _emoji_valence(self, symbol: str) -> float:
        value = self.lexicon.get(symbol)
        if value is not None:
            return value
        if self._emoji is None:
            self._emoji = _emoji_valences()
        return self._emoji.get(symbol, 0.0)

    def _join_phrases(self, words: list[str]) -> list[str]:
        """Join multi-word units (``per niente``) into their first position; the positions
        they cover become ``""``, so indices stay aligned with the tokens."""
        phrases = self._phrases
        if phrases.keys().isdisjoint(words):
            return words
        pairs = self._pairs
        out = list(words)
        last = len(words) - 1
        free = 0  # first position not covered by a joined phrase
        for i in [i for i, w in enumerate(words) if w in phrases]:
            if i < free or i == last:
                continue
            options = pairs.get((words[i], words[i + 1]))
            if options is None:
                continue
            for phrase in options:
                k = len(phrase)
                if k == 2 or tuple(words[i + 2 : i + k]) == phrase[2:]:
                    out[i] = " ".join(phrase)
                    out[i + 1 : i + k] = [""] * (k - 1)
                    free = i + k
                    break
        return out

    # -- scoring -------------------------------------------------------------------------
    def polarity_scores(self, text: str) -> dict[str, float]:
        """Scores like VADER's: ``neg``, ``neu``, ``pos`` shares and ``compound`` in -1..1.

        >>> sia = ItalianSentimentAnalyzer()
        >>> a = sia.polarity_scores("il servizio è buono")["compound"]
        >>> b = sia.polarity_scores("il servizio è molto buono")["compound"]
        >>> c = sia.polarity_scores("il servizio è buonissimo!!")["compound"]
        >>> 0 < a < b < c
        True
        """
        found = self._valences(text)
        if found is None:
            return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
        return _score_valence(*found)

    def compound(self, text: str) -> float:
        """Only the ``compound`` of :meth:`polarity_scores` (the same number, less work).

        >>> sia = ItalianSentimentAnalyzer()
        >>> sia.compound("che disservizio!") == sia.polarity_scores("che disservizio!")["compound"]
        True
        """
        found = self._valences(text)
        if found is None or not found[0]:
            return 0.0
        return round(_compound(_emphasised(sum(found[0]), found[2], found[3])), 4)

    def _valences(self, text: str) -> tuple[list[float], int, int, int] | None:
        """Non-zero valences of a text in order, the number of zero ones, exclamation and
        question marks; ``None`` when nothing was scored (no token at all)."""
        tokens = _entries(text)
        if not tokens:
            return None
        kinds = [t[0] for t in tokens]
        joined = self._join_phrases([t[3] for t in tokens])
        n_words = kinds.count("word")
        n_caps = sum([t[4] for t in tokens])
        cap_diff = 0 < n_caps < n_words

        sentiments: list[float] = []
        positions: list[int] = []
        zeros = 0
        scored = False
        contrast_at = -1
        exclamations = questions = 0
        infos, info_of = self._infos, self._info
        for i, token in enumerate(tokens):
            kind = token[0]
            if kind == "word":
                word = joined[i]
                if not word:
                    continue
                info = infos.get(word) or info_of(word)
                if info is _PLAIN:
                    scored = True
                    zeros += 1
                    continue
                v, superlative, contrast, modifier = info
                if contrast and contrast_at < 0 and scored:
                    contrast_at = i
                scored = True
                if modifier or v == 0.0:
                    zeros += 1
                    continue
                if superlative:
                    v += B_INCR if v > 0 else -B_INCR
                if cap_diff and token[4]:
                    v += C_INCR if v > 0 else -C_INCR
                v = self._modifiers(v, tokens, kinds, joined, i)
            elif kind == "punct":
                surface = token[1]
                if surface == "!":
                    exclamations += 1
                elif surface == "?":
                    questions += 1
                continue
            else:
                v = self._emoji_valence(token[1] if kind == "sym" else token[2])
                if kind == "sym" and v == 0.0:
                    continue
                scored = True
            if v:
                sentiments.append(v)
                positions.append(i)
            else:
                zeros += 1
        if not scored:
            return None
        if contrast_at >= 0:
            sentiments = [
                s * 0.5 if p < contrast_at else s * 1.5 for s, p in zip(sentiments, positions)
            ]
        return sentiments, zeros, exclamations, questions

    def _modifiers(
        self, v: float, tokens: list, kinds: list[str], joined: list[str], i: int
    ) -> float:
        """Apply boosters and negation found among the three previous content words."""
        negated = False
        seen = 0
        j = i - 1
        steps = 0
        while j >= 0 and seen < 3 and steps < 8:
            steps += 1
            kind = kinds[j]
            if kind == "punct" and tokens[j][1] in ".!?;,":
                break
            word = joined[j]
            if kind != "word" or not word:
                j -= 1
                continue
            if word in NEGATORS:
                if not _concord(joined, j):
                    negated = True
            elif word in BOOSTERS:
                scalar = BOOSTERS[word] * (1.0, 0.95, 0.9)[seen]
                if tokens[j][1].isupper() and len(tokens[j][1]) > 1:
                    scalar += C_INCR if scalar > 0 else -C_INCR
                v += scalar if v > 0 else -scalar
            elif word in TRANSPARENT:
                j -= 1
                continue
            seen += 1
            j -= 1
        if negated:
            v *= N_SCALAR
        return v


#: What :meth:`ItalianSentimentAnalyzer._info` gives a word with no valence that is
#: neither a contrast nor a modifier.
_PLAIN = (0.0, False, False, False)

_PRIMARY_NEGATORS = frozenset(("non", "nn", "senza"))


def _concord(joined: list[str], j: int) -> bool:
    """Whether the negator at ``j`` repeats a preceding ``non`` ("non funziona niente")."""
    if joined[j] in _PRIMARY_NEGATORS:
        return False
    for k in range(max(0, j - 4), j):
        w = joined[k]
        if w in _PRIMARY_NEGATORS or w.startswith(("non ", "nn ")):
            return True
    return False


def _emphasised(total: float, exclamations: int, questions: int) -> float:
    """Sum of the valences with the emphasis of exclamation and question marks."""
    emphasis = _emphasis(exclamations, questions)
    if total > 0:
        total += emphasis
    elif total < 0:
        total -= emphasis
    return total


def _emphasis(exclamations: int, questions: int) -> float:
    emphasis = min(exclamations, 4) * 0.292
    if questions > 1:
        emphasis += questions * 0.18 if questions <= 3 else 0.96
    return emphasis


def _compound(total: float) -> float:
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))


def _score_valence(
    sentiments: list[float], zeros: int, exclamations: int, questions: int
) -> dict[str, float]:
    """VADER's scores from the non-zero valences (in order) and the number of zero ones."""
    if not sentiments and not zeros:
        return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
    emphasis = _emphasis(exclamations, questions)
    compound = _compound(_emphasised(sum(sentiments), exclamations, questions))
    pos = sum(s + 1 for s in sentiments if s > 0)
    neg = sum(s - 1 for s in sentiments if s < 0)
    neu = zeros
    if pos > -neg:
        pos += emphasis
    elif pos < -neg:
        neg -= emphasis
    denom = pos - neg + neu
    return {
        "neg": round(abs(neg / denom), 3),
        "neu": round(neu / denom, 3),
        "pos": round(pos / denom, 3),
        "compound": round(compound, 4),
    }


def _emoji_valences() -> dict[str, float]:
    """Valence of every emoji VADER knows: the sum of VADER's valences of its description."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    out = {}
    for symbol, description in vader.emojis.items():
        value = sum(vader.lexicon.get(w, 0.0) for w in description.lower().split())
        if value:
            out[symbol] = max(-3.5, min(3.5, value))
    return out
