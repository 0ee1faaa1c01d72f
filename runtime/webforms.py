"""Reading a request body with a size limit, and an HTML form's urlencoded fields: one way for
every server that takes forms (the secure forms, the console). Errors name no value."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from schemas.errors import ChatguardError


class BadBody(ChatguardError):
    http_status = 400
    exit_code = 2
    metric_reason = "bad_body"

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.http_status = status


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` bytes (declared or streamed)."""
    if int(request.headers.get("content-length") or 0) > limit:
        raise BadBody(f"body larger than {limit} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadBody(f"body larger than {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def urlencoded(body: bytes, max_fields: int) -> dict[str, str]:
    """A urlencoded form body: UTF-8, each name once, at most ``max_fields`` fields."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=max_fields,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise BadBody("the body is not a UTF-8 urlencoded form of known fields") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise BadBody("a field was sent twice")
        values[name] = value
    return values


async def read_form(request: Request, limit: int, max_fields: int) -> dict[str, str]:
    kind, _, params = request.headers.get("content-type", "").partition(";")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if "charset=" in params.lower() else "utf-8"
    if kind.strip().lower() != "application/x-www-form-urlencoded" or charset not in ("utf-8", "utf8"):
        raise BadBody("a form is sent as application/x-www-form-urlencoded in UTF-8", 415)
    return urlencoded(await read_body(request, limit), max_fields)
