"""The pipeline's exceptions: StepError holds one event back, WorkerStopped stops a running
worker. Both keep the cause's class name only: a cause's message may quote the event's text."""

from __future__ import annotations

from schemas.errors import ChatguardError, ConfigError

__all__ = ["ConfigError", "StepError", "WorkerStopped"]

EX_SOFTWARE = 70  # sysexits: the worker stopped on an error; a supervisor should restart it


class StepError(ChatguardError):
    """A pipeline step failed for one event, which is therefore held back (quarantined)."""

    metric_reason = "step"

    def __init__(self, stage: str, cause: BaseException, field: str | None = None) -> None:
        self.stage = stage
        self.error_class = type(cause).__name__
        self.field = field
        super().__init__(f"{stage} failed: {self.error_class}" + (f" ({field})" if field else ""))


class WorkerStopped(ChatguardError):
    """The worker stopped on an error that is not one event's (Kafka refused or did not
    acknowledge a write, a bug outside the per-event steps). Faust logs the crash reason."""

    exit_code = EX_SOFTWARE
    metric_reason = "worker_stopped"

    def __init__(self, stage: str, cause: BaseException) -> None:
        self.stage = stage
        self.error_class = type(cause).__name__
        super().__init__(f"{stage} failed: {self.error_class}")
