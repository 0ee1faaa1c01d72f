"""The redaction engine: detect once per event, anonymise once per destination.

Used by the worker and by ``chatguard redact`` alike, so both redact the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline.anonymise import Anonymiser, merge_overlaps
from pipeline.detection import ChatDetector, Detector, Span
from pipeline.errors import ConfigError, StepError
from pipeline.policies import PolicySet, load_policies
from pipeline.settings import Settings
from schemas.keeping import KeptValue, ReplyAddress, ValueKeeper
from schemas.pseudonyms import Pseudonymiser
from schemas.raw import RawMessage
from schemas.redacted import RedactedMessage


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Redaction:
    """One raw event, redacted for every destination."""

    event_id: str
    by_destination: Mapping[str, RedactedMessage]
    spans: tuple[Span, ...]  # merged spans, positions in the raw text (no values)


Result = Redaction | StepError


class RedactionEngine:
    def __init__(
        self,
        detector: Detector,
        policies: PolicySet,
        pseudonymiser: Pseudonymiser,
        clock: Callable[[], str] = utc_now,
        keeper: ValueKeeper | None = None,
    ) -> None:
        self._detector = detector
        self._keeper = keeper
        self._pseudonymiser = pseudonymiser
        self._anonymisers = {name: Anonymiser(p, pseudonymiser) for name, p in policies.policies.items()}
        self._clock = clock
        self.destinations = tuple(self._anonymisers)
        self.policies = policies

    def apply_policies(self, policies: PolicySet) -> None:
        """Switch to another policy version, between two batches. Raises ConfigError (the detector
        knows no such entity type, say) and keeps the current one. Each destination keeps its
        per-conversation numbering, so ``<PERSON_1>`` stays the same person across the switch."""
        if set(policies.policies) != set(self._anonymisers):
            raise ConfigError(f"policies: destinations must be {', '.join(self._anonymisers)}")
        anonymisers = {
            name: Anonymiser(policy, self._pseudonymiser, self._anonymisers[name].numbers)
            for name, policy in policies.policies.items()
        }
        configure = getattr(self._detector, "configure", None)  # ChatDetector's; a stand-in may have none
        if configure is not None:
            configure(policies.entities, policies.score_threshold)
        self._anonymisers = anonymisers
        self.policies = policies

    @property
    def detector(self) -> Detector:
        return self._detector

    @classmethod
    def from_settings(cls, settings: Settings, keeper: ValueKeeper | None = None) -> RedactionEngine:
        """The engine ``settings`` describe; with ``keeper``, every detected value is kept there
        and its ref written on the findings (the worker and ``chatguard redact``)."""
        policies = load_policies(settings.policy_file)
        detector = ChatDetector(
            settings.spacy_model, policies.entities, policies.score_threshold, deadline_s=settings.detect_deadline_s
        )
        key = settings.pseudonym_key
        if key is None:  # Settings.from_env() refuses this unless called with require_key=False
            raise TypeError(
                "RedactionEngine.from_settings: settings.pseudonym_key is None; a pseudonym key is required"
            )
        return cls(detector, policies, Pseudonymiser(key), keeper=keeper)

    def redact_batch(self, events: Sequence[RawMessage]) -> list[Result]:
        """One result per event, in order. Never raises for a bad event: it yields a StepError.
        Raises if the value keeper fails: no event of the batch may then go out without its refs."""
        detected = self._detect(events)
        merged = [d if isinstance(d, StepError) else _merged(d) for d in detected]
        refs = self._keep(events, merged)
        processed_at = self._clock()
        return [
            spans if isinstance(spans, StepError) else self._anonymise(event, spans, event_refs, processed_at)
            for event, spans, event_refs in zip(events, merged, refs, strict=True)
        ]

    def _keep(self, events: Sequence[RawMessage], merged: Sequence[list[Span] | StepError]) -> list[list[str | None]]:
        """Each event's spans' refs in the value keeper, one write for the whole batch."""
        if self._keeper is None:
            return [[None] * (0 if isinstance(spans, StepError) else len(spans)) for spans in merged]
        pseudonyms = self._pseudonymiser
        items: list[KeptValue] = []
        reply_to: dict[tuple[str, str], ReplyAddress] = {}  # one per sender and conversation
        for event, spans in zip(events, merged, strict=True):
            if isinstance(spans, StepError):
                continue
            subject = pseudonyms.sender(event.channel, event.sender_id)
            conversation = pseudonyms.conversation(event.channel, event.conversation_id)
            items += [
                KeptValue(
                    event.event_id, span.entity_type, subject, event.text[span.start : span.end], conversation,
                    event.sent_at,
                )
                for span in spans
            ]  # fmt: skip
            reply_to[subject, conversation] = ReplyAddress(
                subject, conversation, event.channel, event.channel_kind, event.conversation_id, event.sender_id,
                event.sent_at,
            )  # fmt: skip
        kept = iter(self._keeper.put_many(items, list(reply_to.values())))
        return [[] if isinstance(spans, StepError) else [next(kept) for _ in spans] for spans in merged]

    def _detect(self, events: Sequence[RawMessage]) -> list[list[Span] | StepError]:
        texts = [e.text for e in events]
        try:
            found: list[list[Span] | StepError] = list(self._detector.detect(texts))
            if len(found) != len(texts):
                raise RuntimeError("detector returned a result count unlike its input")
        except Exception:
            # One poison text must not hold back its neighbours: retry one by one to find it.
            found = [self._detect_one(text) for text in texts]
        return [r if isinstance(r, StepError) else _checked(r, text) for r, text in zip(found, texts, strict=True)]

    def _detect_one(self, text: str) -> list[Span] | StepError:
        try:
            return self._detector.detect([text])[0]
        except Exception as exc:
            return StepError("detect", exc)

    def _anonymise(self, event: RawMessage, merged: list[Span], refs: list[str | None], processed_at: str) -> Result:
        try:
            sender = self._pseudonymiser.sender(event.channel, event.sender_id)
            conversation = self._pseudonymiser.conversation(event.channel, event.conversation_id)
            out = {}
            for name, anonymiser in self._anonymisers.items():
                text, findings = anonymiser.apply(event.text, merged, conversation, refs)
                out[name] = RedactedMessage(
                    event_id=event.event_id,
                    channel=event.channel,
                    channel_kind=event.channel_kind,
                    conversation_id=conversation,
                    sender=sender,
                    sent_at=event.sent_at,
                    text=text,
                    findings=findings,
                    policy=name,
                    policy_version=anonymiser.policy.version,
                    processed_at=processed_at,
                    form=event.form,
                )
            return Redaction(event.event_id, out, tuple(merged))
        except Exception as exc:
            return StepError("anonymise", exc)


def _merged(spans: list[Span]) -> list[Span] | StepError:
    try:
        return merge_overlaps(spans)
    except Exception as exc:
        return StepError("anonymise", exc)


def _checked(spans: list[Span], text: str) -> list[Span] | StepError:
    # A span outside the text would redact the wrong characters: hold the event back instead.
    for span in spans:
        if not 0 <= span.start < span.end <= len(text):
            return StepError("detect", IndexError("span outside the text"))
    return spans
