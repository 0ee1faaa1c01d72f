"""The ingest tier's errors: their attributes are the HTTP answer."""

from __future__ import annotations

from schemas.errors import ChatguardError


class IngestError(ChatguardError):
    """A request chatguard will not accept. ``http_status`` and ``reason`` become the response;
    ``metric_reason`` is the bounded label counted in chatguard_ingest_rejections_total.
    A reason never quotes the request: it may be personal data."""

    http_status = 400
    metric_reason = "bad_request"

    def __init__(self, reason: str, metric_reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if metric_reason:
            self.metric_reason = metric_reason


class BadRequest(IngestError):
    http_status = 400
    metric_reason = "bad_request"


class Unauthorized(IngestError):
    http_status = 401
    metric_reason = "bad_signature"


class Forbidden(IngestError):
    http_status = 403
    metric_reason = "forbidden"


class PayloadTooLarge(IngestError):
    http_status = 413
    metric_reason = "too_large"


class UnsupportedMediaType(IngestError):
    http_status = 415
    metric_reason = "unsupported_encoding"


class Unavailable(IngestError):
    """Kafka did not acknowledge in time: the platform should retry later."""

    http_status = 503
    metric_reason = "kafka_unavailable"
