from __future__ import annotations

import re
from itertools import pairwise

import pytest

from monitoring.enrich.pii import (
    PII_KINDS,
    PiiMatch,
    find_pii,
    mask_pii,
    pii_kinds,
    private_channel_reply,
)
from monitoring.models import MAX_TEXT_CHARS

DOTS4 = "\u2022" * 4

CARDS = [
    # (number as written, valid)
    ("4111 1111 1111 1111", True),
    ("4111 1111 1111 1112", False),
    ("5555 5555 5555 4444", True),
    ("5555 5555 5555 4445", False),
    ("378282246310005", True),
    ("378282246310006", False),
    ("4242-4242-4242-4242", True),
    ("4242-4242-4242-4243", False),
    ("6011 1111 1111 1117", True),
    ("6011 1111 1111 1118", False),
    ("2223 0031 2200 3222", True),
    ("3530 1113 3330 0000", True),
    # Luhn-valid but no card scheme starts with 9 or 1.
    ("9111 1111 1111 1110", False),
    ("1111 1111 1111 1117", False),
]


@pytest.mark.parametrize(("number", "valid"), CARDS)
@pytest.mark.parametrize(
    "template", ["Ho pagato con la carta {} e niente", "my card {} was charged twice", "{}"]
)
def test_cards(number: str, valid: bool, template: str) -> None:
    text = template.format(number)
    kinds = pii_kinds(text)
    assert ("card" in kinds) is valid
    # Card digits are never double-counted as a phone number.
    assert "phone" not in kinds
    if valid:
        (m,) = [m for m in find_pii(text) if m.kind == "card"]
        assert text[m.start : m.end] == number


IBANS = [
    ("IT60 X054 2811 1010 0000 0123 456", True),
    ("IT60X0542811101000000123456", True),
    ("it60x0542811101000000123456", True),
    ("IT60 X054 2811 1010 0000 0123 457", False),
    ("IT61 X054 2811 1010 0000 0123 456", False),
    ("DE89 3704 0044 0532 0130 00", True),
    ("DE89370400440532013000", True),
    ("DE89 3704 0044 0532 0130 01", False),
    ("GB82 WEST 1234 5698 7654 32", True),
    ("GB82WEST12345698765432", True),
    ("GB82 WEST 1234 5698 7654 33", False),
    ("GB82 WEST 1234 5698 7654", False),  # too short for a British IBAN
    ("FR14 2004 1010 0505 0001 3M02 606", True),
    ("NL91 ABNA 0417 1643 00", True),
    ("CH93 0076 2011 6238 5295 7", True),
    ("CH93 0076 2011 6238 5295 8", False),
]


@pytest.mark.parametrize(("iban", "valid"), IBANS)
@pytest.mark.parametrize("template", ["IBAN: {} grazie", "send the refund to {}, thanks", "{}"])
def test_ibans(iban: str, valid: bool, template: str) -> None:
    text = template.format(iban)
    found = [m for m in find_pii(text) if m.kind == "iban"]
    assert bool(found) is valid
    if valid:
        assert text[found[0].start : found[0].end] == iban
        assert "card" not in pii_kinds(text) and "phone" not in pii_kinds(text)


TAX_CODES = [
    ("RSSMRA85T10A562S", True),
    ("rssmra85t10a562s", True),
    ("RSSMRA85T10A562T", False),  # altered check character
    ("RSSMRA85T10A56NH", True),  # omocodia: last digit replaced by a letter
    ("RSSMRA85T10A56NS", False),
    ("RSSMRAURTMLARSNL", True),  # full omocodia: no digit at all
    ("RSSMRAURTMLARSNM", False),
    ("BNCGLI90A41H501E", True),
    ("BNCGLI90A41H501F", False),
]


@pytest.mark.parametrize(("code", "valid"), TAX_CODES)
@pytest.mark.parametrize(
    "template", ["Il mio codice fiscale è {}, potete verificare?", "my tax code: {}", "{}"]
)
def test_tax_codes(code: str, valid: bool, template: str) -> None:
    text = template.format(code)
    assert ("tax_code" in pii_kinds(text)) is valid


PHONES = [
    ("chiamatemi al 333 123 4567 per favore", "333 123 4567"),
    ("il mio numero è 3471234567", "3471234567"),
    ("fisso 02 1234 5678 dopo le 18", "02 1234 5678"),
    ("numero +39 345 678 9012", "+39 345 678 9012"),
    ("call me on +44 7911 123456 today", "+44 7911 123456"),
    ("my number is +1 (415) 555-2671", "+1 (415) 555-2671"),
    ("reach me at +49 30 901820", "+49 30 901820"),
]


@pytest.mark.parametrize(("text", "number"), PHONES)
def test_phones(text: str, number: str) -> None:
    found = [m for m in find_pii(text) if m.kind == "phone"]
    assert [text[m.start : m.end] for m in found] == [number]
    masked = mask_pii(text)
    assert re.sub(r"\D", "", number) not in re.sub(r"\D", "", masked)
    assert masked.count("\u2022") >= 7


EMAILS = [
    ("scrivetemi a mario.rossi@example.it", "mario.rossi@example.it"),
    ("my email is jane_doe+care@mail.example.co.uk.", "jane_doe+care@mail.example.co.uk"),
    ("CONTACT: A.B-C@EXAMPLE.COM", "A.B-C@EXAMPLE.COM"),
    ("glued to a digit: mario.rossi@example.com0", "mario.rossi@example.com"),
]


@pytest.mark.parametrize(("text", "email"), EMAILS)
def test_emails(text: str, email: str) -> None:
    found = [m for m in find_pii(text) if m.kind == "email"]
    assert [text[m.start : m.end] for m in found] == [email]
    assert email not in mask_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "@LumeaCare @mario_rossi why is my bill so high?",  # handles are not e-mails
        "ho mandato via email 3 volte e nessuno risponde",  # 'via' is not a street here
        "sono andato via 2 ore fa",
        "I waited 3 hours on the road",
        "ordine n. 123456 non arrivato",
        "Ho pagato 1.234,56 euro il 12/03/2024 alle 10:30",
        "Il volo AZ 1234 è in ritardo di 45 minuti",
        # codes and links with many digits are not phone numbers
        "Bolletta n° 7X30018830: tariffa sbagliata",
        "read this https://news.example/a/863632 and weep",
        "ticket ABC3471234567 still open",
        # too short or impossible numbers
        "call 12345 now",
        "numero 000 000 0000",
        "my tax code is RSSMRA85T10A562T, is it ok?",  # check character wrong
        "email me at mario@ please",
        "",
    ],
)
def test_no_pii(text: str) -> None:
    assert find_pii(text) == []
    assert mask_pii(text) == text


ADDRESSES = [
    ("abito in via Roma 12, 20121 Milano e non ho luce", "via Roma 12, 20121 Milano"),
    ("consegna in Via dei Mille 5/A per favore", "Via dei Mille 5/A"),
    ("sono in piazza San Marco, 1 - 30124 Venezia", "piazza San Marco, 1 - 30124 Venezia"),
    ("corso Vittorio Emanuele II 45 al terzo piano", "corso Vittorio Emanuele II 45"),
    ("deliver to 221B Baker Street please", "221B Baker Street"),
    ("I live at 10 Downing St and the meter is broken", "10 Downing St"),
    ("1600 Pennsylvania Avenue, 20500", "1600 Pennsylvania Avenue, 20500"),
]


@pytest.mark.parametrize(("text", "address"), ADDRESSES)
def test_addresses(text: str, address: str) -> None:
    found = [m for m in find_pii(text) if m.kind == "address"]
    assert [text[m.start : m.end] for m in found] == [address]
    assert address not in mask_pii(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("carta 4242 4242 4242 4242", f"carta {DOTS4} {DOTS4} {DOTS4} 4242"),
        ("mail: mario@example.it", "mail: m\u2022\u2022\u2022@\u2022\u2022\u2022.it"),
        ("tel +39 333 123 4567", "tel +39 \u2022\u2022\u2022\u2022 \u2022\u2022\u2022 67"),
        ("IBAN IT60 X054 2811 1010 0000 0123 456", f"IBAN IT\u2022\u2022 {DOTS4} \u2026 3456"),
        ("CF RSSMRA85T10A562S ok", "CF [codice fiscale] ok"),
        ("via Roma 12", "[indirizzo]"),
        ("12 Baker Street", "[address]"),
    ],
)
def test_mask_format(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(("number", "valid"), [c for c in CARDS if c[1]])
def test_mask_never_leaves_the_full_number(number: str, valid: bool) -> None:
    masked = mask_pii(f"carta {number} scade 12/27, tel 333 123 4567")
    digits = re.sub(r"\D", "", number)
    assert digits not in re.sub(r"\D", "", masked)
    assert "3331234567" not in re.sub(r"\D", "", masked)


def test_several_kinds_sorted_and_without_overlap() -> None:
    text = (
        "Sono Mario, CF RSSMRA85T10A562S, carta 5555 5555 5555 4444, IBAN DE89 3704 0044 0532"
        " 0130 00, tel +39 333 123 4567, mario@example.it, via Garibaldi 3"
    )
    found = find_pii(text)
    assert [m.kind for m in found] == ["tax_code", "card", "iban", "phone", "email", "address"]
    assert all(a.end <= b.start for a, b in pairwise(found))
    assert pii_kinds(text) == sorted(PII_KINDS)
    assert isinstance(found[0], PiiMatch)


@pytest.mark.parametrize(
    "hostile",
    [
        " ".join(str(i % 10_000) for i in range(200_000))[:1_000_000],
        "4" * 1_000_000,
        "1 " * 500_000,
        "1-" * 500_000,
        "a" * 999_999 + "@",
        "a." * 500_000 + "@example.it",
        "via Roma " * 100_000,
        "+39 " * 250_000,
        "\u200b1" * 500_000,
    ],
)
def test_hostile_text_is_bounded(hostile: str) -> None:
    # Only the first MAX_TEXT_CHARS characters are examined: a megabyte post costs what
    # its head costs (the speed itself is measured by `python -m monitoring bench`).
    head = hostile[:MAX_TEXT_CHARS]
    assert find_pii(hostile) == find_pii(head)
    masked = mask_pii(hostile)
    assert masked == mask_pii(head)
    assert len(masked) <= MAX_TEXT_CHARS


@pytest.mark.parametrize(
    ("lang", "kinds", "must_contain"),
    [
        ("it", ["card"], ["privato", "carta"]),
        ("it", ["iban", "phone"], ["IBAN", "telefono", "privato"]),
        ("en", ["email"], ["private message", "e-mail"]),
        ("en", [], ["private message"]),
        ("fr", ["tax_code"], ["tax code"]),
    ],
)
def test_private_channel_reply(lang: str, kinds: list[str], must_contain: list[str]) -> None:
    reply = private_channel_reply(lang, kinds)
    for word in must_contain:
        assert word in reply


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("(4111 1111 1111 1111)", ["card"]),
        ("carta:4111-1111-1111-1111.", ["card"]),
        ("x 4111 1111 1111 111", []),  # twelve digits after the first: too short
        ("IBAN:IT60X0542811101000000123456", ["iban"]),
        ("ab12 is not an iban", []),
        ("1 via Roma 12", ["address"]),
        ("scrivete a a@b.it", ["email"]),
        ("@acme ok", []),
        ("/333 123 4567", ["phone"]),  # checked again from the digits after the space
        ("tel.333 123 4567", ["phone"]),
    ],
)
def test_prechecks_do_not_hide_matches(text: str, kinds: list[str]) -> None:
    assert pii_kinds(text) == kinds
