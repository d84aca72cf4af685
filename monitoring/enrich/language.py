"""Offline language detection tuned for short Italian and English posts.

Three steps, cheapest first:

1. a valid ISO 639-1 hint from the source (``lang`` field of the API) wins;
2. a fast path counts function words that are exclusive to Italian or to English (plus a
   few character cues such as elisions and English contractions) and decides when one
   language clearly dominates and no cue of another Latin-script language is present;
3. the unsure rest goes to ``lingua`` restricted to :data:`FALLBACK_LANGUAGES` in
   low-accuracy mode (overruled when it names a third language but the text has cues of
   only Italian or only English); texts with almost no letters are ``'und'``.

Only the first :data:`DETECT_CHARS` characters are inspected, so the cost per text is
bounded whatever its length.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

__all__ = [
    "DETECT_CHARS",
    "FALLBACK_LANGUAGES",
    "UNDETERMINED",
    "detect_language",
    "detect_languages",
    "normalize_hint",
]

#: Code returned when the language cannot be told.
UNDETERMINED = "und"

#: Characters of a text looked at by the detector.
DETECT_CHARS = 500

#: ISO 639-1 codes the fallback detector chooses among (Latin-script languages; other
#: scripts are told by their alphabet).
FALLBACK_LANGUAGES = ("en", "it", "fr", "de", "es", "pt", "nl")

_ISO_639_1 = frozenset(
    ["aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh", "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu"]
)
_ISO_639_2 = {
    "ita": "it", "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "spa": "es",
    "por": "pt", "nld": "nl", "dut": "nl", "iw": "he", "in": "id", "ji": "yi",
}

_URL_MENTION = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|&\w+;")
_WORD = re.compile(r"[a-zà-öø-ÿ]+(?:'[a-z]+)?|[a-zà-öø-ÿ]+'")
_LETTER = re.compile(r"[^\W\d_]")

_IT_WORDS = frozenset(
    ["il", "lo", "gli", "della", "dello", "delle", "degli", "dei", "del", "di", "che", "non", "per", "sono", "è", "una", "uno", "questo", "questa", "questi", "queste", "quello", "quella", "quelli", "anche", "più", "perché", "perchè", "perche", "ma", "mi", "ti", "ci", "ho", "hai", "abbiamo", "hanno", "essere", "stato", "stata", "sei", "siamo", "siete", "nel", "nella", "nelle", "negli", "nei", "alla", "alle", "allo", "agli", "al", "ai", "dal", "dalla", "dalle", "dai", "dagli", "sul", "sulla", "sulle", "sui", "col", "tutto", "tutti", "tutta", "tutte", "sempre", "ancora", "ora", "oggi", "ieri", "domani", "molto", "poi", "già", "così", "cosa", "dove", "quando", "chi", "io", "tu", "lui", "lei", "noi", "voi", "loro", "mio", "mia", "miei", "suo", "sua", "suoi", "nostro", "nostra", "vostro", "vostra", "niente", "nulla", "grazie", "ciao", "buongiorno", "buonasera", "fare", "fatto", "dopo", "senza", "tra", "fra", "nn", "ke", "cmq", "però", "quindi", "ecco", "sarà", "può", "fa", "va", "vuoi", "voglio", "devo", "deve", "anno", "giorno", "ogni", "nessuno", "qualcosa", "bene", "male", "bello", "bella", "troppo", "proprio", "davvero", "ancora", "comunque", "mai", "adesso", "qui", "qua"]
)
_EN_WORDS = frozenset(
    ["the", "and", "is", "are", "was", "were", "to", "of", "you", "your", "my", "it", "this", "that", "with", "for", "have", "has", "had", "not", "been", "at", "just", "but", "what", "why", "how", "can", "can't", "don't", "i'm", "we", "they", "our", "their", "will", "would", "get", "got", "thanks", "thank", "please", "from", "by", "an", "or", "if", "out", "up", "all", "there", "about", "when", "who", "which", "your", "it's", "i've", "i'll", "im", "dont", "cant", "didn't", "doesn't", "isn't", "won't", "wasn't", "still", "now", "today", "been", "being", "very", "really", "one", "more", "some", "any", "time", "customer", "service", "help", "back", "after"]
)
# Function words exclusive to other Latin-script languages: any hit sends the text to the
# fallback detector instead of the Italian/English fast path.
_OTHER_WORDS = frozenset(
    ["les", "des", "est", "et", "une", "pas", "je", "vous", "nous", "avec", "pour", "sur", "dans", "qui", "du", "au", "aux", "être", "très", "mais", "où", "ça", "c'est", "j'ai", "il's", "el", "los", "las", "y", "es", "por", "para", "muy", "pero", "está", "están", "esto", "eso", "hay", "también", "der", "die", "das", "und", "ist", "nicht", "ich", "mit", "ein", "eine", "zu", "auf", "sie", "wir", "ihr", "auch", "sich", "den", "dem", "von", "não", "uma", "com", "os", "em", "muito", "mais", "você", "isso", "ele", "ela", "het", "een", "niet", "ik", "je", "wat", "zijn", "maar", "ook", "voor", "dat", "met"]
)
_IT_ELISION = re.compile(r"\b(?:l|un|dell|all|dall|nell|sull|c|d|quest|quell|po)'\w|\bpo'")
_EN_CONTRACTION = re.compile(r"\w(?:n't|'m|'re|'ll|'ve|'d)\b")
_IT_ACCENT = re.compile(r"[àèìòù]\b")

_SCRIPTS = (
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)

_detector = None
_detector_lock = threading.Lock()


def normalize_hint(hint: str | None) -> str | None:
    """Return the ISO 639-1 code of a source's language hint, or ``None`` when unusable.

    >>> normalize_hint("it-IT"), normalize_hint("EN_gb"), normalize_hint("ita")
    ('it', 'en', 'it')
    >>> normalize_hint("und"), normalize_hint("qme"), normalize_hint(None)
    (None, None, None)
    """
    if not hint or not isinstance(hint, str):
        return None
    found = _HINTS.get(hint, _UNSEEN)
    if found is _UNSEEN:
        code = hint.strip().lower().replace("_", "-").split("-", 1)[0]
        code = _ISO_639_2.get(code, code)
        found = code if code in _ISO_639_1 else None
        if len(hint) <= 40:  # sources send a handful of distinct hints
            if len(_HINTS) >= 10_000:
                _HINTS.clear()
            _HINTS[hint] = found
    return found


_HINTS: dict[str, str | None] = {}
_UNSEEN = object()


def _get_detector():
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                langs = [
                    Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
                    for c in FALLBACK_LANGUAGES
                ]
                _detector = (
                    LanguageDetectorBuilder.from_languages(*langs)
                    .with_low_accuracy_mode()
                    .build()
                )
    return _detector


def _fast_path(low: str) -> tuple[str | None, str | None]:
    """Decide between Italian and English from cues.

    Returns ``(decision, lean)``: ``decision`` is ``None`` when unsure; ``lean`` is the
    only language with any cue (``None`` when cues are mixed or absent).
    """
    it = en = other = 0
    for word in _WORD.findall(low):
        if word in _IT_WORDS:
            it += 1
        elif word in _EN_WORDS:
            en += 1
        elif word in _OTHER_WORDS:
            other += 1
    if other:
        return None, None
    it += len(_IT_ELISION.findall(low)) + len(_IT_ACCENT.findall(low))
    en += len(_EN_CONTRACTION.findall(low))
    if it >= 2 and it >= 3 * en:
        return "it", "it"
    if en >= 2 and en >= 3 * it:
        return "en", "en"
    lean = "it" if it and not en else "en" if en and not it else None
    return None, lean


def _script(text: str) -> str | None:
    """Return a language for a text written mostly in a non-Latin script."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return None
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(text)) * 2 >= letters:
            if code == "zh" and _SCRIPTS[4][1].search(text):
                return "ja"
            return code
    return None


def detect_language(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code ('it', 'en', 'fr', ...) or 'und'. A valid hint from the source wins.

    Parameters
    ----------
    text : str
        The (untrusted) text; only its first :data:`DETECT_CHARS` characters are used.
    hint : str, optional
        Language declared by the source (``"it"``, ``"en-US"``, ``"und"``...).

    Examples
    --------
    >>> detect_language("Ancora senza luce da ieri sera, che vergogna")
    'it'
    >>> detect_language("my flight was cancelled and nobody answers the phone")
    'en'
    >>> detect_language("whatever", hint="fr")
    'fr'
    >>> detect_language("👍👍 !!!")
    'und'
    """
    code = normalize_hint(hint)
    if code:
        return code
    if not isinstance(text, str):
        return UNDETERMINED
    head = _URL_MENTION.sub(" ", text[:DETECT_CHARS])
    low = head.lower()
    fast, lean = _fast_path(low)
    if fast:
        return fast
    letters = _LETTER.findall(head)
    if len(letters) < 3:
        return UNDETERMINED
    script = _script(head)
    if script:
        return script
    found = _get_detector().detect_language_of(head)
    code = found.iso_code_639_1.name.lower() if found is not None else UNDETERMINED
    # On a few words the statistical guess is weak: a function word of only Italian or
    # only English (and of no other language checked) outweighs a third language.
    if lean and code not in ("it", "en"):
        return lean
    return code


def detect_languages(
    texts: Sequence[str], hints: Sequence[str | None] | None = None
) -> list[str]:
    """Detect the language of each text; ``hints`` (same length) are the sources' hints.

    >>> detect_languages(["grazie mille, servizio ottimo", "thanks a lot for the help"])
    ['it', 'en']
    >>> detect_languages(["any text"], ["de"])
    ['de']
    """
    if hints is None:
        return [detect_language(t) for t in texts]
    if len(hints) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(hints)} hints")
    return [detect_language(t, h) for t, h in zip(texts, hints)]
