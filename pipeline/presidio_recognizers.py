"""Presidio's own default recognizers for English, as the fast detector runs them.

The floor chatguard keeps: whatever plain Presidio (``AnalyzerEngine`` defaults) finds with its
pattern recognizers is a candidate here too. The differences, each a documented rule:

* Left out: dates, bare URLs and UUIDs (``DateRecognizer``, ``UrlRecognizer``,
  ``UuidRecognizer``): not personal data on their own; URLs that carry an identifier are
  ``URL_PII``'s job.
* ``PhoneRecognizer`` gets Poland on top of Presidio's default regions. Its matches are
  dropped (:func:`is_reference_number`) when they are a date ("03.08.2026"), run into a
  date or decimal ("6340411 13.02.2026"), continue a time ("09:00:27.207031"), or are a
  reference: after "#", after a letter
  prefix ("A-6219805"), or after an order, ticket or invoice word ("Zamówienie 601 234 567").
* Each recognizer runs only when a cheap prefilter says it can match (``PREFILTERS``).
* Context: ``AnalyzerEngine`` raises a score by 0.35 (to at least 0.4) when one of the
  recognizer's context words stands among the five words before the match, using spaCy's
  lemmas. The fast path has no lemmas, so :func:`boost_by_context` does the same on
  lower-cased word prefixes ("cards" counts for "card").
* Scores: plain Presidio keeps every finding above 0, down to a 0.01 "very weak" guess that
  any 6-14 digit number is a US driving licence. chatguard keeps findings at or above the
  policy's threshold, and Presidio's weak patterns (below 0.4) only once the context boost
  lifted them: a bare number is masked when its words say what
  it is ("driver's license C854227472528", "account 12345678"), not because it is a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult

from pipeline.recognizers._phone_cues import IDENTIFIER_WORDS

_DIGITS = r"\d(?:[\s.\-/()]{0,2}\d)"

# Recognizer class name -> the cheapest regex that must match before it can.
PREFILTERS: dict[str, str] = {
    "EmailRecognizer": r"@",
    "CreditCardRecognizer": _DIGITS + r"{11,}",
    "IpRecognizer": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",
    # libphonenumber takes four-digit service numbers in some regions and " - " separators.
    "PhoneRecognizer": r"\d(?:[^\w\n]{0,3}\d){3,}",
    "UsSsnRecognizer": r"\d{3}[\s.-]?\d{2}[\s.-]?\d{4}",
    "CryptoRecognizer": r"(?i:\b(?:bc1|[13]))[a-zA-Z0-9]{25,}",
    "NhsRecognizer": _DIGITS + r"{9}",
    "IbanRecognizer": r"[A-Za-z]{2}\d\d",
    "UsBankRecognizer": r"\d{8}",
    "UsLicenseRecognizer": r"\d{2}",
    "UsItinRecognizer": r"9\d\d",
    "UsPassportRecognizer": r"\d{8}",
    "MedicalLicenseRecognizer": r"[A-Za-z]\d{7}|[A-Za-z]{2}\d{7}",
    "MacAddressRecognizer": r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.",
}
LEFT_OUT = frozenset({"DateRecognizer", "UrlRecognizer", "UuidRecognizer", "SpacyRecognizer"})
# Presidio's phone regions (phonenumbers codes) plus Poland. Canada is left out: it shares the
# US numbering plan (+1), and phonenumbers validates a +1 number against both whichever region
# it was parsed for, so parsing it twice finds nothing new.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "BR", "PL")

# Below this, a Presidio pattern calls itself weak: kept only when context raised it here.
PRESIDIO_MIN_SCORE = 0.4
# Context words Presidio's lists lack: British spelling and common abbreviations.
EXTRA_CONTEXT: dict[str, tuple[str, ...]] = {
    "UsLicenseRecognizer": ("licence", "dl", "prawo jazdy", "driving"),
    "UsPassportRecognizer": ("paszport",),
    "UsBankRecognizer": ("konto", "rachunek"),
}
CONTEXT_BOOST = 0.35  # presidio's LemmaContextAwareEnhancer defaults
MIN_SCORE_WITH_CONTEXT = 0.4
CONTEXT_WORDS_BEFORE = 5
_WORD = re.compile(r"[^\W_]+")


_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_IDENTIFIER_BEFORE = re.compile(
    r"(?i)(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(IDENTIFIER_WORDS, key=len, reverse=True)) + r")\w*\.?"
    r"[ \t]*(?:(?:nr|no|number|numer|id)\.?[ \t]*)?[#:]?[ \t]*$"
)


def is_reference_number(text: str, start: int, end: int) -> bool:
    """A phone-shaped match that is a date or a reference number (see the module docstring)."""
    value = text[start:end]
    if _DATE.match(value.strip()) or re.match(r"[./,:]\d", text[end : end + 2]):
        return True
    before = text[max(0, start - 40) : start]
    if before.endswith("#") or re.search(r"[A-Za-z]-$|\d[:.]$", before):
        return True
    # An identifier word right before it ("order 601234567", "faktura nr", "customer id:"):
    # libphonenumber already found the number valid, so a cue further back ("the account
    # manager at 020 7946 0958", "text the code to 07911 123456") does not outweigh that.
    return text[start] != "+" and _IDENTIFIER_BEFORE.search(before) is not None


def use_bundled_public_suffix_list() -> None:
    """Presidio's e-mail recognizer calls tldextract, which by default downloads the public
    suffix list on first use. Detection must never reach the network: use the snapshot that
    ships inside the tldextract package."""
    import tldextract.tldextract as tld

    tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def presidio_recognizers() -> list[EntityRecognizer]:
    """A new instance of each of Presidio's default English pattern recognizers we keep
    (offline: see :func:`use_bundled_public_suffix_list`)."""
    use_bundled_public_suffix_list()
    from presidio_analyzer import RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"])
    out: list[EntityRecognizer] = []
    for recognizer in registry.recognizers:
        name = type(recognizer).__name__
        if name in LEFT_OUT:
            continue
        if name == "PhoneRecognizer":
            recognizer = PhoneRecognizer(supported_regions=PHONE_REGIONS)
        if name in EXTRA_CONTEXT:
            recognizer.context = [*recognizer.context, *EXTRA_CONTEXT[name]]
        out.append(recognizer)
    return out


def prefilter_for(recognizer: EntityRecognizer) -> re.Pattern[str] | None:
    """The recognizer's cheapest necessary condition. A Presidio recognizer whose every
    pattern is weak and that validates nothing (a checksum lifts a card to 1.0) can only be
    kept with a context word, so a context word at a word start (what
    :func:`boost_by_context` accepts) is its prefilter."""
    pattern = getattr(recognizer, "PREFILTER", None)
    if pattern is not None:
        return pattern
    patterns = getattr(recognizer, "patterns", None) or []
    validates = getattr(type(recognizer), "validate_result", None) is not PatternRecognizer.validate_result
    if patterns and recognizer.context and not validates and all(p.score < PRESIDIO_MIN_SCORE for p in patterns):
        words = "|".join(sorted((re.escape(w) for w in recognizer.context), key=len, reverse=True))
        return re.compile(rf"(?i)(?<![^\W_])(?:{words})")
    source = PREFILTERS.get(type(recognizer).__name__)
    return re.compile(source) if source else None


# Run last, and only on what earlier recognizers left uncovered (their finds are a superset
# where they overlap): the regex of candidates each must cover. Presidio's phone matcher
# parses every candidate once per region; its e-mail recognizer's matches are a subset of
# ``email_any_domain``'s (any dotted domain, not only public suffixes).
ONLY_UNCOVERED: dict[str, str] = {
    # libphonenumber takes four-digit service numbers in some regions and " - " separators.
    "PhoneRecognizer": r"\d(?:[^\w\n]{0,3}\d){3,}",
    # An address is at most 64 characters before the @ and 255 after (RFC 5321): a window that
    # size is all the recognizer reads of a longer run, so 16 KB of "a.a.a..." stays cheap.
    "EmailRecognizer": r"[^\s@]{0,64}@[^\s@]{0,255}",
}


def _is_context(word: str, context: str) -> bool:
    # Lemmas without spaCy: "cards" counts for "card", "licensed" for "license"; a short
    # context word ("us", "cc") only as a whole word.
    return word == context or word.rstrip("s") == context or len(context) >= 4 and word.startswith(context)


def boost_by_context(text: str, results: Sequence[RecognizerResult], context: Sequence[str]) -> None:
    """Raise, in place, the score of each result with a context word among the five words
    before it (plural and longer forms count), as Presidio's AnalyzerEngine does with lemmas."""
    if not context:
        return
    words = [w.lower() for w in context]
    for result in results:
        if (
            result.score >= 1.0
            or result.recognition_metadata
            and result.recognition_metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY)
        ):
            continue
        before = _WORD.findall(text[max(0, result.start - 80) : result.start].lower())[-CONTEXT_WORDS_BEFORE:]
        if any(_is_context(w, c) for w in before for c in words):
            result.score = min(1.0, max(result.score + CONTEXT_BOOST, MIN_SCORE_WITH_CONTEXT))
