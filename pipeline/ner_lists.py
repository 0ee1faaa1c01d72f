"""Names in lists, for the NER rules (``pipeline.ner``): people are listed with people
("Kónya, Becker and Vasquez"), and a list an article opens or an organisation word closes is a
company's name ("The Davis, Reynolds and Williamson Orchestra")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.names import ARTICLES, names_a_thing
from pipeline.ner_evidence import text_before

_LIST_JOINER = re.compile(r"\s*(?:,|&|and|,\s*and)\s*")
# The rest of a list after its last name: more capitalised members, then the word that closes it.
_LIST_TAIL = re.compile(r"(?:\s*(?:,|&|and|,\s*and)\s*[^\W\d_a-z][\w'’-]*){0,12}[ \t]+([^\W\d_][\w'’-]*)")
_JOINER_IN = re.compile(r",|&|\band\b")
_ARTICLE_BEFORE = re.compile(r"(?i:\bthe[ \t]+$)")


def listed_with_names(
    text: str, names: Sequence[tuple[int, int]], maybe: Sequence[tuple[int, int, bool]]
) -> list[tuple[int, int]]:
    """One-word candidates in a list with a name ("Kónya, Becker and Vasquez", "Usamov and
    Bowers" when either is a name), or two or more of them when NER called each a person
    ("Park and Mann"; not "Wisdom and Discipline", one of them an organisation): people are
    listed with people."""
    members = sorted([(s, e, "name") for s, e in names] + [(s, e, "person" if p else "") for s, e, p in maybe])
    chains: list[list[tuple[int, int, str]]] = []
    for member in members:
        if chains and _LIST_JOINER.fullmatch(text, chains[-1][-1][1], member[0]):
            chains[-1].append(member)
        else:
            chains.append([member])
    out = []
    for chain in chains:
        kinds = [kind for _, _, kind in chain]
        if "name" in kinds or len(chain) >= 2 and all(kind == "person" for kind in kinds):
            out += [(s, e) for s, e, kind in chain if kind != "name"]
    return out


def without_company_lists(text: str, names: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Names in a list that an article opens or an organisation word closes are a company's
    name ("The Davis, Reynolds and Williamson Orchestra", "Jones, Smith and Davis Partners")."""
    ordered = sorted(set(names))
    chains: list[list[tuple[int, int]]] = []
    for span in ordered:
        if chains and _LIST_JOINER.fullmatch(text, chains[-1][-1][1], span[0]):
            chains[-1].append(span)
        else:
            chains.append([span])
    out = []
    for chain in chains:
        closing = _LIST_TAIL.match(text, chain[-1][1])
        opened = _ARTICLE_BEFORE.search(text_before(text, chain[0][0]))
        closed = (
            closing is not None
            and closing.group(1).lower() not in ARTICLES  # "Rosa, what's your order": no company
            and names_a_thing(text, closing.group(1), closing.start(1))
        )
        # One name counts too when more list members stand before the closing word
        # ("The Jones, Smith and Davis Orchestra" with only "Smith" tagged).
        listed = len(chain) > 1 or closing is not None and bool(_JOINER_IN.search(text, chain[-1][1], closing.start(1)))
        company = listed and (opened or closed)
        if not company:
            out += chain
    return out
