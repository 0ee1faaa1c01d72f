"""The widget's page and its assets: plain files from ``connectors/static/``, no build step, no CDN.

``GET /widget/`` (the demo page; also ``/widget/demo``), ``/widget/widget.js``, ``widget.css``, ``icon.svg``
    Served without a key, under a strict CSP.

How the page gets its site key: from its own URL's fragment, ``/widget/#site_key=<key>``
(fragments never reach a server or proxy), from ``?site_key=`` (a site key is public, so one that
reaches a log gives nothing away), or, when the script is embedded elsewhere,
``<script src=".../widget/widget.js" data-site-key="<key>">``. The server never writes a key into
the page. A site key is a public identifier of the embedding site, not a secret; the
conversation token is the visitor's capability, kept in the tab's sessionStorage.
"""

from __future__ import annotations

import importlib.resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_TYPES = {
    "widget.html": "text/html; charset=utf-8",
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
_PATHS = {
    "/widget/": "widget.html",
    "/widget/demo": "widget.html",
    "/widget/widget.js": "widget.js",
    "/widget/widget.css": "widget.css",
    "/widget/icon.svg": "icon.svg",
}
# The page talks only to the service that served it; nothing inline, nothing from elsewhere.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class StaticPages:
    """The files, read once (a missing one fails at start-up, not on the first visitor)."""

    def __init__(self) -> None:
        self._files = {name: _read(name) for name in _TYPES}

    def routes(self) -> list[Route]:
        return [Route(path, self._endpoint(name), methods=["GET"]) for path, name in _PATHS.items()]

    def _endpoint(self, name: str):
        async def endpoint(_: Request) -> Response:
            return self.response(name)

        return endpoint

    def response(self, name: str) -> Response:
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store" if name.endswith(".html") else "no-cache",
        }
        if name.endswith(".html"):
            headers["Content-Security-Policy"] = _CSP
        return Response(self._files[name], media_type=_TYPES[name], headers=headers)


def _read(name: str) -> bytes:
    return importlib.resources.files("connectors").joinpath("static", name).read_bytes()
