"""ErasureNotice v1: a data subject's vault key was destroyed (``chatguard erase``).

Published to the compacted ``chat.erasure`` topic, keyed by the subject's keyed pseudonym (the
``sender`` of the clean topics), so every store of clean events can delete that pseudonym's
records. It carries the pseudonym and the time, never the platform's identifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

from schemas.errors import SchemaError

VERSION = 1
_PSEUDONYM = re.compile(r"u_[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class ErasureNotice:
    subject: str  # the sender pseudonym, u_ + 16 hex digits
    erased_at: str  # ISO 8601, UTC

    def __post_init__(self) -> None:
        if not _PSEUDONYM.fullmatch(self.subject):
            raise SchemaError("subject", "must be a sender pseudonym (u_ and 16 hex digits)")

    def key(self) -> bytes:
        return self.subject.encode()

    def encode(self) -> bytes:
        return orjson.dumps({"v": VERSION, "subject": self.subject, "erased_at": self.erased_at})

    @classmethod
    def decode(cls, data: bytes) -> ErasureNotice:
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise SchemaError("$", "not JSON") from None
        if not isinstance(obj, dict) or obj.get("v") != VERSION:
            raise SchemaError("v", f"must be {VERSION}")
        subject, erased_at = obj.get("subject"), obj.get("erased_at")
        if not isinstance(subject, str) or not isinstance(erased_at, str):
            raise SchemaError("subject", "subject and erased_at must be strings")
        return cls(subject, erased_at)
