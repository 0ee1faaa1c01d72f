"""Redactors to evaluate: chatguard's engine, and plain Presidio as most users set it up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pipeline.evaluation.metrics import Redactor, RedactorResult, Span
from pipeline.spans import overlap_groups


def chatguard_redactor(engine: Any, destination: str = "storage", batch_size: int = 256) -> Redactor:
    """chatguard's RedactionEngine (``pipeline.engine``) in batches; the text as ``destination`` gets it.

    A StepError (the event would be quarantined) yields ``(None, [])``: nothing published."""
    if destination not in engine.destinations:
        raise ValueError(f"unknown destination {destination!r}; one of {', '.join(engine.destinations)}")

    def redact(texts: list[str]) -> list[RedactorResult]:
        from pipeline.errors import StepError
        from schemas.raw import RawMessage

        out: list[RedactorResult] = []
        for offset in range(0, len(texts), batch_size):
            chunk = texts[offset : offset + batch_size]
            events = [
                RawMessage(
                    event_id=f"eval-{offset + i}",
                    channel="eval",
                    channel_kind="private",
                    conversation_id="eval",
                    sender_id="eval",
                    sent_at="2026-01-01T00:00:00Z",
                    text=text,
                )
                for i, text in enumerate(chunk)
            ]
            for result in engine.redact_batch(events):
                if isinstance(result, StepError):
                    out.append((None, []))
                else:
                    spans = [(s.start, s.end, s.entity_type) for s in result.spans]
                    out.append((result.by_destination[destination].text, spans))
        return out

    return redact


def presidio_redactor(model: str) -> Redactor:
    """Presidio as most users set it up: AnalyzerEngine + AnonymizerEngine defaults, one message
    at a time, over the same spaCy model (full pipeline) and offline public-suffix list.
    Overlapping findings are merged into one span, as chatguard's are."""
    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    from pipeline.detection import use_bundled_public_suffix_list

    use_bundled_public_suffix_list()
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    nlp_engine.nlp = {"en": spacy.load(model)}  # type: ignore[assignment]  # presidio's __init__ sets nlp = None, so its inferred type is None
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine)
    anonymizer = AnonymizerEngine()

    def redact(texts: list[str]) -> list[RedactorResult]:
        out: list[RedactorResult] = []
        for text in texts:
            results = analyzer.analyze(text, language="en")
            redacted = anonymizer.anonymize(text, results).text  # type: ignore[arg-type]  # presidio's anonymizer takes the analyzer's results (duck-typed) but annotates its own RecognizerResult
            out.append((redacted, merge_spans((r.start, r.end, r.entity_type) for r in results)))
        return out

    return redact


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Union overlapping spans; the merged span keeps the type of its first member."""
    groups = overlap_groups(spans, lambda s: (s[0], s[1]))
    return [(group[0][0], max(s[1] for s in group), group[0][2]) for group in groups]
