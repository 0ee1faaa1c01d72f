"""What guards the web widget: conversation tokens, the Origin allowlist, rate limits.

Conversation token (``v1.<conversation id>.<expiry>.<mac>``)
    Issued by ``POST /widget/session`` for a conversation id the server drew at random. ``mac``
    is HMAC-SHA256 over (SHA-256 of the site key, conversation id, expiry in Unix seconds) with
    the token secret, so a token works with the site key it was issued for and no other, for its
    conversation and no other, until it expires. Nothing is stored: any replica holding the
    secret verifies it. Errors say what is wrong with a token, never quote it.

Origin allowlist
    A browser names the page that opened a request in ``Origin``; the service accepts a site key
    only from the origins listed for it (CHATGUARD_WIDGET_ORIGINS) and from its own origin (the
    demo page it serves). A request without ``Origin`` is not from a page (curl, a server-side
    sender): the allowlist is about other sites' pages, the token and rate limits about scripts.

Rate limits
    Token buckets per site key and per client address (or, where the address is not known to
    the channel, per conversation): a request over either is a 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from connectors.errors import Forbidden, IngestError, Unauthorized

TOKEN_VERSION = "v1"
CONVERSATION_PREFIX = "wc_"  # every session's conversation id; tokenless posts may not use it
_TOKEN_LABEL = b"chatguard widget conversation token v1"
SITE_KEY_HEADER = "x-chatguard-site-key"


class TooManyRequests(IngestError):
    http_status = 429
    metric_reason = "rate_limited"

    def __init__(self, reason: str, retry_after_s: float, metric_reason: str | None = None) -> None:
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        super().__init__(f"{reason}; retry in {self.retry_after_s} s", metric_reason)


def token_secret_from(pseudonym_key: bytes, token_secret: bytes | None) -> bytes:
    """The token secret: CHATGUARD_WIDGET_TOKEN_SECRET when set, else derived from the
    pseudonym key with a label of its own (a token MAC is never a pseudonym, nor the reverse)."""
    if token_secret:
        return token_secret
    return hmac.new(pseudonym_key, _TOKEN_LABEL, hashlib.sha256).digest()


def new_conversation_id() -> str:
    return CONVERSATION_PREFIX + secrets.token_urlsafe(24)  # 192 random bits, 35 characters


@dataclass(frozen=True, slots=True)
class Claims:
    conversation_id: str
    expires_at: int  # Unix seconds


class ConversationTokens:
    def __init__(self, secret: bytes, ttl_s: int) -> None:
        if len(secret) < 16:
            raise ValueError("token secret: at least 16 bytes")
        self._secret = secret
        self.ttl_s = ttl_s

    def __repr__(self) -> str:
        return f"ConversationTokens(secret=***, ttl_s={self.ttl_s})"

    def _mac(self, site_key: str, conversation_id: str, expires_at: int) -> str:
        message = b"\x00".join(
            (
                TOKEN_VERSION.encode(),
                hashlib.sha256(site_key.encode()).digest(),
                conversation_id.encode(),
                str(expires_at).encode(),
            )
        )
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(self, site_key: str, conversation_id: str, now: float | None = None) -> tuple[str, Claims]:
        expires_at = int(time.time() if now is None else now) + self.ttl_s
        token = f"{TOKEN_VERSION}.{conversation_id}.{expires_at}.{self._mac(site_key, conversation_id, expires_at)}"
        return token, Claims(conversation_id, expires_at)

    def verify(self, site_key: str, token: str | None, now: float | None = None) -> Claims:
        """The token's claims, or Unauthorized (401) saying why: missing, malformed, not
        signed for this site key (forged, altered, or another key's), expired."""
        if not token:
            raise Unauthorized(
                "conversation token missing (Authorization: Bearer <token> from POST /widget/session)", "missing_token"
            )
        parts = token.split(".")
        if (
            len(parts) != 4
            or parts[0] != TOKEN_VERSION
            or not (parts[2].isascii() and parts[2].isdigit() and len(parts[2]) <= 12)
            or parts[2] != str(int(parts[2]))  # one spelling per token: no leading zeros
        ):
            raise Unauthorized("conversation token malformed", "bad_token")
        _, conversation_id, expiry, mac = parts
        if not conversation_id.startswith(CONVERSATION_PREFIX):
            raise Unauthorized("conversation token malformed", "bad_token")
        if not hmac.compare_digest(mac.encode(), self._mac(site_key, conversation_id, int(expiry)).encode()):
            raise Unauthorized("conversation token not valid for this site key", "bad_token")
        if int(expiry) <= (time.time() if now is None else now):
            raise Unauthorized("conversation token expired; open a new session (POST /widget/session)", "expired_token")
        return Claims(conversation_id, int(expiry))


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None if absent)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <conversation token>'", "bad_token")
    return token.strip()


def client_address(connection: HTTPConnection) -> str | None:
    """The peer's address, the key of its rate-limit bucket (None when the server does not know it)."""
    return connection.client.host if connection.client else None


class OriginPolicy:
    """Which page origins may use which site key."""

    def __init__(self, allowed: Mapping[str, frozenset[str]]) -> None:
        self._allowed = {key: frozenset(o.lower() for o in origins) for key, origins in allowed.items()}
        self._any_key = frozenset().union(*self._allowed.values()) if self._allowed else frozenset()

    @staticmethod
    def same_origin(origin: str, host: str | None) -> bool:
        """The service's own page: the Origin's host[:port] is the Host the request went to."""
        if not host:
            return False
        try:
            netloc = urlsplit(origin).netloc
        except ValueError:
            return False
        return netloc.lower() == host.strip().lower()

    def allows(self, site_key: str, origin: str | None, host: str | None) -> bool:
        if origin is None:
            return True  # not sent by a page: nothing to check (tokens and rate limits apply)
        if self.same_origin(origin, host):
            return True
        allowed = self._allowed.get(site_key, frozenset())
        return "*" in allowed or origin.lower() in allowed

    def allows_any_key(self, origin: str | None, host: str | None) -> bool:
        """For a WebSocket handshake or a CORS preflight, before the site key is known."""
        if origin is None or self.same_origin(origin, host):
            return True
        return "*" in self._any_key or origin.lower() in self._any_key

    def check(self, site_key: str, origin: str | None, host: str | None) -> None:
        if not self.allows(site_key, origin, host):
            raise Forbidden(
                "this page's origin is not allowed for this site key (CHATGUARD_WIDGET_ORIGINS)", "origin_not_allowed"
            )

    def cors_origin(self, origin: str | None, host: str | None) -> str | None:
        """The Access-Control-Allow-Origin to answer a cross-origin page with, if any."""
        if origin is None or self.same_origin(origin, host) or not self.allows_any_key(origin, host):
            return None
        return origin


class RateLimiter:
    """Token buckets by name: ``rate`` per second, up to ``burst``. Bounded memory: the least
    recently used buckets go first (a forgotten bucket is a full one, the lenient side)."""

    def __init__(self, rate_per_s: float, burst: int, max_buckets: int = 100_000) -> None:
        self.rate = float(rate_per_s)
        self.burst = float(burst)
        self.max_buckets = max_buckets
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # name -> (tokens, at)

    def take(self, name: str, now: float | None = None) -> float:
        """0.0 if ``name`` may go ahead now (one token taken), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.pop(name, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[name] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[name] = (tokens, now)
            wait = (1.0 - tokens) / self.rate
        while len(self._buckets) > self.max_buckets:
            self._buckets.popitem(last=False)
        return wait
