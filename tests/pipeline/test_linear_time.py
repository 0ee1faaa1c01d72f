"""Every detection step is linear in the text: on 64 KB of adversarial input each takes about
four times what it takes on 16 KB, not sixteen (a ratio of two timings in one run; a step
too fast to time at 64 KB is linear enough). The inputs are the shapes that made steps
super-linear before: runs of separators a regex backtracks over, long runs without spaces
spaCy's tokenizer peels one mark at a time, thousands of findings each checked against all.
"""

from __future__ import annotations

import time

import pytest

# Repeated to 16 KB and 64 KB; a tail closes some (an "@" after "a.a.a.").
ADVERSARIAL = {
    "dotted-local-part": ("a.", "@"),
    "spelled-email": ("a dot ", " at x"),
    "spelled-email-2": ("a at b dot ", ""),
    "initials": ("x. Aa ", ""),
    "url-params": ("http://a.b/?x=a@b.", ""),
    "query-marks": ("!?", ""),
    "marks": ("!", ""),
    "smileys": (":)", ""),
    "possessives": ("'s", ""),
    "spaced-digits": ("1 ", ""),
    "dashed-digits": ("1-", ""),
    "dotted-digits": ("1.", ""),
    "slashed-digits": ("1/", ""),
    "digit-lookalikes": ("1O", ""),
    "capitalised-words": ("Aaa Bbb ", ""),
    "street-lines": ("ul. Długa 5, ", ""),
    "apartments": ("Apt. 5 ", ""),
    "iban-groups": ("PL12 ", ""),
    "dotted-pesel": ("440.", ""),
    "plus-digits": ("+4", ""),
    "ip-octets": ("1.1.", ""),
    "name-list": ("Kowalski, Becker, Vasquez, Tanaka, ", ""),
    "pii-lines": ("Jan Kowalski, ul. Polna 12/4, 00-950 Warszawa, tel. 601 234 567, ", ""),
}
TOO_FAST_TO_TIME_S = 0.02
# Linear growth gives 4x, quadratic 16x; 10x leaves room for a busy CI machine, still below 16.
SUPER_LINEAR = 10
RETRIES = 4


def text(name: str, size: int) -> str:
    unit, tail = ADVERSARIAL[name]
    return (unit * (size // len(unit) + 1))[: size - len(tail)] + tail


def seconds(step, value: str) -> float:
    started = time.perf_counter()
    step(value)
    return time.perf_counter() - started


def ratio(step, small: str, large: str) -> tuple[float, float]:
    """(16 KB seconds, 64 KB seconds), the fastest of a few timings while the pair looks
    super-linear (another process may have had the core during one of them)."""
    large_s = seconds(step, large)
    if large_s < TOO_FAST_TO_TIME_S:
        return 0.0, large_s
    small_s = seconds(step, small)
    for _ in range(RETRIES):
        if not super_linear(small_s, large_s):
            break
        small_s, large_s = min(small_s, seconds(step, small)), min(large_s, seconds(step, large))
    return small_s, large_s


def super_linear(small_s: float, large_s: float) -> bool:
    return large_s >= TOO_FAST_TO_TIME_S and large_s / max(small_s, TOO_FAST_TO_TIME_S / 4) > SUPER_LINEAR


@pytest.fixture(scope="module")
def steps(real_engine):
    return real_engine.detector.steps


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_every_step_is_linear(steps, name):
    small, large = text(name, 16_000), text(name, 64_000)
    slow = []
    for step_name, step in steps:
        step(small[:2_000])  # warm-up
        small_s, large_s = ratio(step, small, large)
        if super_linear(small_s, large_s):
            slow.append((step_name, round(small_s, 3), round(large_s, 3)))
    assert slow == [], f"super-linear on {name!r}: (step, 16 KB s, 64 KB s) {slow}"
