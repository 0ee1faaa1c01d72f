"""Hostile bodies: size caps before reading it all, bounded decompression, strict JSON."""

from __future__ import annotations

import gzip
import zlib

import pytest

from connectors.body import MAX_JSON_DEPTH, decompress, parse_json, read_capped
from connectors.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType


async def chunks_of(data: bytes, size: int, consumed: list[int]):
    for i in range(0, len(data), size):
        consumed.append(i + size)
        yield data[i : i + size]


async def test_body_within_limit_is_read_whole():
    consumed: list[int] = []
    assert await read_capped(None, chunks_of(b"x" * 1000, 100, consumed), 1000) == b"x" * 1000


async def test_declared_length_over_limit_is_refused_without_reading():
    consumed: list[int] = []
    with pytest.raises(PayloadTooLarge):
        await read_capped("5000", chunks_of(b"x" * 5000, 100, consumed), 1000)
    assert consumed == []


async def test_streamed_body_over_limit_stops_at_the_limit():
    consumed: list[int] = []
    with pytest.raises(PayloadTooLarge):
        await read_capped(None, chunks_of(b"x" * 100_000, 100, consumed), 1000)
    assert max(consumed) <= 1100  # stopped one chunk past the limit, not at 100 KB


async def test_bad_content_length_is_a_bad_request():
    with pytest.raises(BadRequest):
        await read_capped("12abc", chunks_of(b"", 1, []), 1000)


@pytest.mark.parametrize(
    "encoding, compress", [("gzip", gzip.compress), ("deflate", zlib.compress), ("GZIP", gzip.compress)]
)
def test_compressed_bodies_are_decompressed(encoding, compress):
    assert decompress(compress(b'{"a": 1}'), encoding, 1000) == b'{"a": 1}'


@pytest.mark.parametrize("encoding, compress", [("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_decompression_bomb_is_refused(encoding, compress):
    bomb = compress(b"\0" * 50_000_000)  # 50 MB of zeros in ~50 KB
    assert len(bomb) < 100_000
    with pytest.raises(PayloadTooLarge):
        decompress(bomb, encoding, 256 * 1024)


@pytest.mark.parametrize(
    "body, encoding, error",
    [
        (b"not gzip at all", "gzip", BadRequest),
        (gzip.compress(b"x" * 100)[:-8], "gzip", BadRequest),
        (b"x", "br", UnsupportedMediaType),
    ],
)
def test_broken_or_unknown_encodings_are_refused(body, encoding, error):
    with pytest.raises(error):
        decompress(body, encoding, 1000)


def test_identity_is_passed_through():
    assert decompress(b"abc", None, 10) == b"abc"
    assert decompress(b"abc", "identity", 10) == b"abc"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"text": "caf\xe9"}', "UTF-8"),
        (b'{"a": ', "JSON"),
        (b"", "JSON"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "nested"),
        (b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), "nested"),
    ],
)
def test_bad_json_is_a_bad_request_with_a_reason(body, reason):
    with pytest.raises(BadRequest) as caught:
        parse_json(body)
    assert reason in caught.value.reason


def test_error_reasons_do_not_quote_the_body():
    with pytest.raises(BadRequest) as caught:
        parse_json(b'{"text": "anna.nowak@example.com" oops}')
    assert "anna" not in caught.value.reason


def test_nesting_within_the_limit_is_fine():
    depth = MAX_JSON_DEPTH - 1
    assert parse_json(b"[" * depth + b"]" * depth) == parse_json(b"[" * depth + b"]" * depth)


async def test_unicode_digits_in_content_length_are_a_bad_request():
    with pytest.raises(BadRequest):
        await read_capped("²", chunks_of(b"", 1, []), 1000)
