"""EMAIL_ADDRESS under any domain, a public suffix or not.

Presidio's e-mail recognizer accepts an address only when its domain ends in a public suffix
(tldextract's list), so "jan@firma.local", "ops@intranet.corp" or "anna@mail.example.internal"
pass it. In a chat, an address is personal data wherever it is hosted: this recognizer takes
any dotted domain whose last label is letters. Presidio's stays registered; overlapping
findings merge.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import LETTER, ChatguardRecognizer

_LABEL = r"[^\W_](?:[\w\-]{0,61}[^\W_])?"

SCORE = 0.6


class AnyDomainEmailRecognizer(ChatguardRecognizer):
    """local@label.label...tld, any letters-only TLD of 2 to 24 characters."""

    ENTITY = "EMAIL_ADDRESS"
    PATTERNS = [
        Pattern(
            "e-mail, any domain",
            # The local part: dot-atoms as people type them (no quoted forms); not preceded by
            # another address character, so "a..b@" or "x@y@z" do not yield a fragment.
            rf"(?<![\w.+\-@])[\w+\-]+(?:\.[\w+\-]+)*@(?:{_LABEL}\.)+{LETTER}{{2,24}}(?![\w\-@]|\.[\w\-])",
            SCORE,
        ),
    ]
    CONTEXT = ["email", "e-mail", "mail", "address", "adres", "poczta", "napisz", "write"]
    PREFILTER = re.compile(r"\w@[^\W_]")
