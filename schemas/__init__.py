"""Event contracts shared by connectors and pipeline: models, codec, topics. Imports neither."""

from schemas.codec import decode_raw, decode_redacted, encode
from schemas.errors import SchemaError
from schemas.quarantine import QuarantineRecord
from schemas.raw import RawMessage
from schemas.redacted import Finding, RedactedMessage

__all__ = [
    "Finding",
    "QuarantineRecord",
    "RawMessage",
    "RedactedMessage",
    "SchemaError",
    "decode_raw",
    "decode_redacted",
    "encode",
]
