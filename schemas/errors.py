"""The one exception root of chatguard, and the errors every tier shares.

Every error chatguard raises on purpose is a ``ChatguardError``; its class attributes say how a
tier answers it: ``exit_code`` for a command, ``http_status`` for a request, ``metric_reason``
for the bounded label it is counted under. A message names what failed (a setting, a field, a
line) and never quotes the value: values may be personal data or secrets, and these messages
end up in logs, HTTP answers and the quarantine topic.
"""

from __future__ import annotations


class ChatguardError(Exception):
    """Base of every error chatguard raises on purpose."""

    exit_code = 1
    http_status = 500
    metric_reason = "error"


class ConfigError(ChatguardError, ValueError):
    """A setting, policy or command-line argument is invalid: the process stops at start-up,
    before it reads any event, with a message naming the setting."""

    exit_code = 2  # as argparse answers a bad argument
    metric_reason = "config"


class Unreachable(ChatguardError):
    """Kafka (or another service chatguard needs) refused or did not answer; the message names
    the address and the error's class, never credentials."""

    exit_code = 3
    http_status = 503
    metric_reason = "unavailable"


class SchemaError(ChatguardError, ValueError):
    """An event broke its contract. Names the field and the reason, never the field's value."""

    http_status = 400
    metric_reason = "bad_request"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
