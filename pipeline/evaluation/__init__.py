"""Redaction quality on labelled messages: recall, leaks, over-redaction, throughput.

Pure functions over a *redactor*; nothing here loads a model until ``chatguard_redactor`` or
``presidio_redactor`` is called. Used by ``chatguard eval``, ``make bench`` and the quality gates.

A redactor is ``Callable[[list[str]], list[RedactorResult]]``: given texts, it returns for each
``(redacted_text, spans)`` where spans are ``(start, end, entity_type)`` in the ORIGINAL text.
``redacted_text`` is ``None`` when the redactor published nothing for that text (chatguard holds
an event back when a step fails): that is no leak, but not an unchanged message either.
"""

from pipeline.evaluation.labelled import (
    CONTEXT_TYPES,
    DIRECT_IDENTIFIERS,
    ENTITY_TYPES,
    KNOWN_TYPES,
    LANGUAGES,
    Entity,
    LabelledDataError,
    LabelledMessage,
    load_labelled,
    parse_labelled_line,
)
from pipeline.evaluation.leaks import INVISIBLE, is_digit_heavy, is_invisible, normalise_for_leak
from pipeline.evaluation.metrics import (
    ALL_DIRECT,
    CHAT_TARGETS,
    LEAK_TARGETS,
    PII_FREE_UNCHANGED_TARGET,
    PUBLIC_TARGETS,
    SHORT_VALUE,
    TARGETS,
    Redactor,
    RedactorResult,
    Report,
    Span,
    TargetCheck,
    Targets,
    TypeStats,
    evaluate,
)
from pipeline.evaluation.redactors import chatguard_redactor, merge_spans, presidio_redactor
from pipeline.evaluation.report import compare_on_set, format_report

__all__ = [
    "ALL_DIRECT",
    "CHAT_TARGETS",
    "CONTEXT_TYPES",
    "DIRECT_IDENTIFIERS",
    "ENTITY_TYPES",
    "INVISIBLE",
    "KNOWN_TYPES",
    "LANGUAGES",
    "LEAK_TARGETS",
    "PII_FREE_UNCHANGED_TARGET",
    "PUBLIC_TARGETS",
    "SHORT_VALUE",
    "TARGETS",
    "Entity",
    "LabelledDataError",
    "LabelledMessage",
    "Redactor",
    "RedactorResult",
    "Report",
    "Span",
    "TargetCheck",
    "Targets",
    "TypeStats",
    "chatguard_redactor",
    "compare_on_set",
    "evaluate",
    "format_report",
    "is_digit_heavy",
    "is_invisible",
    "load_labelled",
    "merge_spans",
    "normalise_for_leak",
    "parse_labelled_line",
    "presidio_redactor",
]
