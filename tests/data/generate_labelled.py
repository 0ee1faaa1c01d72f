"""Writes ``tests/data/chat_pii_labelled.jsonl``: synthetic, labelled chat messages for ``chatguard eval``.

    python tests/data/generate_labelled.py            # rewrite the committed file
    python tests/data/generate_labelled.py --check    # exit 1 if the committed file is stale

Deterministic (one seeded ``random.Random``; no set or dict-order dependence), so the committed
file is exactly what this script writes; tests/pipeline/test_evaluation.py checks that.

Every value is generated: names are random pairings from common-name lists, numbers are random
with valid checksums where the format has one (PESEL, NIP, REGON, ID card, IBAN, card Luhn),
US numbers are in 555-01xx, UK ones in Ofcom's drama ranges, URLs use example.* domains.

How the labels work
-------------------
A message is built piece by piece: literal text and values are appended in order and every
value's (start, end) is recorded at the moment it is appended, so offsets never come from
searching the finished text. Each label is then asserted: ``text[start:end] == value``.
Style transforms (lower case, no punctuation, typos, emoji) act on literal pieces only, or on a
value before its offsets are taken.

Labelling conventions (what a perfect redactor must cover):
- PERSON: the name as written, inflected Polish forms included ("Anną Kowalską"); a first name
  alone when that is all the message gives.
- EMAIL_ADDRESS: the whole address as typed, evasions included ("anna dot kowalska at wp dot pl").
- PHONE_NUMBER / CREDIT_CARD / IBAN_CODE: the whole number with its separators and country
  prefix; a Polish account number written without "PL" (NRB form) is an IBAN_CODE too.
- STREET_ADDRESS: street, number, flat, postcode and city, line breaks included.
- URL_PII: the whole URL of a link carrying personal data. A value that appears literally
  inside it (an e-mail, a PESEL, a phone number) is labelled as well, nested in the URL.
Plain links, order numbers, promo/bottle-cap codes, prices, times, dates, product and city
names are not personal data and carry no label: a redactor should leave them alone.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

SEED = 20261129
OUT = Path(__file__).with_name("chat_pii_labelled.jsonl")
PII_MESSAGES_PER_TEMPLATE = 24
PII_FREE_MESSAGES_PER_TEMPLATE = 22

# --------------------------------------------------------------------------------------------
# Names (with the Polish cases the templates use)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    nom: str
    gen: str
    ins: str


def _pl_female_first(nom: str) -> Name:
    stem = nom[:-1]
    if stem.endswith("i"):
        gen = stem + "i"  # Zofia -> Zofii
    elif stem.endswith(("k", "g")):
        gen = stem + "i"  # Monika -> Moniki
    else:
        gen = stem + "y"  # Anna -> Anny
    return Name(nom, gen, stem + "ą")


_PL_MALE_FIRST = {
    "Jan": ("Jana", "Janem"), "Piotr": ("Piotra", "Piotrem"), "Tomasz": ("Tomasza", "Tomaszem"),
    "Krzysztof": ("Krzysztofa", "Krzysztofem"), "Michał": ("Michała", "Michałem"),
    "Paweł": ("Pawła", "Pawłem"), "Marek": ("Marka", "Markiem"), "Andrzej": ("Andrzeja", "Andrzejem"),
    "Łukasz": ("Łukasza", "Łukaszem"), "Grzegorz": ("Grzegorza", "Grzegorzem"), "Jakub": ("Jakuba", "Jakubem"),
    "Kamil": ("Kamila", "Kamilem"), "Mateusz": ("Mateusza", "Mateuszem"), "Wojciech": ("Wojciecha", "Wojciechem"),
    "Adam": ("Adama", "Adamem"), "Bartosz": ("Bartosza", "Bartoszem"),
}
PL_MALE_FIRST = [Name(n, g, i) for n, (g, i) in _PL_MALE_FIRST.items()]
PL_FEMALE_FIRST = [
    _pl_female_first(n)
    for n in ["Anna", "Katarzyna", "Magdalena", "Agnieszka", "Małgorzata", "Zofia", "Maria", "Ewa",
              "Aleksandra", "Natalia", "Julia", "Karolina", "Monika", "Beata", "Dorota", "Marta"]
]
# Adjectival surnames: masculine -ski/-cki, feminine -ska/-cka.
PL_ADJ_SURNAMES = ["Kowalski", "Wiśniewski", "Lewandowski", "Zieliński", "Szymański", "Dąbrowski",
                   "Kozłowski", "Jankowski", "Wysocki", "Jabłoński", "Majewski", "Grabowski", "Zawadzki"]
PL_NOUN_SURNAMES = {  # masculine genitive, instrumental; feminine forms do not decline
    "Nowak": ("Nowaka", "Nowakiem"), "Wójcik": ("Wójcika", "Wójcikiem"), "Kaczmarek": ("Kaczmarka", "Kaczmarkiem"),
    "Mazur": ("Mazura", "Mazurem"), "Krawczyk": ("Krawczyka", "Krawczykiem"), "Pawlak": ("Pawlaka", "Pawlakiem"),
    "Michalak": ("Michalaka", "Michalakiem"), "Wieczorek": ("Wieczorka", "Wieczorkiem"), "Sikora": ("Sikory", "Sikorą"),
}
EN_FIRST_F = ["Emily", "Sarah", "Olivia", "Jessica", "Laura", "Hannah", "Megan", "Rachel", "Sophie", "Charlotte", "Amelia", "Grace"]
EN_FIRST_M = ["John", "Michael", "David", "Daniel", "Robert", "Thomas", "Matthew", "Andrew", "Peter", "Oliver", "Samuel", "Ryan"]
EN_LAST = ["Smith", "Johnson", "Brown", "Miller", "Wilson", "Davies", "Clarke", "Walker", "Harris", "Thompson",
           "Robinson", "Wright", "Hughes", "Edwards", "Fletcher", "Morgan", "Bennett", "Griffiths"]


def _pl_surname(nom_m: str, female: bool) -> Name:
    if nom_m in PL_NOUN_SURNAMES:
        gen, ins = PL_NOUN_SURNAMES[nom_m]
        if nom_m.endswith("a"):  # Sikora declines like a noun in both genders
            return Name(nom_m, gen, ins)
        return Name(nom_m, nom_m, nom_m) if female else Name(nom_m, gen, ins)
    stem = nom_m[:-1]  # Kowalsk / Wysock
    if female:
        return Name(stem + "a", stem + "iej", stem + "ą")
    return Name(nom_m, stem + "iego", stem + "im")


_TRANSLIT = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


@dataclass(frozen=True)
class Person:
    first: Name
    last: Name
    female: bool
    polish: bool

    def full(self, case: str = "nom") -> str:
        return f"{getattr(self.first, case)} {getattr(self.last, case)}"

    @property
    def ascii_first(self) -> str:
        return self.first.nom.translate(_TRANSLIT).lower()

    @property
    def ascii_last(self) -> str:
        return self.last.nom.translate(_TRANSLIT).lower()


def make_person(rng: random.Random, polish: bool) -> Person:
    female = rng.random() < 0.5
    if polish:
        first = rng.choice(PL_FEMALE_FIRST if female else PL_MALE_FIRST)
        last = _pl_surname(rng.choice(PL_ADJ_SURNAMES + list(PL_NOUN_SURNAMES)), female)
        return Person(first, last, female, True)
    first = rng.choice(EN_FIRST_F if female else EN_FIRST_M)
    last = rng.choice(EN_LAST)
    return Person(Name(first, first, first), Name(last, last, last), female, False)


# --------------------------------------------------------------------------------------------
# Identifiers with valid checksums
# --------------------------------------------------------------------------------------------


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return prefix + str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return luhn_complete(number[:-1]) == number


def pesel(rng: random.Random, female: bool) -> str:
    year = rng.randrange(1945, 2008)
    month = rng.randrange(1, 13)
    day = rng.randrange(1, 29)
    mm = month + (20 if year >= 2000 else 0)
    serial = digits(rng, 3)
    sex = rng.choice("02468" if female else "13579")
    body = f"{year % 100:02d}{mm:02d}{day:02d}{serial}{sex}"
    return body + str(pesel_check(body))


def pesel_check(body: str) -> int:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return (10 - sum(int(d) * w for d, w in zip(body, weights)) % 10) % 10


def nip(rng: random.Random) -> str:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        body = str(rng.randrange(101, 999)) + digits(rng, 6)
        check = sum(int(d) * w for d, w in zip(body, weights)) % 11
        if check != 10:
            return body + str(check)


def nip_valid(number: str) -> bool:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    return sum(int(d) * w for d, w in zip(number, weights)) % 11 == int(number[9])


def _regon_check(body: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(body, weights)) % 11 % 10)


def regon(rng: random.Random, long: bool = False) -> str:
    body = str(rng.randrange(1, 10)) + digits(rng, 7)
    nine = body + _regon_check(body, (8, 9, 2, 3, 4, 5, 6, 7))
    if not long:
        return nine
    body14 = nine + digits(rng, 4)
    return body14 + _regon_check(body14, (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8))


def regon_valid(number: str) -> bool:
    if len(number) == 9:
        return _regon_check(number[:8], (8, 9, 2, 3, 4, 5, 6, 7)) == number[8]
    return _regon_check(number[:13], (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)) == number[13]


_ID_WEIGHTS = (7, 3, 1, 9, 7, 3, 1, 7, 3)


def _id_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def id_card(rng: random.Random) -> str:
    """Polish ID card series + number: 3 letters, check digit, 5 digits."""
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
    rest = digits(rng, 5)
    partial = letters + "0" + rest
    total = sum(_id_value(c) * w for c, w in zip(partial, _ID_WEIGHTS))
    return letters + str(total % 10) + rest


def id_card_valid(value: str) -> bool:
    return sum(_id_value(c) * w for c, w in zip(value.upper(), _ID_WEIGHTS)) % 10 == 0


def iban(rng: random.Random, country: str) -> str:
    if country == "PL":
        bban = digits(rng, 24)
    elif country == "DE":
        bban = digits(rng, 18)
    elif country == "GB":
        bban = rng.choice(["NWBK", "BARC", "LOYD", "MIDL", "HBUK"]) + digits(rng, 14)
    else:
        raise ValueError(country)
    numeric = "".join(str(_id_value(c)) for c in bban + country) + "00"
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def iban_valid(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(_id_value(c)) for c in rearranged)) % 97 == 1


def group(value: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


# --------------------------------------------------------------------------------------------
# Pieces: a value's text plus its labels relative to the piece
# --------------------------------------------------------------------------------------------


@dataclass
class Piece:
    text: str
    labels: list[tuple[int, int, str]] = field(default_factory=list)

    @classmethod
    def of(cls, text: str, entity: str | None) -> Piece:
        return cls(text, [(0, len(text), entity)] if entity else [])


@dataclass
class Ctx:
    rng: random.Random
    lang: str
    person: Person
    lower: bool
    no_diacritics: bool = False
    memo: dict[str, Piece] = field(default_factory=dict)


ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
SHY = "\u00ad"
CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "x": "\u0445", "y": "\u0443", "i": "\u0456"}
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"+": "\uff0b", "-": "\uff0d", " ": " "}


def insert_invisible(rng: random.Random, value: str, count: int = 1, chars: list[str] | None = None) -> str:
    """Invisible characters between two visible characters of the value (never at its ends)."""
    positions = sorted(rng.sample(range(1, len(value)), min(count, len(value) - 1)), reverse=True)
    for p in positions:
        value = value[:p] + rng.choice(chars or ZW + [SHY]) + value[p:]
    return value


# ---- names -----------------------------------------------------------------------------------


def _cased(ctx: Ctx, text: str) -> str:
    """A value typed in the message's style: all lower case, or without Polish diacritics."""
    if ctx.no_diacritics:
        text = text.translate(_TRANSLIT)
    return text.lower() if ctx.lower else text


def s_name(ctx: Ctx) -> Piece:
    return Piece.of(_cased(ctx, ctx.person.full()), "PERSON")


def s_name_lc(ctx: Ctx) -> Piece:
    return Piece.of(ctx.person.full().lower(), "PERSON")


def s_first(ctx: Ctx) -> Piece:
    return Piece.of(_cased(ctx, ctx.person.first.nom), "PERSON")


def s_name_gen(ctx: Ctx) -> Piece:
    return Piece.of(_cased(ctx, ctx.person.full("gen")), "PERSON")


def s_name_ins(ctx: Ctx) -> Piece:
    return Piece.of(_cased(ctx, ctx.person.full("ins")), "PERSON")


def s_other_name(ctx: Ctx) -> Piece:
    """A second person (a recipient, a colleague), same origin as the sender."""
    other = make_person(ctx.rng, ctx.person.polish)
    return Piece.of(_cased(ctx, other.full()), "PERSON")


# ---- e-mail ----------------------------------------------------------------------------------

PL_DOMAINS = ["wp.pl", "onet.pl", "o2.pl", "interia.pl", "gmail.com", "op.pl", "poczta.fm", "example.pl"]
EN_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.co.uk", "icloud.com", "example.com", "example.org", "protonmail.com"]


def _local_part(ctx: Ctx) -> str:
    p, rng = ctx.person, ctx.rng
    return rng.choice([
        f"{p.ascii_first}.{p.ascii_last}",
        f"{p.ascii_first}{p.ascii_last}",
        f"{p.ascii_first[0]}.{p.ascii_last}",
        f"{p.ascii_first}_{p.ascii_last}",
        f"{p.ascii_first}.{p.ascii_last}{rng.randrange(70, 100)}",
        f"{p.ascii_first}{rng.randrange(1970, 2006)}",
        f"{p.ascii_last}.{p.ascii_first}",
        f"{p.ascii_first[0]}{p.ascii_last}{rng.randrange(1, 99)}",
    ])


def _domain(ctx: Ctx) -> str:
    return ctx.rng.choice(PL_DOMAINS if ctx.lang == "pl" else EN_DOMAINS)


def email_value(ctx: Ctx) -> str:
    if "email" not in ctx.memo:
        ctx.memo["email"] = Piece(f"{_local_part(ctx)}@{_domain(ctx)}")
    return ctx.memo["email"].text


def s_email(ctx: Ctx) -> Piece:
    value = email_value(ctx)
    if ctx.rng.random() < 0.1 and not ctx.lower:
        value = value[0].upper() + value[1:]
    return Piece.of(value, "EMAIL_ADDRESS")


def s_email_evasion(ctx: Ctx) -> Piece:
    rng = ctx.rng
    local, domain = email_value(ctx).split("@")
    name, _, tld = domain.rpartition(".")
    spoken_dot = lambda s, word: s.replace(".", f" {word} ")  # noqa: E731
    pl = ctx.lang == "pl"
    kind = rng.choice(["dot_at", "paren", "bracket", "malpa" if pl else "dot_at", "at_only", "spaced", "zw", "shy", "cyrillic", "cyrillic", "zw"])
    if kind == "dot_at":
        value = f"{spoken_dot(local, 'dot')} at {spoken_dot(name, 'dot')} dot {tld}"
    elif kind == "paren":
        value = f"{local}(at){name.replace('.', '(dot)')}(dot){tld}"
    elif kind == "bracket":
        value = f"{local} [at] {name.replace('.', ' [dot] ')} [dot] {tld}"
    elif kind == "malpa":
        value = f"{spoken_dot(local, 'kropka')} małpa {spoken_dot(name, 'kropka')} kropka {tld}"
    elif kind == "at_only":
        value = f"{local} at {domain}"
    elif kind == "spaced":
        value = f"{local} @ {domain}"
    elif kind == "zw":
        value = insert_invisible(rng, f"{local}@{domain}", rng.randrange(1, 3), ZW)
    elif kind == "shy":
        value = insert_invisible(rng, f"{local}@{domain}", 1, [SHY])
    else:  # Cyrillic lookalikes inside the local part
        swappable = [i for i, ch in enumerate(local) if ch in CYRILLIC]
        chars = list(local)
        for i in rng.sample(swappable, min(len(swappable), rng.randrange(1, 3))) if swappable else []:
            chars[i] = CYRILLIC[chars[i]]
        value = "".join(chars) + "@" + domain
    return Piece.of(value, "EMAIL_ADDRESS")


# ---- phones ----------------------------------------------------------------------------------

PL_MOBILE = ("500", "501", "502", "504", "509", "510", "511", "530", "533", "570", "600", "601", "602", "603",
             "605", "606", "660", "661", "665", "691", "692", "695", "721", "725", "730", "790", "798", "880", "881", "887")
PL_LANDLINE_AREA = ("22", "12", "42", "71", "61", "58", "91", "81", "32", "85")
US_AREA = ("212", "646", "415", "312", "617", "202", "305", "206", "718", "503")


def _pl_mobile_digits(ctx: Ctx) -> str:
    if "pl_mobile" not in ctx.memo:
        ctx.memo["pl_mobile"] = Piece(ctx.rng.choice(PL_MOBILE) + digits(ctx.rng, 6))
    return ctx.memo["pl_mobile"].text


def s_phone_pl(ctx: Ctx) -> Piece:
    rng = ctx.rng
    d = _pl_mobile_digits(ctx)
    a, b, c = d[:3], d[3:6], d[6:]
    if rng.random() < 0.15:  # landline
        area = rng.choice(PL_LANDLINE_AREA)
        n = digits(rng, 7)
        value = rng.choice([f"{area} {n[:3]} {n[3:5]} {n[5:]}", f"({area}) {n[:3]} {n[3:5]} {n[5:]}",
                            f"+48 {area} {n[:3]} {n[3:5]} {n[5:]}", f"{area}-{n[:3]}-{n[3:5]}-{n[5:]}"])
    else:
        value = rng.choice([f"+48 {a} {b} {c}", f"+48 {a}-{b}-{c}", f"+48{d}", f"0048 {a} {b} {c}", f"{a} {b} {c}",
                            f"{a}-{b}-{c}", d, f"(+48) {a} {b} {c}", f"+48 {d}", f"{a} {b} {c}"])
    return Piece.of(value, "PHONE_NUMBER")


def s_phone_en(ctx: Ctx) -> Piece:
    rng = ctx.rng
    if rng.random() < 0.3:  # UK, Ofcom drama ranges
        if rng.random() < 0.6:
            n = f"{rng.randrange(0, 1000):03d}"
            value = rng.choice([f"+44 7700 900{n}", f"07700 900{n}", f"07700900{n}", f"+447700900{n}"])
        else:
            n = f"{rng.randrange(0, 1000):03d}"
            value = rng.choice([f"020 7946 0{n}", f"+44 20 7946 0{n}"])
        return Piece.of(value, "PHONE_NUMBER")
    area, line = rng.choice(US_AREA), f"01{rng.randrange(0, 100):02d}"
    value = rng.choice([f"({area}) 555-{line}", f"+1 {area} 555 {line}", f"{area}-555-{line}", f"{area}.555.{line}",
                        f"+1 ({area}) 555-{line}", f"1-{area}-555-{line}", f"{area} 555 {line}", f"+1{area}555{line}"])
    return Piece.of(value, "PHONE_NUMBER")


def s_phone(ctx: Ctx) -> Piece:
    return s_phone_pl(ctx) if ctx.lang == "pl" or ctx.rng.random() < 0.3 else s_phone_en(ctx)


def s_phone_evasion(ctx: Ctx) -> Piece:
    rng = ctx.rng
    d = _pl_mobile_digits(ctx)
    kind = rng.choice(["spaced", "dots", "odd", "odd", "fullwidth", "fullwidth_plus", "zw", "dashes_spaced", "slash"])
    if kind == "spaced":
        value = " ".join(d)
    elif kind == "dots":
        value = f"{d[:3]}.{d[3:6]}.{d[6:]}"
    elif kind == "odd":
        value = rng.choice([f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", f"{d[:4]} {d[4:7]} {d[7:]}", f"{d[:2]}-{d[2:5]}-{d[5:]}",
                            f"{d[:1]} {d[1:5]} {d[5:]}", f"{d[:3]}  {d[3:6]}  {d[6:]}", f"+48-{d[:3]}.{d[3:6]}.{d[6:]}"])
    elif kind == "fullwidth":
        value = "".join(FULLWIDTH[ch] for ch in d)
    elif kind == "fullwidth_plus":
        value = "".join(FULLWIDTH[ch] for ch in f"+48 {d[:3]} {d[3:6]} {d[6:]}")
    elif kind == "zw":
        value = insert_invisible(rng, f"{d[:3]} {d[3:6]} {d[6:]}".replace(" ", rng.choice(["", " "])), rng.randrange(1, 4))
    elif kind == "dashes_spaced":
        value = f"{d[:3]} - {d[3:6]} - {d[6:]}"
    else:
        value = f"{d[:3]}/{d[3:6]}/{d[6:]}"
    return Piece.of(value, "PHONE_NUMBER")


# ---- cards, IBANs, IPs -----------------------------------------------------------------------


def card_digits(ctx: Ctx) -> str:
    rng = ctx.rng
    kind = rng.random()
    if kind < 0.5:
        return luhn_complete("4" + digits(rng, 14))
    if kind < 0.85:
        return luhn_complete(str(rng.randrange(51, 56)) + digits(rng, 13))
    return luhn_complete(rng.choice(["34", "37"]) + digits(rng, 12))


def s_card(ctx: Ctx) -> Piece:
    rng = ctx.rng
    d = card_digits(ctx)
    if len(d) == 15:
        value = rng.choice([f"{d[:4]} {d[4:10]} {d[10:]}", d, f"{d[:4]}-{d[4:10]}-{d[10:]}"])
    else:
        value = rng.choice([group(d), group(d), d, group(d, sep="-"), group(d, sep="  ")])
    return Piece.of(value, "CREDIT_CARD")


def s_card_evasion(ctx: Ctx) -> Piece:
    rng = ctx.rng
    d = luhn_complete("4" + digits(rng, 14))
    kind = rng.choice(["dots", "zw", "fullwidth", "pairs", "slash"])
    if kind == "dots":
        value = group(d, sep=".")
    elif kind == "zw":
        value = insert_invisible(rng, group(d), 2)
    elif kind == "fullwidth":
        value = "".join(FULLWIDTH[ch] for ch in group(d))
    elif kind == "pairs":
        value = group(d, 2)
    else:
        value = group(d, sep=" / ")
    return Piece.of(value, "CREDIT_CARD")


def s_iban_pl(ctx: Ctx) -> Piece:
    rng = ctx.rng
    value = iban(rng, "PL")
    style = rng.choice(["grouped", "compact", "nrb", "nrb_compact", "grouped", "nrb"])
    if style == "grouped":
        value = group(value)
    elif style == "nrb":  # the domestic form: check digits + BBAN, no country code
        value = value[2:4] + " " + group(value[4:])
    elif style == "nrb_compact":
        value = value[2:]
    if ctx.lower:
        value = value.lower()
    return Piece.of(value, "IBAN_CODE")


def s_iban_en(ctx: Ctx) -> Piece:
    rng = ctx.rng
    value = iban(rng, rng.choice(["GB", "GB", "DE", "PL"]))
    value = group(value) if rng.random() < 0.6 else value
    return Piece.of(value.lower() if ctx.lower else value, "IBAN_CODE")


def s_iban_evasion(ctx: Ctx) -> Piece:
    rng = ctx.rng
    value = iban(rng, "PL")
    kind = rng.choice(["zw", "dashes", "odd_spaces"])
    if kind == "zw":
        value = insert_invisible(rng, group(value), 2)
    elif kind == "dashes":
        value = group(value, sep="-")
    else:
        value = group(value, 2)
    return Piece.of(value, "IBAN_CODE")


def s_ip(ctx: Ctx) -> Piece:
    rng = ctx.rng
    kind = rng.random()
    if kind < 0.35:
        value = f"{rng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randrange(1, 255)}"
    elif kind < 0.55:
        value = rng.choice([f"10.{rng.randrange(256)}.{rng.randrange(256)}", f"172.{rng.randrange(16, 32)}.{rng.randrange(256)}",
                            f"192.168.{rng.randrange(256)}"]) + f".{rng.randrange(1, 255)}"
    elif kind < 0.85:
        value = ".".join(str(x) for x in (rng.randrange(31, 223), rng.randrange(0, 256), rng.randrange(0, 256), rng.randrange(1, 255)))
    else:
        value = f"2001:db8:{rng.randrange(0, 0xffff):x}::{rng.randrange(1, 0xffff):x}"
    return Piece.of(value, "IP_ADDRESS")


# ---- Polish identifiers ----------------------------------------------------------------------


def pesel_value(ctx: Ctx) -> str:
    if "pesel" not in ctx.memo:
        ctx.memo["pesel"] = Piece(pesel(ctx.rng, ctx.person.female))
    return ctx.memo["pesel"].text


def s_pesel(ctx: Ctx) -> Piece:
    return Piece.of(pesel_value(ctx), "PL_PESEL")


def s_pesel_evasion(ctx: Ctx) -> Piece:
    rng = ctx.rng
    v = pesel_value(ctx)
    kind = rng.choice(["zw", "spaced", "split", "fullwidth", "dashes"])
    if kind == "zw":
        value = insert_invisible(rng, v, rng.randrange(1, 3))
    elif kind == "spaced":
        value = " ".join(v)
    elif kind == "split":
        value = f"{v[:6]} {v[6:]}"
    elif kind == "fullwidth":
        value = "".join(FULLWIDTH[ch] for ch in v)
    else:
        value = f"{v[:2]}-{v[2:4]}-{v[4:6]}-{v[6:]}"
    return Piece.of(value, "PL_PESEL")


def s_nip(ctx: Ctx) -> Piece:
    rng = ctx.rng
    v = nip(rng)
    value = rng.choice([f"{v[:3]}-{v[3:6]}-{v[6:8]}-{v[8:]}", f"{v[:3]}-{v[3:5]}-{v[5:7]}-{v[7:]}", v, f"PL{v}", f"{v[:3]} {v[3:6]} {v[6:8]} {v[8:]}"])
    return Piece.of(value, "PL_NIP")


def s_regon(ctx: Ctx) -> Piece:
    return Piece.of(regon(ctx.rng, long=ctx.rng.random() < 0.25), "PL_REGON")


def s_id_card(ctx: Ctx) -> Piece:
    rng = ctx.rng
    v = id_card(rng)
    value = rng.choice([v, v, f"{v[:3]} {v[3:]}", v.lower() if ctx.lower else v])
    return Piece.of(value, "PL_ID_CARD")


# ---- addresses -------------------------------------------------------------------------------

PL_STREETS = {
    "ul.": ["Długa", "Krótka", "Polna", "Leśna", "Słoneczna", "Mickiewicza", "Kościuszki", "Ogrodowa", "Lipowa",
            "Kwiatowa", "Szkolna", "Marszałkowska", "Piotrkowska", "Wrocławska", "Zielona", "Brzozowa", "Kolejowa",
            "Sienkiewicza", "Chopina", "Mostowa"],
    "al.": ["Jerozolimskie", "Niepodległości", "Solidarności", "Grunwaldzka", "Pokoju", "Wojska Polskiego"],
    "os.": ["Tysiąclecia", "Kolorowe", "Słoneczne", "Piastów", "Zielone Wzgórza"],
    "pl.": ["Grunwaldzki", "Wolności", "Kościelny", "Bankowy", "Zbawiciela"],
}
PL_CITIES = ["Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Szczecin", "Lublin", "Katowice", "Białystok",
             "Gdynia", "Toruń", "Rzeszów", "Kielce", "Olsztyn", "Opole", "Bydgoszcz", "Radom", "Sopot", "Zakopane"]
EN_STREETS = ["Oak", "Maple", "Elm", "High", "Church", "Station", "Park", "Mill", "Victoria", "Queen", "King", "Bridge",
              "Green", "Chestnut", "Willow", "Cedar", "Riverside", "Orchard"]
EN_SUFFIX = ["Street", "St", "St.", "Road", "Rd", "Avenue", "Ave", "Lane", "Drive", "Close", "Way"]
UK_TOWNS = [("Leeds", "LS"), ("Manchester", "M"), ("Bristol", "BS"), ("London", "SE"), ("York", "YO"), ("Norwich", "NR"), ("Cardiff", "CF")]
US_TOWNS = [("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Madison", "WI"), ("Denver", "CO"), ("Columbus", "OH"), ("Boston", "MA")]


def _pl_number(rng: random.Random) -> str:
    n = str(rng.randrange(1, 180))
    if rng.random() < 0.15:
        n += rng.choice("ABC")
    flat = rng.randrange(1, 90)
    return rng.choice([n, f"{n}/{flat}", f"{n}/{flat}", f"{n} m. {flat}", f"{n} lok. {flat}", f"{n} m {flat}"])


def s_addr_pl(ctx: Ctx) -> Piece:
    rng = ctx.rng
    prefix = rng.choice(["ul.", "ul.", "ul.", "al.", "os.", "pl."])
    street = rng.choice(PL_STREETS[prefix])
    number = _pl_number(rng)
    postcode = f"{rng.randrange(0, 100):02d}-{rng.randrange(0, 1000):03d}"
    city = rng.choice(PL_CITIES)
    style = rng.choice(["comma", "comma", "comma", "nocomma", "newline", "ulica", "city_first", "noprefix"])
    if style == "comma":
        value = f"{prefix} {street} {number}, {postcode} {city}"
    elif style == "nocomma":
        value = f"{prefix} {street} {number} {postcode} {city}"
    elif style == "newline":
        value = f"{prefix} {street} {number}\n{postcode} {city}"
    elif style == "ulica":
        word = {"ul.": "ulica", "al.": "aleja", "os.": "osiedle", "pl.": "plac"}[prefix]
        value = f"{word} {street} {number}, {city} {postcode}"
    elif style == "city_first":
        value = f"{postcode} {city}, {prefix} {street} {number}"
    else:
        value = f"{street} {number}, {postcode} {city}"
    return Piece.of(_cased(ctx, value), "STREET_ADDRESS")


def s_addr_en(ctx: Ctx) -> Piece:
    rng = ctx.rng
    street = f"{rng.randrange(1, 990)} {rng.choice(EN_STREETS)} {rng.choice(EN_SUFFIX)}"
    if rng.random() < 0.25:
        street += rng.choice([f", Apt {rng.randrange(1, 30)}{rng.choice('ABCD')}", f", Flat {rng.randrange(1, 30)}", f" #{rng.randrange(1, 400)}"])
    if rng.random() < 0.5:
        town, area = rng.choice(UK_TOWNS)
        postcode = f"{area}{rng.randrange(1, 20)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        value = f"{street}, {town} {postcode}" if rng.random() < 0.7 else f"{street}\n{town}\n{postcode}"
    else:
        town, state = rng.choice(US_TOWNS)
        value = f"{street}, {town}, {state} {rng.randrange(10000, 99999)}"
    return Piece.of(_cased(ctx, value), "STREET_ADDRESS")


def s_addr(ctx: Ctx) -> Piece:
    return s_addr_pl(ctx) if ctx.lang == "pl" else s_addr_en(ctx)


# ---- URLs carrying personal data -------------------------------------------------------------


def s_url_pii(ctx: Ctx) -> Piece:
    rng = ctx.rng
    host = rng.choice(["https://sklep.example.pl", "https://shop.example.com", "http://www.example.com", "https://portal.example.pl",
                       "https://track.example.net", "https://app.example.org"])
    kind = rng.choice(["email", "email", "email_enc", "pesel", "phone", "user_path", "token_user"])
    prefix = host + rng.choice(["/track", "/orders/status", "/konto/reset", "/newsletter/unsubscribe", "/r", "/form"])
    nested: list[tuple[int, int, str]] = []
    if kind == "email":
        head = prefix + rng.choice(["?email=", "?e=", "?login=", "?order=" + str(rng.randrange(10000, 99999)) + "&email="])
        value = email_value(ctx)
        nested.append((len(head), len(head) + len(value), "EMAIL_ADDRESS"))
        url = head + value + rng.choice(["", "&lang=pl", "&utm_source=newsletter"])
    elif kind == "email_enc":
        url = prefix + "?email=" + email_value(ctx).replace("@", "%40")
    elif kind == "pesel":
        head = host + "/pacjent?pesel="
        value = pesel_value(ctx)
        nested.append((len(head), len(head) + len(value), "PL_PESEL"))
        url = head + value
    elif kind == "phone":
        head = prefix + "?phone="
        value = "48" + _pl_mobile_digits(ctx)
        nested.append((len(head), len(head) + len(value), "PHONE_NUMBER"))
        url = head + value + "&src=chat"
    elif kind == "user_path":
        url = f"{host}/profil/{ctx.person.ascii_first}.{ctx.person.ascii_last}"
    else:
        url = f"{prefix}?token={rng.getrandbits(64):016x}&user={ctx.person.ascii_first}.{ctx.person.ascii_last}"
    return Piece(url, [(0, len(url), "URL_PII")] + nested)


# ---- non-PII values (no label) ---------------------------------------------------------------


def _code_letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def n_order(ctx: Ctx) -> Piece:
    rng = ctx.rng
    n = rng.randrange(10000, 9999999)
    return Piece(rng.choice([str(n), f"#{n}", f"ZAM/2026/{rng.randrange(1, 13):02d}/{n % 100000}", f"A-{n}", f"{n}"]))


def n_promo(ctx: Ctx) -> Piece:
    rng = ctx.rng
    return Piece(rng.choice([
        f"{_code_letters(rng, 3)}-{rng.randrange(1000, 9999)}-{_code_letters(rng, 2)}",
        f"{_code_letters(rng, 2)}{rng.randrange(10, 99)}-{_code_letters(rng, 2)}{rng.randrange(10, 99)}",
        f"{_code_letters(rng, 4)}-{_code_letters(rng, 4)}",
        f"{_code_letters(rng, 1)}{rng.randrange(1, 9)}{_code_letters(rng, 1)}{rng.randrange(1, 9)}-{_code_letters(rng, 1)}{rng.randrange(1, 9)}{_code_letters(rng, 2)}",
        f"LATO{rng.randrange(10, 50)}", f"WELCOME{rng.randrange(5, 30)}",
    ]))


def n_price(ctx: Ctx) -> Piece:
    rng = ctx.rng
    zl, gr = rng.randrange(1, 400), rng.choice([0, 49, 99, 50, 29, 79])
    if ctx.lang == "pl":
        return Piece(rng.choice([f"{zl},{gr:02d} zł", f"{zl},{gr:02d} PLN", f"{zl} zł", f"{zl},{gr:02d}zł", f"1 {zl:03d},00 zł"]))
    return Piece(rng.choice([f"${zl}.{gr:02d}", f"£{zl}.{gr:02d}", f"{zl}.{gr:02d} EUR", f"${zl}", f"{zl}.{gr:02d} USD"]))


def n_time(ctx: Ctx) -> Piece:
    rng = ctx.rng
    h, m = rng.randrange(7, 22), rng.choice([0, 15, 30, 45])
    if ctx.lang == "pl":
        return Piece(rng.choice([f"{h}:{m:02d}", f"{h}", f"{h}.{m:02d}", f"{h}:{m:02d}"]))
    return Piece(rng.choice([f"{h}:{m:02d}", f"{h % 12 or 12}{'am' if h < 12 else 'pm'}", f"{h % 12 or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"]))


PL_MONTHS = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def n_date(ctx: Ctx) -> Piece:
    rng = ctx.rng
    d, mo = rng.randrange(1, 29), rng.randrange(1, 13)
    if ctx.lang == "pl":
        return Piece(rng.choice([f"{d:02d}.{mo:02d}.2026", f"{d} {PL_MONTHS[mo - 1]}", f"{d}.{mo:02d}", "jutro", "w poniedziałek", "w przyszłym tygodniu"]))
    return Piece(rng.choice([f"{EN_MONTHS[mo - 1]} {d}", f"{d}/{mo}/2026", f"2026-{mo:02d}-{d:02d}", "tomorrow", "next Tuesday", f"the {d}th"]))


# Forms that read the same in the nominative and the accusative, so every template agrees.
PL_PRODUCTS = ["Żywiec Zdrój 1,5 l", "sok Kubuś 300 ml", "ekspres do kawy", "słuchawki bezprzewodowe", "czajnik elektryczny",
               "zestaw garnków", "odkurzacz pionowy", "kapsułki do prania", "buty do biegania 42", "krem do rąk",
               "płyn do naczyń", "szampon 400 ml", "zegarek sportowy", "plecak szkolny", "ręcznik plażowy"]
EN_PRODUCTS = ["the 0.5 l bottle", "wireless earbuds", "the blue hoodie in size M", "a 12-pack of sparkling water", "the coffee grinder",
               "the kettle", "running shoes size 9", "the USB-C charger", "a yoga mat", "the air fryer", "the phone case", "dog food 10 kg",
               "the desk lamp", "a winter jacket", "the gift card"]


def n_product(ctx: Ctx) -> Piece:
    return Piece(ctx.rng.choice(PL_PRODUCTS if ctx.lang == "pl" else EN_PRODUCTS))


def n_qty(ctx: Ctx) -> Piece:
    return Piece(str(ctx.rng.randrange(2, 12)))


def n_city(ctx: Ctx) -> Piece:
    rng = ctx.rng
    return Piece(rng.choice(["Krakowie", "Gdańsku", "Poznaniu", "Łodzi", "Warszawie", "Wrocławiu"]) if ctx.lang == "pl"
                 else rng.choice(["Manchester", "Berlin", "Canada", "Ireland", "Chicago", "Prague"]))


def n_tracking(ctx: Ctx) -> Piece:
    rng = ctx.rng
    return Piece(rng.choice([digits(rng, 24), f"PX{digits(rng, 10)}PL", f"1Z{_code_letters(rng, 3)}{digits(rng, 11)}", f"{digits(rng, 4)}-{digits(rng, 4)}"]))


def n_link(ctx: Ctx) -> Piece:
    rng = ctx.rng
    return Piece(rng.choice(["https://sklep.example.pl/promocje", "https://www.example.com/help/returns", "https://example.pl/regulamin",
                             f"https://shop.example.com/p/{rng.randrange(1000, 99999)}", "www.example.pl/konkurs", f"https://example.com/blog/{rng.randrange(2020, 2027)}/winter-sale"]))


def n_invoice(ctx: Ctx) -> Piece:
    rng = ctx.rng
    return Piece(rng.choice([f"FV/{rng.randrange(1, 999)}/11/2026", f"INV-{rng.randrange(10000, 99999)}", f"F-2026-{rng.randrange(100, 9999):04d}"]))


def n_percent(ctx: Ctx) -> Piece:
    return Piece(f"{ctx.rng.choice([5, 10, 15, 20, 25, 30, 50])}%")


SLOTS: dict[str, Callable[[Ctx], Piece]] = {
    "name": s_name, "name_lc": s_name_lc, "first": s_first, "name_gen": s_name_gen, "name_ins": s_name_ins,
    "other_name": s_other_name,
    "email": s_email, "email_ev": s_email_evasion,
    "phone": s_phone, "phone_pl": s_phone_pl, "phone_en": s_phone_en, "phone_ev": s_phone_evasion,
    "card": s_card, "card_ev": s_card_evasion,
    "iban_pl": s_iban_pl, "iban_en": s_iban_en, "iban_ev": s_iban_evasion,
    "ip": s_ip,
    "pesel": s_pesel, "pesel_ev": s_pesel_evasion, "nip": s_nip, "regon": s_regon, "id_card": s_id_card,
    "addr": s_addr, "addr_pl": s_addr_pl, "addr_en": s_addr_en,
    "url_pii": s_url_pii,
    "order": n_order, "promo": n_promo, "price": n_price, "time": n_time, "date": n_date, "product": n_product,
    "qty": n_qty, "city": n_city, "tracking": n_tracking, "link": n_link, "invoice": n_invoice, "percent": n_percent,
}

# --------------------------------------------------------------------------------------------
# Templates: (lang, text). Literal text is restyled; {slots} are values.
# --------------------------------------------------------------------------------------------

PII_TEMPLATES: list[tuple[str, str]] = [
    # --- English, names in chat phrasing
    ("en", "Hi, my name is {name} and my phone number is {phone}"),
    ("en", "hey im {first}, can u call me back on {phone_en}"),
    ("en", "Hello, this is {name}. My email is {email} and my number is {phone}"),
    ("en", "I'm {name} - I placed order {order} yesterday, please reply to {email}"),
    ("en", "Good afternoon. This is {name} writing about invoice {invoice}. Kind regards, {first}"),
    ("en", "Thanks so much! Best, {name_lc}"),
    ("en", "Can you transfer me to {other_name}? They handled my case last week. I'm {name}."),
    ("en", "Dear support team, my name is {name} and I live at {addr_en}. The parcel never arrived."),
    # --- English, contact details
    ("en", "You can reach me at {email}, thanks!"),
    ("en", "pls email me at {email} or text {phone}"),
    ("en", "My new number is {phone_en}, the old one doesn't work anymore"),
    ("en", "Call me back on {phone} after {time} please"),
    ("en", "email: {email}\nphone: {phone_en}\nname: {name}"),
    ("en", "my email is {email_ev} (dont want bots to see it lol)"),
    ("en", "text me on {phone_ev} ok?"),
    # --- English, payments
    ("en", "Please charge my card {card}, name on card {name}"),
    ("en", "the card number is {card} exp 08/27"),
    ("en", "I was charged twice on {card}!! refund it please"),
    ("en", "My IBAN is {iban_en}, the refund should go there"),
    ("en", "Refund to account {iban_en} (account holder: {name}) please."),
    ("en", "card: {card_ev}"),
    # --- English, technical
    ("en", "The login failed from {ip}, can you check?"),
    ("en", "my router shows {ip} and the app still says offline"),
    ("en", "Track here: {url_pii}"),
    ("en", "this link from your email doesn't work {url_pii}"),
    # --- English, addresses & winners
    ("en", "I won the contest! I'm {name}, send the prize to {addr_en}"),
    ("en", "Ship it to {addr_en} please, I won't be home before {time}"),
    ("en", "WINNER DETAILS: {name}, {addr_en}, tel {phone_en}, email {email}"),
    ("en", "I moved, my new address is {addr_en}"),
    # --- Polish, names in chat phrasing
    ("pl", "Dzień dobry, nazywam się {name} i {g:chciałabym|chciałbym} zapytać o zamówienie {order}"),
    ("pl", "Cześć, mam na imię {first}, mój numer to {phone_pl}"),
    ("pl", "{name} z tej strony, proszę o kontakt pod numerem {phone_pl}"),
    ("pl", "Witam, tu {name}. Mój e-mail to {email}"),
    ("pl", "Z poważaniem,\n{name}"),
    ("pl", "{g:Rozmawiałam|Rozmawiałem} wczoraj z {name_ins} z działu reklamacji, miał(a) oddzwonić"),
    ("pl", "Paczka jest zaadresowana do {name_gen}, czy sąsiad może ją odebrać?"),
    ("pl", "pozdrawiam {name_lc}"),
    ("pl", "nazywam sie {name_lc} i nie {g:dostałam|dostałem} jeszcze paczki"),
    ("pl", "Proszę przekazać sprawę do {name_gen}, to mój doradca"),
    # --- Polish, contact details
    ("pl", "Mój numer telefonu: {phone_pl}, dzwonić po {time}"),
    ("pl", "prosze o kontakt mailowy {email}"),
    ("pl", "maila mam taki: {email_ev}"),
    ("pl", "Mój adres e-mail: {email_ev}, proszę pisać tam"),
    ("en", "contact me: {email_ev}"),
    ("pl", "zadzwoń na {phone_ev} jak coś"),
    ("pl", "Dane do kontaktu: {name}, tel. {phone_pl}, e-mail: {email}"),
    ("pl", "numer do mnie {phone_pl} albo {phone_ev}"),
    # --- Polish, identifiers & payments
    ("pl", "{g:Wygrałam|Wygrałem}! {name}, {addr_pl}, PESEL {pesel}"),
    ("pl", "Dane zwycięzcy: {name}\n{addr_pl}\nPESEL: {pesel}\nnr dowodu: {id_card}"),
    ("pl", "mój pesel to {pesel_ev}"),
    ("pl", "Proszę o zwrot na konto {iban_pl}"),
    ("pl", "nr konta do zwrotu {iban_pl} właściciel {name}"),
    ("pl", "Faktura na firmę: NIP {nip}, REGON {regon}"),
    ("pl", "Dane do faktury: {name}, NIP {nip}, {addr_pl}"),
    ("pl", "Numer dowodu osobistego {id_card}, PESEL {pesel}"),
    ("pl", "{g:Zapłaciłam|Zapłaciłem} kartą {card} i pieniądze zeszły dwa razy"),
    ("pl", "karta {card_ev} nie przechodzi"),
    ("pl", "konto: {iban_ev}"),
    ("pl", "{g:Logowałam|Logowałem} się z IP {ip} i {g:dostałam|dostałem} blokadę"),
    ("pl", "link z maila nie działa: {url_pii}"),
    # --- Polish, addresses
    ("pl", "Proszę wysłać nagrodę na adres: {addr_pl}"),
    ("pl", "{g:zmieniłam|zmieniłem} adres, teraz mieszkam {addr_pl}"),
    ("pl", "Adres dostawy: {addr_pl}, {name}, tel. {phone_pl}"),
    ("pl", "czy kurier może przyjechać na {addr_pl} po {time}?"),
    # --- mixed language
    ("pl", "Hi, nazywam się {name}, my number is {phone_pl}"),
    ("pl", "hello, mój mail to {email} thanks"),
    ("en", "Sorry for my English. I am {name}, address {addr_pl}, PESEL {pesel}"),
    ("en", "ok so my number {phone_pl} i'm {first} btw 🙂"),
    ("pl", "Dzień dobry, I won the nakrętka contest, {name}, {addr_pl}, kod {promo}"),
    ("en", "Refund please to {iban_pl}, name {name}, NIP {nip}"),
    # --- PII next to look-alike non-PII values
    ("pl", "Kod z nakrętki {promo}, dane: {name}, tel {phone_pl}, mail {email}"),
    ("en", "Bottle cap code {promo} - winner {name}, email {email}, phone {phone_en}"),
    ("pl", "zamówienie nr {order} na {price}, oddzwońcie na {phone_pl}"),
    ("en", "Order {order} ({price}) - please call {phone_en} before {time}"),
    # --- more of the types a 0.5 % target needs a few hundred of
    ("en", "Our office IP {ip} is blocked by your firewall"),
    ("en", "please whitelist {ip} and {ip}, thanks"),
    ("en", "VPN gave me {ip} and now the site says access denied"),
    ("en", "error 403 from ip {ip} at {time}"),
    ("pl", "Mój adres IP to {ip}, czy jest zablokowany?"),
    ("pl", "router pokazuje {ip} a drukarka {ip}"),
    ("en", "Can you update my card to {card}? The old one expired"),
    ("pl", "nr karty: {card}, proszę o zwrot"),
    ("pl", "Płatność kartą {card} została odrzucona, co robić?"),
    ("pl", "Numer rachunku: {iban_pl}"),
    ("en", "Wire the money to {iban_en} asap"),
    ("pl", "przelew {g:zrobiłam|zrobiłem} z konta {iban_pl}, tytuł {order}"),
    ("pl", "PESEL: {pesel}"),
    ("pl", "podaję pesel {pesel} do weryfikacji konta"),
    ("pl", "{name}, PESEL {pesel}, proszę o wydanie nagrody"),
    ("en", "my PESEL number is {pesel_ev}, is that what you need?"),
    ("pl", "NIP firmy {nip}, proszę o fakturę {invoice}"),
    ("pl", "REGON {regon}, NIP {nip}"),
    ("pl", "seria i numer dowodu: {id_card}"),
    ("en", "My Polish ID card number is {id_card}"),
]

PII_FREE_TEMPLATES: list[tuple[str, str]] = [
    ("en", "What time do you open {date}?"),
    ("en", "Is {product} still {price}?"),
    ("en", "My order number is {order}, where is it?"),
    ("en", "Thanks, that solved it! Delivery {date} works for me."),
    ("en", "I have a bottle cap code: {promo} - how do I enter it?"),
    ("en", "Promo code {promo} says invalid at checkout"),
    ("en", "do you ship to {city}? and how much is shipping for {qty} items"),
    ("en", "The tracking number {tracking} shows no updates since {date}"),
    ("en", "Can I return {product} without a receipt?"),
    ("en", "Is the {percent} discount valid on {product}?"),
    ("en", "I saw this on your site: {link} - is it still on?"),
    ("en", "Your store closes at {time}, right?"),
    ("en", "invoice {invoice} shows {price} but I paid less"),
    ("en", "ok thx 👍 see you {date}"),
    ("en", "Hello! Which size should I get for {product}?"),
    ("en", "Order {order}: {qty} x {product}, total {price}. Can I change the delivery to {date}?"),
    ("pl", "O której otwieracie {date}?"),
    ("pl", "Czy {product} nadal kosztuje {price}?"),
    ("pl", "zamówienie nr {order} - kiedy dotrze?"),
    ("pl", "Mam kod z kapsla {promo}, gdzie go wpisać?"),
    ("pl", "kod {promo} nie działa w koszyku"),
    ("pl", "Czy macie sklep w {city}?"),
    ("pl", "Numer przesyłki {tracking} - status się nie zmienia od {date}"),
    ("pl", "Czy mogę zwrócić {product} bez paragonu?"),
    ("pl", "Czy rabat {percent} obejmuje {product}?"),
    ("pl", "znalazłam taką promocję {link} czy jest aktualna?"),
    ("pl", "Do której jesteście otwarci w sobotę? Do {time}?"),
    ("pl", "faktura {invoice} ma kwotę {price} a płaciłam mniej"),
    ("pl", "dzięki, wszystko jasne 😊 dostawa {date} pasuje"),
    ("pl", "Zamówiłam {qty} szt. {product}, łącznie {price}. Czy mogę zmienić termin dostawy na {date}?"),
    ("pl", "Jak długo trwa dostawa do paczkomatu?"),
    ("pl", "Ile kosztuje {product} w promocji -{percent}?"),
    ("pl", "Konkurs z nakrętkami: kod {promo} wpisany {date} o {time}, kiedy wyniki?"),
    ("en", "Entered code {promo} on {date} at {time}, when are the winners announced?"),
    ("en", "hi, is {product} in stock? need {qty} of them"),
    ("en", "The app crashes when I open my basket, version {qty}.{qty}.{qty}"),
    ("en", "Do you have a store in {city}?"),
    ("pl", "Czy {product} jest dostępny? Potrzebuję {qty} sztuk"),
    ("pl", "aplikacja się wiesza przy płatności, wersja {qty}.{qty}"),
    ("pl", "Czy mogę odebrać zamówienie {order} {date} między {time} a {time}?"),
    ("pl", "Kody z kapsli: {promo}, {promo}, {promo} - wszystkie odrzucone"),
    ("en", "codes from the caps: {promo} {promo} {promo} none of them work"),
]

STYLES_EN = ["plain", "plain", "plain", "lower", "nopunct", "lower_nopunct", "typo", "emoji"]
STYLES_PL = ["plain", "plain", "plain", "lower", "nopunct", "lower_nopunct", "typo", "emoji", "no_diacritics"]
EMOJI = ["🙂", "😊", "🙏", "👍", "😅", "🎉", "😡", "❤️", "🤞", "😉"]
# {slot}: a value; {g:feminine|masculine}: literal text agreeing with the sender's gender.
_SLOT = re.compile(r"\{(?:(\w+)|g:([^|}]*)\|([^}]*))\}")
_STRIP_DIACRITICS = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def _typo(rng: random.Random, text: str) -> str:
    words = [m for m in re.finditer(r"[^\W\d_]{4,}", text)]
    if not words:
        return text
    m = rng.choice(words)
    w = m.group()
    i = rng.randrange(1, len(w) - 1)
    w = w[:i] + w[i + 1] + w[i] + w[i + 2 :] if rng.random() < 0.7 else w[:i] + w[i + 1 :]
    return text[: m.start()] + w + text[m.end() :]


def restyle(rng: random.Random, style: str, text: str) -> str:
    if "lower" in style:
        text = text.lower()
    if "nopunct" in style:
        text = re.sub(r"[.,!?;:]+(?=\s|$)", "", text)
    if style == "typo" and rng.random() < 0.35:  # per literal fragment: usually one or two per message
        text = _typo(rng, text)
    if style == "no_diacritics":
        text = text.translate(_STRIP_DIACRITICS)
    return text


@dataclass
class Built:
    text: str
    entities: list[dict]
    lang: str
    template: int


def build_message(rng: random.Random, template_id: int, lang: str, template: str) -> Built:
    style = rng.choice(STYLES_PL if lang == "pl" else STYLES_EN)
    polish_person = rng.random() < (0.9 if lang == "pl" else 0.3)
    ctx = Ctx(rng, lang, make_person(rng, polish_person), lower="lower" in style, no_diacritics=style == "no_diacritics")
    parts: list[str] = []
    entities: list[tuple[int, int, str, str]] = []  # start, end, type, value
    pos = 0
    cursor = 0
    for m in _SLOT.finditer(template):
        literal = template[cursor : m.start()]
        cursor = m.end()
        if m.group(1) is None:  # gendered literal: joins the literal text around it
            literal += m.group(2) if ctx.person.female else m.group(3)
            parts.append(restyle(rng, style, literal))
            pos += len(parts[-1])
            continue
        literal = restyle(rng, style, literal)
        parts.append(literal)
        pos += len(literal)
        piece = SLOTS[m.group(1)](ctx)
        for rs, re_, etype in piece.labels:
            entities.append((pos + rs, pos + re_, etype, piece.text[rs:re_]))
        parts.append(piece.text)
        pos += len(piece.text)
    tail = restyle(rng, style, template[cursor:])
    if style == "emoji":
        tail = tail + " " + rng.choice(EMOJI) if rng.random() < 0.7 else tail + rng.choice(EMOJI)
    parts.append(tail)
    text = "".join(parts)
    if style == "emoji" and rng.random() < 0.4:  # a leading emoji shifts every offset by its length
        lead = rng.choice(EMOJI) + " "
        text = lead + text
        entities = [(s + len(lead), e + len(lead), t, v) for s, e, t, v in entities]
    for s, e, t, v in entities:
        assert text[s:e] == v, (template, s, e, v, text)
        assert v == v.strip() and v, (template, v)
    entities.sort(key=lambda x: (x[0], -x[1]))
    return Built(text, [{"type": t, "start": s, "end": e} for s, e, t, _ in entities], lang, template_id)


def generate() -> list[Built]:
    rng = random.Random(SEED)
    out: list[Built] = []
    seen: set[str] = set()
    jobs = [(i, lang, t, PII_MESSAGES_PER_TEMPLATE) for i, (lang, t) in enumerate(PII_TEMPLATES)]
    jobs += [(len(PII_TEMPLATES) + i, lang, t, PII_FREE_MESSAGES_PER_TEMPLATE) for i, (lang, t) in enumerate(PII_FREE_TEMPLATES)]
    for template_id, lang, template, count in jobs:
        made = 0
        for _ in range(count * 20):
            if made == count:
                break
            msg = build_message(rng, template_id, lang, template)
            if msg.text in seen:
                continue
            seen.add(msg.text)
            out.append(msg)
            made += 1
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _escape_hidden(line: str) -> str:
    """Invisible characters and Cyrillic/Greek look-alikes written as \\uXXXX, so a reviewer sees them."""

    def hidden(ch: str) -> bool:
        if unicodedata.category(ch) == "Cf":
            return True
        name = unicodedata.name(ch, "")
        return name.startswith(("CYRILLIC", "GREEK"))

    return "".join(f"\\u{ord(ch):04x}" if hidden(ch) else ch for ch in line)


def render(messages: list[Built]) -> str:
    lines = []
    for m in messages:
        line = json.dumps({"text": m.text, "entities": m.entities, "lang": m.lang}, ensure_ascii=False)
        line = _escape_hidden(line)
        assert json.loads(line)["text"] == m.text
        lines.append(line)
    return "\n".join(lines) + "\n"


def self_check(messages: list[Built]) -> None:
    """Checksums of every generated identifier, and the composition the brief asks for."""
    for m in messages:
        for e in m.entities:
            value = m.text[e["start"] : e["end"]]
            plain = unicodedata.normalize("NFKC", value)
            compact = "".join(ch for ch in plain if ch.isalnum())
            if e["type"] == "PL_PESEL":
                assert len(compact) == 11 and pesel_check(compact[:10]) == int(compact[10]), value
            elif e["type"] == "PL_NIP":
                compact = compact.removeprefix("PL")
                assert len(compact) == 10 and nip_valid(compact), value
            elif e["type"] == "PL_REGON":
                assert len(compact) in (9, 14) and regon_valid(compact), value
            elif e["type"] == "PL_ID_CARD":
                assert len(compact) == 9 and id_card_valid(compact), value
            elif e["type"] == "CREDIT_CARD":
                assert 13 <= len(compact) <= 19 and luhn_valid(compact), value
            elif e["type"] == "IBAN_CODE":
                full = compact if compact[:2].isalpha() else "PL" + compact
                assert iban_valid(full), value
    pii_free = sum(1 for m in messages if not m.entities)
    assert len(messages) >= 2000
    assert pii_free / len(messages) >= 0.25
    assert len(PII_TEMPLATES) + len(PII_FREE_TEMPLATES) >= 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs from what would be written")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    messages = generate()
    self_check(messages)
    content = render(messages)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != content:
            print(f"{args.out} is stale: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(content, encoding="utf-8")
    langs = {lang: sum(1 for m in messages if m.lang == lang) for lang in ("en", "pl")}
    print(f"wrote {len(messages)} messages to {args.out} ({langs}, {sum(1 for m in messages if not m.entities)} PII-free)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
