"""The pipeline's exception root. Attributes, not class names, decide what happens next."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error chatguard's pipeline raises on purpose.

    ``quarantine``: the event that caused it is held back on chat.quarantine and the worker
    goes on. Otherwise the error is fatal for the process: it stops without committing, so
    the events it held are re-read after the restart.
    """

    quarantine = False


class ConfigError(PipelineError):
    """A setting or policy is invalid; raised at start-up, before any event is read."""


class StepError(PipelineError):
    """A pipeline step failed for one event. Names the step; carries the cause's class only,
    because the cause's message may quote the event's text."""

    quarantine = True

    def __init__(self, stage: str, cause: BaseException, field: str | None = None) -> None:
        self.stage = stage
        self.error_class = type(cause).__name__
        self.field = field
        super().__init__(f"{stage} failed: {self.error_class}" + (f" ({field})" if field else ""))
