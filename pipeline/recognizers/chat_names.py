"""PERSON: names people give in chat, English and Polish, lower-case included.

The span is the name only: 1-3 words of letters (Polish diacritics, hyphenated surnames
"Kowalska-Nowak", "O'Brien"), never the cue. Cues, by strength:

* strong, 0.85: "my name is", "my name's", "the name's", "name:", "full name:", "her
  maiden name is", "What's your last name?",
  "nazywam się", "mam na imię", "na imię mam", "moje imię to", "imię i nazwisko:",
  "nazwisko:"; and "podpisano:" (0.8). Any word that is not on the stop list is taken
  ("my name is anna kowalska" -> "anna kowalska"; "my name is not important" -> nothing).
* weak, 0.6: "I'm" / "I am", "this is", "call me", "it's X here", "jestem", "X z tej
  strony" / "z tej strony X"; form-like labels ("name X", "name on card X", "cardholder",
  "account holder", "owner", "winner", "recipient", "właściciel", "odbiorca", "dane",
  "dane do kontaktu/faktury/wysyłki", "na nazwisko"); "transfer me to X", "speak/talk to
  X", "connect me with X"; sign-offs ("regards,", "thanks,", "cheers,", "best,",
  "pozdrawiam", "z poważaniem", "dzięki", "-- X"). The first word must be in the
  first-name list (any case) or capitalised ("Anna"; not "ANNA", all-caps text has no
  case to go by), and not on the stop list: "i'm anna" and "I'm Zbyszko" are names,
  "i'm happy", "I'm Sorry", "I'M FURIOUS", "jestem zmęczony" are not.
* list-only, 0.6: "tu X" and "im X" (no apostrophe): the first word must be in the
  first-name list ("tu kasia"; not "tu jest", "tu Warszawa").

After the first word, up to two more are taken while they look like name parts: after a
strong cue, any non-stop word; after a weaker cue, a capitalised word, a first name, a
lower-case word with a typical Polish surname ending (-ski, -cka, -wicz, -czyk, -ak...),
or - right after a listed first name - any word that is not on the stop list ("i'm thomas
edwards").

Sign-offs: a name that ends its line ("Regards, John Smith⏎", "best, amelia edwards 🙂")
is taken whole, like after a strong cue; so are two or three plain lower-case words that
end it ("best, grace griffiths"; not one: "thanks heaps"). When more text follows on the
line, a sign-off needs a listed first name ("thanks John, see you" yes, "Thanks. Next
question" no).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import Pattern

from pipeline.recognizers._base import LETTER, ChatguardRecognizer, ci, word_start_prefilter
from pipeline.recognizers._first_names import FIRST_NAMES

STRONG, WEAK, LIST_ONLY = "strong", "weak", "list"

# Words that are never a name after a cue (EN + PL): function words, common chat words,
# adjectives and participles people put after "I'm" / "jestem", verbs that follow
# "my name is X", labels that follow a name in forms ("tel", "email", "nip").
STOP_WORDS = frozenset(
    """
a an the not no yes yeah yep nope so very really just also still only here there now then
than back fine good great ok okay k alright allright well sure sorry glad happy sad tired
busy free available able unable ready new old done going looking trying interested writing
calling wondering asking waiting having getting doing working hoping thinking afraid aware
confused lost late early home out in on at from with to for of about and but or because as
by your my his her their our this that these those it its he she they we you i me him them
us what who whom whose where when why how which hi hello hey thanks thank please pls plz
currently always never already almost like gonna wanna using one two three customer client
user student teacher manager member married single pregnant sick ill hungry bored excited
worried upset angry frustrated disappointed satisfied unhappy cool super awesome perfect
correct right wrong serious kidding joking curious contacting reaching following leaving
coming moving staying planning allowed supposed certain positive stuck today tomorrow
tonight yesterday later soon again anytime asap if after before maybe probably definitely
actually literally basically too either all both each every some any none nothing something
everything anything someone anyone everyone nobody somebody over under up down off into
onto via per within without during since until while between need needs want wants have
has had would could can will shall should must may might am is are was were be been being
live lives work works called wrote write ordered order bought paid got love hate know
think see say said told tell help here's there's it's that's what's polish english
american british german french ukrainian spanish italian russian canadian irish scottish
australian monday tuesday wednesday thursday friday saturday sunday january february march
july august september october november december speaking admin support team bot human
catholic christian muslim jewish hindu buddhist atheist vegan vegetarian european asian
african latino latina mexican indian chinese japanese korean dutch swedish norwegian czech
robot ai assistant agent name surname lastname firstname real full first last
fully totally quite pretty rather bit little lot lots much more most less least enough
unsure pleased delighted annoyed concerned responsible sending talking chatting typing
messaging checking anyway however though although yet thus therefore hence
sent original forwarded reply message end note update edit ps bye mate guys everybody folks
bro man dude buddy sir madam do does did let next nice glad meet pleasure welcome regards
best kind warm cheers btw fyi lol omg thx ty np idk imo tbh asap hope hoping wish
tel tele phone mobile cell email mail e-mail nip pesel regon iban adres address nr no
number numer id card konto account order zamówienie ul al os pl street road avenue
again too also once twice ever even already still yet soon urgent urgently quickly fast
slow slowly sorry pardon excuse oh ah uh um hmm wow yay haha hehe xd
i w we z ze na do od po o u za przed przy pod nad bez dla że się sie nie tak jest jestem
są był była było mam masz ma mamy macie mają tu tutaj tam już juz jeszcze bardzo teraz
dzisiaj dziś dzis jutro wczoraj dobrze źle zle okej nic coś cos ktoś ktos to ten ta te ci co
kto gdzie kiedy jak dlaczego czemu który która które mój moja moje twój twoja jego jej ich
nasz wasz sam sama sami nowy nowa nowe stary stara zmęczony zmęczona zmeczony zmeczona
głodny głodna glodny glodna chory chora pewien pewna pewny zainteresowany zainteresowana
ciekawy ciekawa gotowy gotowa zadowolony zadowolona niezadowolony niezadowolona zły zła
smutny smutna szczęśliwy szczęśliwa wdzięczny wdzięczna klientem klientką klient klientka
studentem studentką studentka student polakiem polką ukraińcem ukrainką przekonany
przekonana zdenerwowany zdenerwowana rozczarowany rozczarowana zajęty zajęta wolny wolna
dostępny dostępna żonaty zamężna mężatką kawalerem panną dzień dobry dobra dobre cześć czesc
witam hej siema proszę prosze dziękuję dziekuje dzięki dzieki pan pani państwo osoba osobą
tylko też tez również rowniez także takze chyba może moze właśnie wlasnie naprawdę
naprawde serio totalnie strasznie trochę troche całkiem calkiem zupełnie pierwszy pierwsza
ponownie znowu znów zawsze nigdy często czasem mieszkańcem właścicielem właścicielką
rodzicem mamą tatą synem córką żoną mężem lekarzem nauczycielem pracownikiem pracownicą
kurierem kierowcą administratorem obsługą konsultantem konsultantką botem człowiekiem
poniedziałek wtorek środa czwartek piątek sobota niedziela chcę chce potrzebuję
potrzebuje piszę pisze dzwonię dzwonie zamówiłem zamówiłam mieszkam pracuję pracuje szukam
miałem miałam byłem byłam będę bede chciałem chciałam chciałbym chciałabym zamówienie
zamówienia oraz ale albo lub bo więc wiec żeby zeby czy imię imie nazwisko nazywam
wszystkim wszystkich kolego koleżanko panie panu państwu serdecznie góry
telefon kom komórka mejl maila adresu ulica konta numeru faktury zamówieniu sprawie
miło mi pozdrawiam pozdrowienia dziękujemy zapraszam prosimy pytanie problem pomoc
""".split()
)

_TOKEN = rf"{LETTER}+(?:[\-'’]{LETTER}+)*"
_NAME = rf"(?P<name>{_TOKEN}(?:[ \t]+{_TOKEN}){{0,2}})"
_SEP = r"(?:[ \t]*[:,\-–—][ \t]*|[ \t]+)"
# Cue patterns end in a lookahead for the name: a match consumes only its cue, so that a
# cue inside a rejected candidate ("thanks so much best samuel robinson") is still seen.
_TOKEN_RE = re.compile(_TOKEN)
_CONTRACTION = re.compile(r"['’](?:ll|ve|d|re|m|t)$|n['’]t$")
# Nothing but punctuation, symbols and emoji left on the line (not a question).
_ENDS_LINE = re.compile(r"[^\w\n?]*(?:\n|$)")
_SURNAME_ENDING = re.compile(r"(?:ski|ska|cki|cka|dzki|dzka|wicz|czyk|czak|czuk|ak|ek|ik|uk|yk|iec)$")
_SIGN_OFFS = (
    r"best[ \t]+regards|kind[ \t]+regards|warm[ \t]+regards|regards|cheers|many[ \t]+thanks"
    r"|thanks|thank[ \t]+you|pozdrawiam(?:[ \t]+serdecznie)?|serdecznie[ \t]+pozdrawiam"
    r"|pozdrowienia|pozdr|z[ \t]+poważaniem|z[ \t]+powazaniem|dziękuję|dziekuje|dzięki|dzieki"
)
_LABELS = (
    r"name(?:[ \t]+on[ \t]+(?:the[ \t]+)?card)?|card[ \t]*holder(?:['’]s)?(?:[ \t]+name)?"
    r"|account[ \t]+holder|holder|owner|winner|recipient|contact[ \t]+person"
    r"|w[łl]a[śs]ciciel(?:ka)?|odbiorca|zwyci[ęe]zca|laureat(?:ka)?|osoba[ \t]+kontaktowa"
    r"|dane(?:[ \t]+(?:do[ \t]+(?:kontaktu|faktury|wysy[łl]ki|przelewu|zwrotu)|kontaktowe|osobowe))?"
    r"|na[ \t]+nazwisko"
    r"|(?:transfer|put)[ \t]+me[ \t]+(?:through[ \t]+)?to|connect[ \t]+me[ \t]+(?:to|with)"
    r"|(?:speak|talk)[ \t]+(?:to|with)"
)

SCORE_STRONG = 0.85
SCORE_SIGNED = 0.8
SCORE_WEAK = 0.6


def _guard(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


class ChatNameRecognizer(ChatguardRecognizer):
    """Person names introduced by chat phrasing ("my name is", "nazywam się", "I'm", "tu")."""

    ENTITY = "PERSON"
    PATTERNS = [
        Pattern(
            "my name is",
            rf"\b(?:(?:my|the)[ \t]+(?:(?:full|first|last|real|sur)[ \t]*)?name(?:[ \t]+is|['’]s)"
            rf"|(?:(?:my|your|his|her|their|our|the)[ \t]+)?(?:maiden|family|given|last|sur)[ \t]*name"
            rf"(?:[ \t]+is|['’]s|[ \t]*\?)"
            rf"|(?:full[ \t]+|first[ \t]+|last[ \t]+|sur)?name[ \t]*:){_SEP}(?={_NAME})",
            SCORE_STRONG,
        ),
        Pattern(
            "nazywam się / mam na imię",
            rf"\b(?:nazywam[ \t]+si[eę]|mam[ \t]+na[ \t]+imi[eę]|na[ \t]+imi[eę][ \t]+mam"
            rf"|moje[ \t]+(?:imi[eę](?:[ \t]+i[ \t]+nazwisko)?|nazwisko)[ \t]+to"
            rf"|imi[eę](?:[ \t]+i[ \t]+nazwisko)?[ \t]*:|nazwisko[ \t]*:){_SEP}(?={_NAME})",
            SCORE_STRONG,
        ),
        Pattern("podpisano", rf"\bpodpisan[oay]\b{_SEP}(?={_NAME})", SCORE_SIGNED),
        Pattern(
            "I'm / this is / call me / jestem / z tej strony X",
            rf"\b(?:i[ \t]*['’][ \t]*m|i[ \t]+am|this[ \t]+is|call[ \t]+me|jestem|z[ \t]+tej[ \t]+strony)"
            rf"{_SEP}(?={_NAME})",
            SCORE_WEAK,
        ),
        Pattern("labels", rf"\b(?:{_LABELS}){_SEP}(?={_NAME})", SCORE_WEAK),
        Pattern(
            "it's X here",
            rf"\bit['’]?s[ \t]+(?P<name>{_TOKEN}(?:[ \t]+{_TOKEN}){{0,2}}?)[ \t]+here\b",
            SCORE_WEAK,
        ),
        Pattern(
            "X z tej strony",
            rf"(?<![\w'’\-]){_NAME}[ \t]*,?[ \t]+z[ \t]+tej[ \t]+strony\b",
            SCORE_WEAK,
        ),
        Pattern(
            "sign-off",
            rf"\b(?:(?:{_SIGN_OFFS})[ \t]*[,!.]?|best[ \t]*[,!.]|best[ \t]*(?=\n))\s+(?={_NAME})",
            SCORE_WEAK,
        ),
        # "thanks so much best samuel robinson": a bare "best" needs a listed first name
        # ("Best Buy price match?" is a shop).
        Pattern("best X", rf"\bbest[ \t]+(?={_NAME})", SCORE_WEAK),
        Pattern("-- signature", rf"(?:^|(?<=\s))(?:--+|—|–)[ \t]*(?={_NAME})", SCORE_WEAK),
        Pattern("tu / im X", rf"\b(?:tu|im)[ \t]+(?={_NAME})", SCORE_WEAK),
    ]
    # Per-pattern prefilters: the literal part of each cue (a pattern never matches without it).
    PATTERN_GUARDS = {
        "my name is": _guard(r"name"),
        "nazywam się / mam na imię": _guard(r"nazywam|imi[eę]|nazwisk"),
        "podpisano": _guard(r"podpisan"),
        "I'm / this is / call me / jestem / z tej strony X": _guard(
            r"\bi[ \t]*['’]|\bi[ \t]+am\b|this[ \t]+is|call[ \t]+me|jestem|tej[ \t]+strony"
        ),
        "labels": _guard(
            r"name|holder|owner|winner|recipient|contact|w[łl]a[śs]ciciel|odbiorca|zwyci[ęe]zca"
            r"|laureat|kontaktowa|\bdane\b|nazwisko|\bme[ \t]+(?:through|to|with)|\b(?:speak|talk)[ \t]"
        ),
        "it's X here": _guard(r"\bit['’]?s\b"),
        "X z tej strony": _guard(r"tej[ \t]+strony"),
        "sign-off": _guard(r"regards|cheers|thank|\bbest\b|pozdr|powa[zż]aniem|dzi[eę]k"),
        "best X": _guard(r"\bbest\b"),
        "-- signature": _guard(r"--|—|–"),
        "tu / im X": _guard(r"\b(?:tu|im)\b"),
    }
    # The union of the guards, written for speed (see _base.ci): every cue starts a word,
    # except "name" ("surname:", "fullname") and "holder" ("cardholder").
    PREFILTER = word_start_prefilter(
        [
            ci("nazywam"),
            ci("imię"),
            ci("imie"),
            ci("nazwisk"),
            ci("podpisan"),
            ci("i") + r"[ \t]*['’]",
            ci("i am") + r"(?!\w)",
            ci("this is"),
            ci("call me"),
            ci("jestem"),
            ci("tej strony"),
            ci("it") + r"['’]?" + ci("s") + r"(?!\w)",
            ci("regards"),
            ci("cheers"),
            ci("thank"),
            ci("best") + r"(?!\w)",
            ci("pozdr"),
            ci("poważaniem"),
            ci("powazaniem"),
            ci("dzięk"),
            ci("dziek"),
            "--",
            "—",
            "–",
            ci("tu") + r"(?!\w)",
            ci("im") + r"(?!\w)",
            ci("account holder"),
            ci("owner"),
            ci("winner"),
            ci("recipient"),
            ci("contact person"),
            ci("właściciel"),
            ci("wlasciciel"),
            ci("własciciel"),
            ci("wlaściciel"),
            ci("odbiorca"),
            ci("zwycięzca"),
            ci("zwyciezca"),
            ci("laureat"),
            ci("osoba kontaktowa"),
            ci("dane") + r"(?!\w)",
            ci("transfer me"),
            ci("put me"),
            ci("connect me"),
            ci("speak") + r"[ \t]",
            ci("talk") + r"[ \t]",
        ],
        anywhere=[ci("name"), ci("holder")],
    )
    # How each pattern's first name word is checked (default: WEAK).
    TIERS = {
        "my name is": STRONG,
        "nazywam się / mam na imię": STRONG,
        "podpisano": STRONG,
        "tu / im X": LIST_ONLY,
        "best X": LIST_ONLY,
    }
    BACKWARD = frozenset({"X z tej strony"})
    SIGNATURES = frozenset({"sign-off", "best X", "-- signature"})
    # The cues are part of the patterns; these words are listed for AnalyzerEngine users
    # (results are flagged as already context-scored, so Presidio does not boost them again).
    CONTEXT = ["name", "my name", "imię", "imie", "nazwisko", "nazywam", "podpis", "signature"]

    def __init__(
        self,
        supported_language: str = "en",
        *args,
        first_names: frozenset[str] | None = None,
        stop_words: frozenset[str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(supported_language, *args, **kwargs)
        self.first_names = FIRST_NAMES if first_names is None else first_names
        self.stop_words = STOP_WORDS if stop_words is None else stop_words

    # -- word tests ------------------------------------------------------------------------

    def _is_stop(self, word: str) -> bool:
        lower = word.lower()
        if lower in self.stop_words:
            # "Sam" is a name, "sam" (PL: alone) is not: a capitalised first name wins.
            return not (_capitalised(word) and lower in self.first_names)
        if _CONTRACTION.search(lower):
            return True  # "I'll", "don't", "we're"
        # English participles and adverbs ("I'm Looking", "I'm Totally") are never names.
        return len(lower) > 4 and lower.endswith(("ing", "ly")) and lower not in self.first_names

    def _is_first_word(self, word: str, tier: str) -> bool:
        if len(word) < 2 or self._is_stop(word):
            return False
        if tier == STRONG or word.lower() in self.first_names:
            return True
        return tier == WEAK and _capitalised(word)

    def _is_next_word(self, word: str, tier: str, after_first_name: bool = False) -> bool:
        if len(word) < 2 or self._is_stop(word):
            return False
        if tier == STRONG or after_first_name or _capitalised(word):
            return True
        lower = word.lower()
        return lower in self.first_names or (len(lower) > 3 and bool(_SURNAME_ENDING.search(lower)))

    # -- spans -----------------------------------------------------------------------------

    def spans(self, text: str, match: re.Match[str], pattern: Pattern) -> Iterator[tuple[int, int, float]]:
        base = match.start("name")
        tokens = [_Token(base + m.start(), m.group()) for m in _TOKEN_RE.finditer(match.group("name"))]
        tier = self.TIERS.get(pattern.name, WEAK)
        if pattern.name in self.BACKWARD:
            chosen = self._backward(tokens, tier)
        elif pattern.name in self.SIGNATURES:
            chosen = self._signature(text, tokens, tier)
        else:
            chosen = self._forward(tokens, tier, tier)
        if chosen:
            yield chosen[0].start, chosen[-1].end, pattern.score

    def _forward(self, tokens: list[_Token], first_tier: str, next_tier: str) -> list[_Token]:
        if not tokens or not self._is_first_word(tokens[0].word, first_tier):
            return []
        chosen = [tokens[0]]
        listed = tokens[0].word.lower() in self.first_names
        for token in tokens[1:]:
            after_first_name = listed and len(chosen) == 1
            if chosen[-1].possessive or not self._is_next_word(token.word, next_tier, after_first_name):
                break
            chosen.append(token)
        return chosen

    def _signature(self, text: str, tokens: list[_Token], first_tier: str = WEAK) -> list[_Token]:
        # A name that ends its line is taken whole; otherwise it needs a listed first name.
        if first_tier == LIST_ONLY:
            chosen = self._forward(tokens, LIST_ONLY, STRONG)
            if chosen and _ENDS_LINE.match(text, chosen[-1].end):
                return chosen
            return self._forward(tokens, LIST_ONLY, WEAK)
        whole = self._forward(tokens, WEAK, STRONG)
        if whole and _ENDS_LINE.match(text, whole[-1].end):
            return whole
        # Two or three plain words closing a sign-off line are a name too ("best, grace
        # griffiths"); one plain word is not ("thanks heaps").
        plain = self._forward(tokens, STRONG, STRONG)
        if len(plain) >= 2 and _ENDS_LINE.match(text, plain[-1].end):
            return plain
        chosen = self._forward(tokens, WEAK, WEAK)
        if chosen and _ENDS_LINE.match(text, chosen[-1].end):
            return chosen
        return self._forward(tokens, LIST_ONLY, WEAK)

    def _backward(self, tokens: list[_Token], tier: str) -> list[_Token]:
        # The name ends right before "z tej strony": the longest run of name-like words
        # ending there, trimmed from the left to a word a weak cue accepts as a first name.
        run: list[_Token] = []
        for token in reversed(tokens):
            if token.possessive or not self._is_next_word(token.word, WEAK):
                break
            run.insert(0, token)
        while run and not self._is_first_word(run[0].word, tier):
            run.pop(0)
        return run


def _capitalised(word: str) -> bool:
    """ "Anna", not "anna" and not "ANNA": an all-caps message carries no case information."""
    return word[0].isupper() and not word.isupper()


class _Token:
    """A word of a candidate name; a possessive "'s" is cut off and ends the name."""

    __slots__ = ("start", "word", "possessive")

    def __init__(self, start: int, raw: str) -> None:
        self.start = start
        self.possessive = len(raw) > 2 and raw[-2] in "'’" and raw[-1] in "sS"
        self.word = raw[:-2] if self.possessive else raw

    @property
    def end(self) -> int:
        return self.start + len(self.word)
