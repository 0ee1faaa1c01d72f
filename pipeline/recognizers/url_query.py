"""URL_PII: URLs that carry personal data in their query string, fragment or profile path.

A URL (with a scheme, "www.", or a bare domain followed by a path or query) is reported
as one span, entity URL_PII, when

* a query or fragment parameter has a PII-carrying name (e-mail, phone, name, login, token,
  password, PESEL, address...; matched on the parameter's name split into words, so
  "customer_email", "userEmail", "billing.phone", "e-mail" count, and "hotel" or "page" do
  not), or a value that looks like an e-mail address (also percent-encoded, "anna%40wp.pl")
  or an international phone number ("+48601234567", "%2B48...", "0048...");
* or its path names a person: the segment after a profile-like one ("/profil/tomasz.kaczmarek",
  "/users/jkowalski", "/u/12345"; not "/profile/edit" or "/users/settings"), or a segment
  holding an e-mail address ("/unsubscribe/anna%40wp.pl").

Parameters without a value ("?email=") carry nothing and do not count. A URL with no
such parameter or path ("https://example.com/products?page=2&sort=price") is not reported.

Scores: 0.9 for a clearly personal name or value (a handle shaped like "first.last" in a
profile path counts); 0.6 for names that are only sometimes personal and are matched only
exactly (id, uid, user, name, key, session, account...), and for other profile segments.

Trailing sentence punctuation and emoji are not part of the URL ("...?pesel=123😉").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import unquote

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, ci

SCORE_STRONG = 0.9
SCORE_WEAK = 0.6

# Any word of a parameter name that makes it personal ("customer_email" -> "email").
STRONG_WORDS = frozenset({
    "email", "mail", "emailaddress", "mailaddress", "phone", "phonenumber", "tel", "telephone",
    "telefon", "mobile", "msisdn", "cellphone", "pesel", "nip", "ssn", "iban", "token",
    "accesstoken", "idtoken", "password", "passwd", "pwd", "pass", "haslo", "hasło", "secret",
    "surname", "nazwisko", "imie", "imię", "firstname", "lastname", "fullname", "givenname",
    "familyname", "username", "login", "address", "adres", "street", "ulica", "dob",
    "birthdate", "birthday", "postcode", "zipcode", "contact", "recipient", "apikey",
})
# Whole parameter names that are personal only sometimes (an "id" may be a product's).
WEAK_NAMES = frozenset({
    "id", "uid", "user", "userid", "user_id", "name", "fname", "lname", "key", "sid",
    "session", "sessionid", "session_id", "auth", "account", "accountid", "account_id",
    "customer", "customerid", "customer_id", "client", "clientid", "member", "memberid",
    "zip", "u", "who",
})

# Path segments after which the next segment names a person.
PROFILE_SEGMENTS = frozenset({
    "profil", "profile", "profiles", "user", "users", "u", "member", "members", "people",
    "person", "uzytkownik", "użytkownik", "uzytkownicy", "użytkownicy", "customer", "customers",
    "klient", "klienci", "author", "authors", "autor",
})
# ... unless it is one of these: pages of the site, not people.
ROUTE_WORDS = frozenset({
    "edit", "settings", "me", "my", "new", "view", "show", "list", "index", "search", "login",
    "logout", "register", "signup", "signin", "sign-in", "sign-up", "reset", "password",
    "security", "orders", "order", "history", "dashboard", "overview", "details", "info", "home",
    "help", "about", "create", "delete", "update", "preferences", "notifications", "privacy",
    "billing", "subscriptions", "wishlist", "cart", "addresses", "all", "ustawienia", "edycja",
    "zamowienia", "zamówienia", "historia", "haslo", "hasło", "moje", "moj", "mój", "koszyk",
    "adresy", "nowy", "lista", "szukaj", "pomoc", "logowanie", "rejestracja", "wyloguj",
})
_HANDLE = re.compile(r"[^\W\d_]+[._\-][^\W\d_]+")

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE = re.compile(r"\s*(?:\+|00)\d[\d\s().\-]{7,}")
_NAME_SPLIT = re.compile(r"[_\-.\[\]\s]+|(?<=[a-z])(?=[A-Z])")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\"’”>"


def _name_words(name: str) -> list[str]:
    return [w for w in _NAME_SPLIT.split(name) if w]


def _looks_like_email(value: str) -> bool:
    return bool(_EMAIL.search(value))


def _looks_like_phone(value: str) -> bool:
    if not _PHONE.fullmatch(value):
        return False
    digits = sum(c.isdigit() for c in value)
    return 9 <= digits <= 15


def parameter_level(name: str | None, value: str) -> float:
    """Score one query parameter: SCORE_STRONG, SCORE_WEAK or 0.0 (not personal).

    ``name`` None is a bare value ("?anna@wp.pl"): only an e-mail address counts there.
    """
    value = unquote(value).strip()
    if not value:
        return 0.0
    if _looks_like_email(value):
        return SCORE_STRONG
    if name is None:
        return 0.0
    if _looks_like_phone(value):
        return SCORE_STRONG
    name = unquote(name).strip()
    if not name:
        return 0.0
    words = [w.lower() for w in _name_words(name)]
    if any(w in STRONG_WORDS for w in words) or "".join(words) in STRONG_WORDS:
        return SCORE_STRONG
    if name.lower() in WEAK_NAMES or "".join(words) in WEAK_NAMES:
        return SCORE_WEAK
    return 0.0


def path_level(path: str) -> float:
    """Score a URL's path (everything before "?" and "#"): see the module docstring."""
    segments = path.split("/")
    best = 0.0
    for i, segment in enumerate(segments):
        if ("@" in segment or "%40" in segment) and _looks_like_email(unquote(segment)):
            return SCORE_STRONG
        if segment.lower() in PROFILE_SEGMENTS and i + 1 < len(segments):
            following = unquote(segments[i + 1]).strip()
            if following and following.lower() not in ROUTE_WORDS:
                best = max(best, SCORE_STRONG if _HANDLE.fullmatch(following) else SCORE_WEAK)
    return best


def url_pii_level(url: str) -> float:
    """The best score of a URL's path, query and fragment (0.0: nothing personal)."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    scheme_end = url.find("://")
    path_start = url.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    best = path_level(url[path_start + 1 : cut]) if 0 <= path_start < cut else 0.0
    for part in re.split(r"[?#&;]", url[cut + 1 :]):
        if best >= SCORE_STRONG:
            break
        if not part:
            continue
        name, eq, value = part.partition("=")
        best = max(best, parameter_level(name, value) if eq else parameter_level(None, name))
    return best


_TRAILING_CATEGORIES = frozenset({"So", "Sk", "Cf", "Mn", "Me", "Co", "Cs"})


def trim_url(url: str) -> str:
    """Drop what chat puts right after a URL: sentence punctuation, emoji."""
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCTUATION:
            if last == ")" and url.count("(") >= url.count(")"):
                break
        elif unicodedata.category(last) not in _TRAILING_CATEGORIES:
            break
        url = url[:-1]
    return url


class UrlQueryRecognizer(ChatguardRecognizer):
    """Whole URLs whose query/fragment parameters carry personal data."""

    ENTITY = "URL_PII"
    PATTERNS = [
        Pattern(
            "URL",
            r"(?<![\w@.\-/])(?:https?://|www\.|(?:[a-z0-9\-]+\.)+[a-z]{2,}(?::\d{1,5})?(?=[/?#]))"
            r"[^\s<>\"'`]*",
            SCORE_WEAK,
        ),
    ]
    CONTEXT = ["link", "url", "adres strony", "odnośnik", "odnosnik", "kliknij", "click"]
    # Every reported URL has "?" or "#" followed by a "=" (a parameter) or by "@"/"%40" (a bare
    # e-mail); or a profile segment followed by another; or an e-mail ("@", "%40") in its path.
    PREFILTER = re.compile(
        r"[?#][^\s=@%?#]*[=@%]|%40|/[^\s/@]*@"
        r"|/(?:" + "|".join(ci(w) for w in sorted(PROFILE_SEGMENTS, key=len, reverse=True)) + r")/[^\s/?#]"
    )

    def spans(self, text: str, match: re.Match[str], pattern: Pattern) -> Iterator[tuple[int, int, float]]:
        start = match.start()
        url = trim_url(match.group())
        level = url_pii_level(url)
        if level > 0:
            yield start, start + len(url), level
