"""The pipeline's exceptions: ConfigError stops a process at start-up, StepError holds one event
back, WorkerStopped stops a running worker."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error chatguard's pipeline raises on purpose."""


class ConfigError(PipelineError):
    """A setting or policy is invalid; raised at start-up, before any event is read."""


class StepError(PipelineError):
    """A pipeline step failed for one event, which is therefore held back (quarantined).

    Names the step; keeps the cause's class name only, because the cause's message may quote
    the event's text."""

    def __init__(self, stage: str, cause: BaseException, field: str | None = None) -> None:
        self.stage = stage
        self.error_class = type(cause).__name__
        self.field = field
        super().__init__(f"{stage} failed: {self.error_class}" + (f" ({field})" if field else ""))


class WorkerStopped(PipelineError):
    """The worker stopped on an error that is not one event's (Kafka refused or did not
    acknowledge a write, a bug outside the per-event steps). Keeps the cause's class name only:
    Faust logs the crash reason, and a cause's message may quote an event's text."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        self.stage = stage
        self.error_class = type(cause).__name__
        super().__init__(f"{stage} failed: {self.error_class}")
