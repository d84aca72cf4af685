"""Personal data exposed in public posts: find it, mask it, suggest a private-channel reply.

Detected kinds (see :data:`PII_KINDS`):

- ``card``: payment card numbers, 13-19 digits with optional single spaces or dashes between
  groups, Luhn-valid and with a plausible issuer prefix (IIN);
- ``iban``: IBANs of any registered country, ISO 13616 mod-97 checksum and BBAN structure
  validated (``python-stdnum``), spaces allowed;
- ``tax_code``: Italian *codice fiscale*, check character validated, omocodia included;
- ``phone``: Italian and international numbers (``phonenumbers``, region ``IT``, leniency VALID);
- ``email``: e-mail addresses;
- ``address``: Italian (``via Roma 12``, ``piazza Duomo, 3 - 20121 Milano``) and English
  (``221 Baker Street``) street addresses.

Every function truncates the text to :data:`~monitoring.models.MAX_TEXT_CHARS` first, all
regular expressions are free of nested ambiguous repetition, and the expensive matchers only run
after cheap pre-checks (a digit, an ``@``), so ordinary posts cost a few microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from stdnum import iban as _iban
from stdnum.it import codicefiscale as _codicefiscale

from monitoring.models import MAX_TEXT_CHARS

#: Kinds of personal data, in the order they win when two matches overlap.
PII_KINDS = ("card", "iban", "tax_code", "email", "phone", "address")

_DOT = "\u2022"
_DOTS4 = _DOT * 4

# Digit groups separated by at most one space or dash (possessive: no backtracking).
_DIGIT_RUN = re.compile(r"(?<![\w])\d++(?:[ \-]\d++)*+(?![\w])")
_DIGIT_GROUP = re.compile(r"\d+")

# IBAN candidate: country, check digits, then alphanumerics in optional space-separated groups.
_IBAN_CAND = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,30}+")

_CF_DIGIT = "[0-9LMNPQRSTUVlmnpqrstuv]"
_TAX_CODE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z]{{6}}{_CF_DIGIT}{{2}}[ABCDEHLMPRSTabcdehlmprst]{_CF_DIGIT}{{2}}"
    rf"[A-Za-z]{_CF_DIGIT}{{3}}[A-Za-z](?![A-Za-z0-9])"
)
_LONG_WORD = re.compile(r"[A-Za-z0-9]{16}")

_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
    r"(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z\-])"
)

_IT_STREET = (
    r"via|viale|v\.le|piazza|p\.zza|p\.za|piazzale|p\.le|corso|c\.so|largo|vicolo|vico|"
    r"strada|contrada|c\.da|lungomare|lungotevere|lungarno|borgo|salita|galleria|"
    r"localit[aà]|frazione|fraz\."
)
_IT_PARTICLE = r"(?:d[ei]|de[il]|d[ae]ll[aeo]|degli|dell'|d'|da|al|alla|san|santa|sant'|s\.)"
_IT_NAME = r"(?:[A-ZÀ-Ý][\w'’.]*|[IVXLC]+)"
#: ``via Roma 12``, ``viale dei Mille, 5/A``, ``piazza San Marco 1 - 30124 Venezia``.
_IT_ADDRESS = re.compile(
    rf"(?<![\w])(?i:{_IT_STREET})\s+(?:{_IT_PARTICLE}\s?)?{_IT_NAME}"
    rf"(?:\s+(?:{_IT_PARTICLE}\s?)?{_IT_NAME}){{0,4}},?\s+(?i:n(?:\.|°|um\.)?\s?)?\d{{1,4}}"
    r"(?:\s?/\s?[A-Za-z0-9]{1,3}|[A-Za-z](?![\w]))?"
    r"(?:[,\s\-–]{1,4}\d{5}(?:\s+[A-ZÀ-Ý][\w'’]*){0,3})?"
)
_EN_SUFFIX = (
    r"(?i:street|road|avenue|lane|drive|boulevard|close|crescent|terrace|square|court|"
    r"place|gardens|way)|St\.?|Rd\.?|Ave\.?|Ln\.?|Dr\.?|Blvd\.?|Ct\.?|Pl\.?|Sq\.?|Terr?\."
)
#: ``221B Baker Street``, ``10 Downing St``, ``1600 Pennsylvania Avenue NW``.
_EN_ADDRESS = re.compile(
    rf"(?<![\w])\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’.\-]*\s+){{1,4}}(?:{_EN_SUFFIX})(?![\w])"
    r"(?:,?\s+\d{5}(?!\d))?"
)

# Digits glued to a letter or inside a URL path ("n° 7X30018830", "/a/863632") are codes,
# not phone numbers (the phone matcher rejects a number after a letter too).
# Starts at a digit (the scan skips to digits), then looks behind it.
_PHONE_PRECHECK = re.compile(r"\d(?<![\w/]\d)[\d\s().\-/]{4,}\d")
_DIGIT = re.compile(r"\d")
# Starts at the "@": the scan skips to it.
_EMAIL_PRECHECK = re.compile(r"@(?<=[\w.%+\-]@)[A-Za-z0-9]")
#: Substrings one of which an Italian street address must contain (lowercase).
_IT_STREET_HINTS = ("via", "v.le", "piazz", "p.z", "p.le", "corso", "c.so", "largo", "vic",
                    "strada", "contrada", "c.da", "lungo", "borgo", "salita", "galleria",
                    "localit", "fraz")
#: An English street address has a house number followed by a capitalised word.
_EN_PRECHECK = re.compile(r"\d[A-Za-z]?,?\s+[A-Z]")
#: Any of the street hints (one scan instead of one per hint).
_IT_HINT = re.compile("|".join(re.escape(h) for h in _IT_STREET_HINTS))
#: A card number has thirteen digits or more, at most one space or dash between two.
_CARD_PRECHECK = re.compile(r"\d(?:[ \-]?\d){12}")
#: An IBAN starts with two letters and two digits (the pattern starts at a digit: the
#: scan skips to digits).
_IBAN_PRECHECK = re.compile(r"\d(?<=[A-Za-z]{2}\d)\d")


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of personal data found in a text.

    Parameters
    ----------
    kind : str
        One of :data:`PII_KINDS`.
    start, end : int
        Character span in the (truncated) text.

    Examples
    --------
    >>> m = PiiMatch("email", 3, 20)
    >>> m.kind, m.end - m.start
    ('email', 17)
    """

    kind: str
    start: int
    end: int


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iin_ok(digits: str) -> bool:
    """Issuer prefix and length plausible for a real card scheme."""
    n = len(digits)
    p2, p4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return n == 16
    if p2 in (34, 37):  # American Express
        return n == 15
    if p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305 or p4 == 3095:  # Diners
        return 14 <= n <= 19
    if 3528 <= p4 <= 3589:  # JCB
        return 16 <= n <= 19
    if p4 == 6011 or p2 == 65 or 644 <= int(digits[:3]) <= 649:  # Discover
        return 16 <= n <= 19
    if p2 == 62 or p2 == 81:  # UnionPay
        return 16 <= n <= 19
    if p2 == 50 or 56 <= p2 <= 69:  # Maestro and domestic schemes
        return 12 <= n <= 19
    return False


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and _iin_ok(digits) and _luhn_ok(digits)


def _find_cards(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(g.start(), g.end()) for g in _DIGIT_GROUP.finditer(run.group())]
        base = run.start()
        i = 0
        while i < len(groups):
            hit = None
            for j in range(i, len(groups)):
                n = sum(e - s for s, e in groups[i : j + 1])
                if n > 19:
                    break
                if n >= 13:
                    span = run.group()[groups[i][0] : groups[j][1]]
                    if _is_card(span.replace(" ", "").replace("-", "")):
                        hit = j
            if hit is None:
                i += 1
                continue
            found.append(PiiMatch("card", base + groups[i][0], base + groups[hit][1]))
            i = hit + 1
    return found


@lru_cache(maxsize=256)
def _iban_length(country: str) -> int:
    """Total IBAN length for a registered country code, 0 when unknown."""
    info = _iban._ibandb.info(country)
    if not info or not info[0][1] or info[0][0] != country:
        return 0
    bban = info[0][1].get("bban", "")
    return 4 + sum(int(n) for n in re.findall(r"(\d+)!", bban))


def _find_ibans(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    for cand in _IBAN_CAND.finditer(text):
        raw = cand.group()
        length = _iban_length(raw[:2].upper())
        if not length:
            continue
        # Walk the candidate until `length` alphanumerics have been read.
        count, end = 0, 0
        for k, ch in enumerate(raw):
            if ch != " ":
                count += 1
                if count == length:
                    end = k + 1
                    break
        if not end:
            continue
        if end < len(raw) and raw[end] != " ":
            continue  # the code goes on: not an IBAN boundary
        compact = raw[:end].replace(" ", "").upper()
        if _iban.is_valid(compact, check_country=False):
            found.append(PiiMatch("iban", cand.start(), cand.start() + end))
    return found


def _find_tax_codes(text: str) -> list[PiiMatch]:
    return [
        PiiMatch("tax_code", m.start(), m.end())
        for m in _TAX_CODE.finditer(text)
        if _codicefiscale.is_valid(m.group().upper())
    ]


def _find_emails(text: str) -> list[PiiMatch]:
    return [PiiMatch("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]


def _find_phones(text: str) -> list[PiiMatch]:
    matcher = phonenumbers.PhoneNumberMatcher(
        text, "IT", leniency=phonenumbers.Leniency.VALID, max_tries=200
    )
    return [PiiMatch("phone", m.start, m.end) for m in matcher]


def _find_addresses(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    if _IT_HINT.search(text.lower()):
        found += [PiiMatch("address", m.start(), m.end()) for m in _IT_ADDRESS.finditer(text)]
    if _EN_PRECHECK.search(text):
        found += [PiiMatch("address", m.start(), m.end()) for m in _EN_ADDRESS.finditer(text)]
    return found


def find_pii(text: str) -> list[PiiMatch]:
    """Find personal data in ``text``, without overlaps, sorted by position.

    When two matches overlap the earlier kind in :data:`PII_KINDS` wins, so the digits of a
    card are never also reported as a phone number.

    Examples
    --------
    >>> [m.kind for m in find_pii("Carta 4111 1111 1111 1111, scrivete a mario.rossi@example.it")]
    ['card', 'email']
    >>> find_pii("Carta 4111 1111 1111 1112 (sbagliata)")
    []
    """
    text = text[:MAX_TEXT_CHARS]
    has_digit = _DIGIT.search(text) is not None
    has_at = "@" in text and _EMAIL_PRECHECK.search(text) is not None
    candidates: list[PiiMatch] = []
    if has_digit:
        if _CARD_PRECHECK.search(text):
            candidates += _find_cards(text)
        if _IBAN_PRECHECK.search(text):
            candidates += _find_ibans(text)
        if _PHONE_PRECHECK.search(text):
            candidates += _find_phones(text)
        candidates += _find_addresses(text)
    if _LONG_WORD.search(text):  # a fully omocodic tax code has no digit at all
        candidates += _find_tax_codes(text)
    if has_at:
        candidates += _find_emails(text)
    if not candidates:
        return []
    rank = {kind: i for i, kind in enumerate(PII_KINDS)}
    candidates.sort(key=lambda m: (rank[m.kind], m.start))
    kept: list[PiiMatch] = []
    for m in candidates:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept


def pii_kinds(text: str) -> list[str]:
    """Sorted unique kinds of personal data in ``text``.

    Examples
    --------
    >>> pii_kinds("IBAN IT60 X054 2811 1010 0000 0123 456, tel 333 123 4567")
    ['iban', 'phone']
    >>> pii_kinds("Nessun dato qui")
    []
    """
    return sorted({m.kind for m in find_pii(text)})


def _mask_card(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    return f"{_DOTS4} {_DOTS4} {_DOTS4} {digits[-4:]}"


def _mask_iban(raw: str) -> str:
    compact = raw.replace(" ", "")
    return f"{compact[:2].upper()}{_DOT * 2} {_DOTS4} \u2026 {compact[-4:]}"


def _mask_email(raw: str) -> str:
    local, _, domain = raw.partition("@")
    tld = domain.rsplit(".", 1)[-1]
    return f"{local[:1]}{_DOT * 3}@{_DOT * 3}.{tld}"


def _mask_phone(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, "IT")
        national = str(number.national_number)
        prefix = f"+{number.country_code}"
    except phonenumbers.NumberParseException:
        national, prefix = re.sub(r"\D", "", raw), "+"
    return f"{prefix} {_DOTS4} {_DOT * 3} {national[-2:]}"


def _mask_address(raw: str) -> str:
    return "[address]" if raw[:1].isdigit() else "[indirizzo]"


_MASKERS = {
    "card": _mask_card,
    "iban": _mask_iban,
    "tax_code": lambda raw: "[codice fiscale]",
    "email": _mask_email,
    "phone": _mask_phone,
    "address": _mask_address,
}


def mask_pii(text: str) -> str:
    """Return ``text`` (truncated) with every piece of personal data masked.

    Examples
    --------
    >>> mask_pii("carta 4242 4242 4242 4242")
    'carta •••• •••• •••• 4242'
    >>> mask_pii("scrivimi: mario@example.it o +39 333 123 4567")
    'scrivimi: m•••@•••.it o +39 •••• ••• 67'
    >>> mask_pii("CF RSSMRA85T10A562S")
    'CF [codice fiscale]'
    """
    text = text[:MAX_TEXT_CHARS]
    out: list[str] = []
    pos = 0
    for m in find_pii(text):
        out.append(text[pos : m.start])
        out.append(_MASKERS[m.kind](text[m.start : m.end]))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)


_KIND_NAMES = {
    "it": {
        "card": "il numero della carta",
        "iban": "l'IBAN",
        "tax_code": "il codice fiscale",
        "phone": "il numero di telefono",
        "email": "l'indirizzo e-mail",
        "address": "l'indirizzo di casa",
    },
    "en": {
        "card": "your card number",
        "iban": "your IBAN",
        "tax_code": "your tax code",
        "phone": "your phone number",
        "email": "your e-mail address",
        "address": "your home address",
    },
}


def _join(items: list[str], conj: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conj} {items[-1]}"


def private_channel_reply(lang: str, kinds: Sequence[str]) -> str:
    """Suggested public reply asking to move to a private channel (Italian or English).

    Parameters
    ----------
    lang : str
        ``"it"`` for Italian; anything else gives English.
    kinds : sequence of str
        Kinds of personal data exposed (from :func:`pii_kinds`); unknown kinds are ignored.

    Examples
    --------
    >>> print(private_channel_reply("it", ["card"]))  # doctest: +NORMALIZE_WHITESPACE
    Ciao! Per la tua sicurezza non pubblicare dati personali: ti consigliamo di cancellare il
    messaggio che contiene il numero della carta. Scrivici in messaggio privato e ti aiutiamo
    subito.
    >>> private_channel_reply("en", []).startswith("Hi!")
    True
    """
    italian = lang.lower().startswith("it")
    names = _KIND_NAMES["it" if italian else "en"]
    listed = [names[k] for k in PII_KINDS if k in set(kinds)]
    if italian:
        what = (
            f" ti consigliamo di cancellare il messaggio che contiene {_join(listed, 'e')}."
            if listed
            else " non condividere qui numeri di carta, IBAN, codice fiscale o recapiti."
        )
        return (
            f"Ciao! Per la tua sicurezza non pubblicare dati personali:{what} "
            "Scrivici in messaggio privato e ti aiutiamo subito."
        )
    what = (
        f" we suggest deleting the post that shows {_join(listed, 'and')}."
        if listed
        else " please don't share card numbers, bank details or contact details here."
    )
    return (
        f"Hi! For your safety, please don't post personal data publicly:{what} "
        "Send us a private message and we'll help you right away."
    )
