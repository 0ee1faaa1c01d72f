"""The vault's refusals: each names what was refused, never a value."""

from __future__ import annotations

from schemas.errors import ChatguardError


class RevealRefused(ChatguardError):
    """A reveal that returns nothing: unknown, erased or expired ref, or a ref whose subject key
    is gone. One answer for all, so a caller cannot tell an erased ref from one never issued."""

    http_status = 404
    exit_code = 1
    metric_reason = "reveal_refused"


class BadReason(ChatguardError):
    """A reveal or erasure without an acceptable reason."""

    http_status = 400
    exit_code = 2
    metric_reason = "bad_reason"


class FormUnknown(ChatguardError):
    """A form link that was never issued (or whose form was erased with its sender)."""

    http_status = 404
    exit_code = 1
    metric_reason = "form_unknown"


class FormGone(ChatguardError):
    """A form link used once already, or past its lifetime."""

    http_status = 410
    exit_code = 1
    metric_reason = "form_gone"


class FormInvalid(ChatguardError):
    """Submitted values the form cannot take; ``problems`` maps each field to what is wrong."""

    http_status = 422
    exit_code = 2
    metric_reason = "form_invalid"

    def __init__(self, fields: tuple[str, ...], problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems.items()))
        self.fields = fields  # the form's, to show it again
        self.problems = problems


class FormsThrottled(ChatguardError):
    """Too many forms asked for one sender in an hour."""

    http_status = 429
    exit_code = 1
    metric_reason = "forms_throttled"


class NoReplyAddress(ChatguardError):
    """A form to send to a sender the vault cannot reach: never seen in that conversation within the
    retention period, erased, or reply addresses off."""

    http_status = 404
    exit_code = 1
    metric_reason = "no_reply_address"


class BotRefused(ChatguardError):
    """The bot's webhook did not take a form link (an error status or no answer): the form was
    withdrawn, so no usable link is left anywhere."""

    http_status = 502
    exit_code = 3
    metric_reason = "bot_refused"
