"""What names look like: the word lists and word tests the NER rules (``pipeline.ner``) and the
name gazetteer share. Every list here is either a public resource or a short list of English
words with one job, each documented where it is defined.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# In gender-guesser's dictionary as someone's name somewhere, but in English text an ordinary
# word or a title: "The Princess Royal" is neither first name nor surname.
NOT_FIRST_NAMES = frozenset(
    """the a an and or but so in on at to of for by my no yes will may can june april august
    prince princess king queen lord lady sir dame saint st general major captain doctor judge
    bishop pope royal baby love honey sugar sunny happy lucky young page guy any ani jack polo""".split()
)
# Words that open English sentences and chat lines: capitalised there, never a name by themselves.
OPENERS = frozenset(
    """i i'm i've i'd i'll im hi hello hey thanks thank please yes no ok okay can could would will
    is are do does did what when where why how who which my the a an and but or so also just sorry
    good great dear we you your our this that it it's there here if as at in on for to of with
    from by""".split()
)
# Words that make a capitalised phrase an organisation ("Russell Investments", "Italia SpA").
ORG_WORDS = frozenset(
    """inc ltd llc plc corp corporation company co group bank university college school institute
    insurance solutions technologies technology systems services partners holdings international
    investments investment research consulting capital ventures labs industries enterprises sons
    brothers associates consultants analytics software networks communications logistics
    brands exports estates energy spa nv se kg oyj asa pte pty limited country resources
    global orchestra band club association foundation agency studio studios media records airlines
    gmbh ag sa bv oy ab as sp hotel restaurant cafe church hospital clinic fc united city
    street avenue road square park river lake mountain county state republic kingdom bridge
    banco banca bancorp bancorporation engineering therapeutics pharmaceuticals motors foods
    financial fund funds trust etf
    beach bay island islands hills heights springs falls valley harbour harbor grove village
    visa mastercard maestro amex paypal""".split()
)
# Place names start with these ("San Girolamo", "El Hoyo", "Los Angeles"), people's rarely.
PLACE_PREFIXES = frozenset(
    """san santa santo são sao el la le las los les st st. ste saint sainte port fort mount lake
    new north south east west upper lower bad""".split()
)
# Organisation words that come first: "Banco Santander", "University Hospital", "Grupo Bimbo".
ORG_FIRST_WORDS = frozenset(
    "banco banca bank university universidad universität hotel club grupo group institute instituto".split()
)
# English place-name endings ("Jacobton", "Sanyashire", "Port Smithville"), rare in surnames.
PLACE_ENDING = re.compile(r"(?:town|shire|ville|borough|burgh)$", re.IGNORECASE)
ARTICLES = frozenset("the a an this that these those our your their its".split())
# A one-word name after these is a person ("Mr. Brown", "pani Nowak").
TITLES = frozenset(
    """mr mr. mrs mrs. ms ms. miss dr dr. prof prof. sir madam mx mx. pan pana panu panem panie
    pani panią panią państwo""".split()
)
# Surname endings of many languages (Slavic -ić/-ov/-ska, Nordic -sson/-sen/-dóttir, Greek
# -poulos/-idis, Romanian -escu, Georgian -shvili, Armenian -yan, Turkish -oğlu, ...).
SURNAME_ENDING = re.compile(
    r"(?:ić|vić|ov|ova|ev|eva|ovich|evich|ovna|evna|ovic|ović|enko|shvili|dze|yan|ian|oğlu|oglu|escu|"
    r"poulos|opoulos|idis|akis|ou|ski|ska|cki|cka|dzki|wicz|czyk|ová|ský|ská|sson|son|sen|dóttir|"
    r"dottir|ez|es|inho|elli|etti|ini|ino|ucci|berg|mann|stein|ström|qvist|quist|lund|gaard|ssen)$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _gender_detector():
    import gender_guesser.detector as gender

    return gender.Detector(case_sensitive=False)


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    """(Polish first names, words that are not first names). The chat-name recognizer's stop
    list holds chat words that are someone's name somewhere ("ok", "hi", "you", "jak");
    gender-guesser's dictionary spells some Polish letters its own way ("Wisława")."""
    from pipeline.recognizers._first_names import FIRST_NAMES
    from pipeline.recognizers.chat_names import STOP_WORDS

    polish = frozenset(FIRST_NAMES)
    return polish, NOT_FIRST_NAMES | (STOP_WORDS - polish)


@lru_cache(maxsize=65536)
def is_first_name(word: str) -> bool:
    """A known first name: gender-guesser's dictionary (Jörg Michael's ``nam_dict``, about
    45,000 first names from 54 countries, spelled as those countries do), a public list nobody
    on this project wrote, and the Polish list of the name gazetteer; less
    ``NOT_FIRST_NAMES`` and chat words."""
    word = word.removesuffix("'s").removesuffix("’s")
    if "-" in word.strip("-"):  # "Jean-Baptiste", "Lars-Erik", "Anna-Maria"
        return all(is_first_name(part) for part in word.split("-"))
    polish, excluded = _lists()
    if len(word) < 2 or not word.isalpha() or word.lower() in excluded:
        return False
    return word.lower() in polish or _gender_detector().get_gender(word) != "unknown"


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """Every country and territory's English name, lower-cased, from libphonenumber's
    geocoding data (a dependency of Presidio's phone recognizer): "France", "Cyprus"."""
    import phonenumbers
    from phonenumbers import geocoder

    names = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        if example is not None:
            name = geocoder.country_name_for_number(example, "en")
            if name:
                names.add(name.lower())
    return frozenset(names)


def is_demonym(word: str) -> bool:
    """A country's name with a demonym ending ("Greenlander", "Brazilian", "Canadian",
    "Kenyans", "Pakistani", "Japanese"): a nationality, not a person's name."""
    lower = word.lower().removesuffix("s")
    countries = country_names()
    if lower.endswith("an") and lower[:-1] in countries:  # Kenyan, Nigerian; not "Malin"
        return True
    for ending in ("er", "ian", "i", "ese"):
        stem = lower.removesuffix(ending)
        if (
            stem != lower
            and len(stem) >= 3
            and (stem in countries or ending in ("ian", "ese") and stem + "a" in countries)
        ):
            return True
    return False


def english_vocabulary(nlp: Any) -> frozenset[str]:
    """English nouns, adjectives, verbs and adverbs (WordNet's index, shipped in the spaCy
    model's rule lemmatizer tables); empty when the model has no such tables. Call before the
    lemmatizer pipe is removed."""
    if "lemmatizer" not in nlp.pipe_names:
        return frozenset()
    lookups = nlp.get_pipe("lemmatizer").lookups
    if not lookups.has_table("lemma_index"):
        return frozenset()
    table = lookups.get_table("lemma_index")
    words: set[str] = set()
    for pos in ("noun", "adj", "verb", "adv"):
        if pos in table:
            words.update(w for w in table[pos] if w.isalpha())
    return frozenset(words)


_GLUED_ORG_SUFFIX = re.compile(r"[a-z](?:Inc|Ltd|LLC|Corp|GmbH|AG|SA)\b")  # "Meiho HoldingsInc"
_NEXT_WORD = re.compile(r"[ \t]*(?:(?:&|and)[ \t]*(?=[^\W\d_a-z]))?\(?([^\W\d_]+)(?![\w\-])")


def names_a_thing(text: str, value: str, start: int) -> bool:
    """An article before, or an organisation word in or right after the span ("Thomas and
    Sons" too), or a place prefix or ending: it names a thing or a place, not a person."""
    tokens = value.split()
    if tokens[0].lower() in ARTICLES:
        return True
    if len(tokens) == 1 and _org_word(tokens[0]) and tokens[0].lower() not in _SURNAME_ORG_WORDS:
        return True  # "Orchestra"; but "Park", "Hall", "Street" are surnames too
    # After a first name, a word that is also a surname or a town ending ends a name: "Jimin
    # Park", "Daniel Street", "Herman Melville".
    named = len(tokens) > 1 and is_first_name(tokens[0])
    last = tokens[-1].strip(".,'’")
    if len(tokens) > 1 and _org_word(last) and not (named and last.lower() in _SURNAME_ORG_WORDS):
        return True  # "Russell Investments", "Baker Street"
    if len(tokens) > 1 and tokens[0].lower() in ORG_FIRST_WORDS:
        return True  # "Banco Santander"; a first word may be a surname ("Park Min-jun")
    if len(tokens) > 1 and tokens[0].lower() in PLACE_PREFIXES:
        return True
    if not named and any(PLACE_ENDING.search(t) for t in tokens):  # "Berkshire Hathaway", "Smithville"
        return True
    if _GLUED_ORG_SUFFIX.search(value):
        return True
    if _DESCRIBED_AS_ORGANISATION.match(text, start + len(value)):
        return True
    following = _NEXT_WORD.match(text, start + len(value))
    if following is None or not _org_word(following.group(1)):
        return False
    # A lower-case word after a name ("Mark Thompson and team", "Ahmed Khan school office")
    # closes it only when it names a place ("Nemesvámos bridge").
    word = following.group(1)
    return not word.islower() or word in _PLACE_WORDS or word in _COMPANY_SUFFIXES


# "<span> is a design agency based in", "<span>, Santos and Coleman is an investment bank":
# the span names what the sentence calls an organisation. The organisation word must close its
# noun phrase ("is a bank teller" is a person) and the words before it carry no preposition
# ("is a member of the club" is a person).
_PHRASE_WORD = r"(?!(?:of|for|at|in|on|with|from|by|to|the|a|an|and|or|who|whose)\b)[^\W\d_][\w'’-]*"
_DESCRIBED_AS_ORGANISATION = re.compile(
    r"(?:\s*(?:,|&|and|,\s*and)\s*[^\W\d_a-z][\w'’-]*){0,6}"  # the rest of a short list the span opens
    r"[ \t]+(?:is|was)[ \t]+(?:a|an)[ \t]+(?:" + _PHRASE_WORD + r"[ \t]+){0,4}?"
    r"(?i:(?:"
    + "|".join(
        sorted(ORG_WORDS - {"as", "co", "se", "sa", "ab", "ag", "oy", "sp", "nv", "kg", "bv"}, key=len, reverse=True)
    )
    + r"|firm|business|startup|charity|brand|retailer|manufacturer|publisher|nonprofit|non-profit))"
    r"(?=[ \t]+(?:based|headquartered|founded|located|in|and|that|which|from|with|specialising|specializing|serving)\b|[ \t]*(?:[,.;:!?)]|$))"
)
_COMPANY_SUFFIXES = frozenset("inc ltd llc plc corp gmbh limited".split())
_PLACE_WORDS = frozenset(
    """street avenue road square park river lake mountain bridge beach bay island hills heights
    springs falls valley harbour harbor grove village""".split()
)
_SURNAME_ORG_WORDS = frozenset("park hall street bank city lake river bridge king state".split())
# Company suffixes that are also words in lower case: "AS" (Norway) and "as", "Co" and "co".
_CASED_ORG_WORDS = frozenset("as co se sa ab ag oy sp spa bv nv kg".split())


def _org_word(word: str) -> bool:
    lower = word.lower()
    return lower in ORG_WORDS and not (lower in _CASED_ORG_WORDS and word.islower())
