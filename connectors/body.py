"""Reading a request body defensively: size cap, bounded decompression, strict UTF-8 JSON."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson

from connectors.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_JSON_DEPTH = 32


async def read_capped(content_length: str | None, chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The whole body, or PayloadTooLarge as soon as it passes ``limit`` — never read further."""
    if content_length is not None:
        if not (content_length.isascii() and content_length.isdigit()):
            raise BadRequest("Content-Length is not a number")
        if int(content_length) > limit:
            raise PayloadTooLarge(f"body larger than {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def decompress(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo gzip/deflate, producing at most ``limit`` bytes (a decompression bomb stops there)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    else:
        raise UnsupportedMediaType("Content-Encoding must be gzip, deflate or identity")
    try:
        out = decoder.decompress(body, limit + 1)
        if len(out) > limit or decoder.unconsumed_tail:
            raise PayloadTooLarge(f"decompressed body larger than {limit} bytes")
        out += decoder.flush()
    except zlib.error:
        raise BadRequest(f"body is not valid {encoding}") from None
    if len(out) > limit:
        raise PayloadTooLarge(f"decompressed body larger than {limit} bytes")
    if not decoder.eof:
        raise BadRequest(f"body is truncated {encoding}")
    return out


def parse_json(body: bytes) -> Any:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson reports a position, never the input.
        raise BadRequest(f"body is not valid JSON ({exc.args[0] if exc.args else 'parse error'})") from None
    _check_depth(data)
    return data


def _check_depth(data: Any) -> None:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
