"""The form's HTML: server-rendered, no script, every value escaped.

The form posts to its own address, so values travel in the request body, never in a URL. Pre-filled
values sit in the page the server sends, looked up by the token: never in the link.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from schemas.forms import FIELDS

STYLE = """
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem}label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;margin-top:.25rem}
.problem{color:#a40000;font-weight:400}.note{color:#555;font-size:.9rem}
button{margin-top:1.5rem;padding:.6rem 1.4rem;font-size:1rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/forms.css"></head>'
        f"<body>{body}</body></html>"
    )


def form_page(
    fields: tuple[str, ...],
    values: Mapping[str, str],
    problems: Mapping[str, str] | None = None,
    prefill_action: str | None = None,
    submit_action: str = "",
) -> str:
    """``prefill_action``: where the "fill in my details" button posts (None: no button);
    ``submit_action``: where the form posts (relative; empty: the page's own address)."""
    problems = problems or {}
    rows = []
    for name in fields:
        kind = FIELDS[name]
        problem = (
            f' <span class="problem" id="{name}-problem">{escape(problems[name])}</span>' if name in problems else ""
        )
        rows.append(
            f'<label for="{name}">{escape(kind.label)}{problem}</label>'
            f'<input id="{name}" name="{name}" type="{kind.input_type}" autocomplete="{kind.autocomplete}" '
            f'maxlength="{kind.max_length}" required value="{escape(values.get(name, ""), quote=True)}">'
        )
    return _page(
        "Secure form",
        "<h1>Secure form</h1>"
        '<p class="note">What you enter here goes to a protected store, not into the chat. '
        "This link works once.</p>"
        + (
            f'<form method="post" action="{escape(prefill_action, quote=True)}" class="prefill">'
            '<button type="submit" id="prefill">Fill in the details I gave in the chat</button></form>'
            if prefill_action
            else ""
        )
        + f'<form method="post" action="{escape(submit_action, quote=True)}" autocomplete="on">'
        + f'{"".join(rows)}<button type="submit">Send</button></form>',
    )


def done_page() -> str:
    return _page(
        "Thank you",
        '<h1>Thank you</h1><p id="done">Your details were received. You can close this page and go back to the chat.</p>',
    )


def refusal_page(reason: str) -> str:
    return _page("Form unavailable", f'<h1>Form unavailable</h1><p id="refusal">{escape(reason)}</p>')
