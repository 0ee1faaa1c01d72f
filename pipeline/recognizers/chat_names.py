"""PERSON: names people give in chat, English and Polish, lower-case included.

The span is the name only: 1-3 words of letters (Polish diacritics, hyphenated surnames
"Kowalska-Nowak", "O'Brien"), never the cue. Cues, by strength:

* strong, 0.85: "my name is", "my name's", "the name's", "name:", "full name:",
  "nazywam się", "mam na imię", "na imię mam", "moje imię to", "imię i nazwisko:",
  "nazwisko:"; and "podpisano:" (0.8). Any word that is not on the stop list is taken
  ("my name is anna kowalska" -> "anna kowalska"; "my name is not important" -> nothing).
* weak, 0.6: "I'm" / "I am", "this is", "call me", "it's X here", "jestem", "X z tej
  strony" / "z tej strony X", sign-offs ("regards,", "thanks,", "cheers,", "best,",
  "pozdrawiam", "z poważaniem", "dzięki", "-- X"). The first word must be in the first-name
  list (any case) or capitalised ("Anna"; not "ANNA", all-caps text has no case to go by),
  and not on the stop list: "i'm anna" and "I'm Zbyszko" are names, "i'm happy",
  "I'm Sorry", "I'M FURIOUS", "jestem zmęczony" are not.
* list-only, 0.6: "tu X" and "im X" (no apostrophe): the first word must be in the
  first-name list ("tu kasia"; not "tu jest", "tu Warszawa").

A sign-off name ends its line ("Regards, John Smith⏎"): when more text follows on the
line, a sign-off needs a listed first name ("thanks John, see you" yes, "Thanks. Next
question" no).

After the first word, up to two more are taken while they look like name parts: after a
strong cue, any non-stop word; after a weaker cue, a capitalised word, a first name, or a
lower-case word with a typical Polish surname ending (-ski, -cka, -wicz, -czyk, -ak...).
"""

from __future__ import annotations

import re
from typing import Iterator

from presidio_analyzer import Pattern

from pipeline.recognizers._base import LETTER, ChatguardRecognizer, ci, word_start_prefilter
from pipeline.recognizers._first_names import FIRST_NAMES

STRONG, WEAK, LIST_ONLY = "strong", "weak", "list"

# Words that are never a name after a cue (EN + PL): function words, adjectives and
# participles people put after "I'm" / "jestem", verbs that follow "my name is X".
STOP_WORDS = frozenset("""
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
robot ai assistant agent the a an name surname lastname firstname real full first last
fully totally quite pretty rather bit little lot lots much more most less least enough
unsure not sure confused happy pleased delighted annoyed concerned interested responsible
sending trying talking chatting typing messaging here thinking checking following writing
in at on via also well anyway however though although yet thus therefore hence
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
sent original forwarded reply message end note update edit ps bye mate guys everybody folks
bro man dude buddy sir madam do does did let next wszystkim wszystkich kolego koleżanko
panie panu państwu serdecznie góry
""".split())

_TOKEN = rf"{LETTER}+(?:[\-'’]{LETTER}+)*"
_NAME = rf"(?P<name>{_TOKEN}(?:[ \t]+{_TOKEN}){{0,2}})"
_SEP = r"(?:[ \t]*[:,\-–—][ \t]*|[ \t]+)"
_TOKEN_RE = re.compile(_TOKEN)
_ENDS_LINE = re.compile(r"[ \t]*[.!,:;)]*[ \t]*(?:\r?\n|$)")
_SURNAME_ENDING = re.compile(r"(?:ski|ska|cki|cka|dzki|dzka|wicz|czyk|czak|czuk|ak|ek|ik|uk|yk|iec)$")
_SIGN_OFFS = (
    r"best[ \t]+regards|kind[ \t]+regards|warm[ \t]+regards|regards|cheers|many[ \t]+thanks"
    r"|thanks|thank[ \t]+you|pozdrawiam(?:[ \t]+serdecznie)?|serdecznie[ \t]+pozdrawiam"
    r"|pozdrowienia|pozdr|z[ \t]+poważaniem|z[ \t]+powazaniem|dziękuję|dziekuje|dzięki|dzieki"
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
            rf"|(?:full[ \t]+|first[ \t]+|last[ \t]+|sur)?name[ \t]*:){_SEP}{_NAME}",
            SCORE_STRONG,
        ),
        Pattern(
            "nazywam się / mam na imię",
            rf"\b(?:nazywam[ \t]+si[eę]|mam[ \t]+na[ \t]+imi[eę]|na[ \t]+imi[eę][ \t]+mam"
            rf"|moje[ \t]+(?:imi[eę](?:[ \t]+i[ \t]+nazwisko)?|nazwisko)[ \t]+to"
            rf"|imi[eę](?:[ \t]+i[ \t]+nazwisko)?[ \t]*:|nazwisko[ \t]*:){_SEP}{_NAME}",
            SCORE_STRONG,
        ),
        Pattern("podpisano", rf"\bpodpisan[oay]\b{_SEP}{_NAME}", SCORE_SIGNED),
        Pattern(
            "I'm / this is / call me / jestem / z tej strony X",
            rf"\b(?:i[ \t]*['’][ \t]*m|i[ \t]+am|this[ \t]+is|call[ \t]+me|jestem|z[ \t]+tej[ \t]+strony)"
            rf"{_SEP}{_NAME}",
            SCORE_WEAK,
        ),
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
            rf"\b(?:(?:{_SIGN_OFFS})[ \t]*[,!.]?|best[ \t]*[,!.]|best[ \t]*(?=\n))\s+{_NAME}",
            SCORE_WEAK,
        ),
        Pattern("-- signature", rf"(?:^|(?<=\s))(?:--+|—|–)[ \t]*{_NAME}", SCORE_WEAK),
        Pattern("tu / im X", rf"\b(?:tu|im)[ \t]+{_NAME}", SCORE_WEAK),
    ]
    # Per-pattern prefilters: the literal part of each cue (a pattern never matches without it).
    PATTERN_GUARDS = {
        "my name is": _guard(r"name"),
        "nazywam się / mam na imię": _guard(r"nazywam|imi[eę]|nazwisk"),
        "podpisano": _guard(r"podpisan"),
        "I'm / this is / call me / jestem / z tej strony X": _guard(
            r"\bi[ \t]*['’]|\bi[ \t]+am\b|this[ \t]+is|call[ \t]+me|jestem|tej[ \t]+strony"
        ),
        "it's X here": _guard(r"\bit['’]?s\b"),
        "X z tej strony": _guard(r"tej[ \t]+strony"),
        "sign-off": _guard(r"regards|cheers|thank|\bbest\b|pozdr|powa[zż]aniem|dzi[eę]k"),
        "-- signature": _guard(r"--|—|–"),
        "tu / im X": _guard(r"\b(?:tu|im)\b"),
    }
    # The union of the guards, written for speed (see _base.ci): every cue starts a word,
    # except "name" ("surname:", "fullname").
    PREFILTER = word_start_prefilter(
        [
            ci("nazywam"), ci("imię"), ci("imie"), ci("nazwisk"), ci("podpisan"),
            ci("i") + r"[ \t]*['’]", ci("i am") + r"(?!\w)", ci("this is"), ci("call me"), ci("jestem"),
            ci("tej strony"), ci("it") + r"['’]?" + ci("s") + r"(?!\w)", ci("regards"), ci("cheers"),
            ci("thank"), ci("best") + r"(?!\w)", ci("pozdr"), ci("poważaniem"), ci("powazaniem"),
            ci("dzięk"), ci("dziek"), "--", "—", "–", ci("tu") + r"(?!\w)", ci("im") + r"(?!\w)",
        ],
        anywhere=[ci("name")],
    )
    # How each pattern's first name word is checked (default: WEAK).
    TIERS = {
        "my name is": STRONG,
        "nazywam się / mam na imię": STRONG,
        "podpisano": STRONG,
        "tu / im X": LIST_ONLY,
    }
    BACKWARD = frozenset({"X z tej strony"})
    SIGNATURES = frozenset({"sign-off", "-- signature"})
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
            return not (word[0].isupper() and lower in self.first_names)
        # English participles and adverbs ("I'm Looking", "I'm Totally") are never names.
        return len(lower) > 4 and lower.endswith(("ing", "ly")) and lower not in self.first_names

    def _is_first_word(self, word: str, tier: str) -> bool:
        if len(word) < 2 or self._is_stop(word):
            return False
        if tier == STRONG or word.lower() in self.first_names:
            return True
        return tier == WEAK and _capitalised(word)

    def _is_next_word(self, word: str, tier: str) -> bool:
        if len(word) < 2 or self._is_stop(word):
            return False
        if tier == STRONG or _capitalised(word):
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
        else:
            chosen = self._forward(tokens, tier)
            if chosen and pattern.name in self.SIGNATURES and not _ENDS_LINE.match(text, chosen[-1].end):
                # A sign-off name ends its line; mid-line ("Thanks. Next question") only a
                # listed first name counts ("thanks John, see you").
                chosen = self._forward(tokens, LIST_ONLY)
        if chosen:
            yield chosen[0].start, chosen[-1].end, pattern.score

    def _forward(self, tokens: list[_Token], tier: str) -> list[_Token]:
        if not tokens or not self._is_first_word(tokens[0].word, tier):
            return []
        chosen = [tokens[0]]
        for token in tokens[1:]:
            if chosen[-1].possessive or not self._is_next_word(token.word, tier):
                break
            chosen.append(token)
        return chosen

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
    """"Anna", not "anna" and not "ANNA": an all-caps message carries no case information."""
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
