"""The one error every contract violation raises."""

from __future__ import annotations


class SchemaError(ValueError):
    """An event broke its contract.

    The message names the field and the reason, never the field's value: values may be
    personal data, and this error ends up in logs, HTTP responses and the quarantine topic.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
