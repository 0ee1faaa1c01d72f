"""The detection budget: how long one message may take before it is held back.

Every detection step is linear in the text (tested on 64 KB adversarial inputs), so a message
can be slow only by being long; the budget bounds what even that may cost. The detector
checks a message's budget between its steps (each recognizer, each view, NER); a message past
it is held back (quarantined, counted) and its neighbours go on. A step that never returns
(a bug, a pathological library path) is the detection process's watchdog's job
(``pipeline.detect_process``), which kills the process and isolates the message.
"""

from __future__ import annotations

import time

from schemas.errors import ChatguardError


class DeadlineExceeded(ChatguardError):
    """One message's detection ran past its budget; the message is held back."""


class Budget:
    """Seconds of detection one message may use, counted only while it is being worked on
    (a batch's messages take turns)."""

    __slots__ = ("seconds", "spent", "_since")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.spent = 0.0
        self._since: float | None = None

    def __enter__(self) -> Budget:
        self._since = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._since is not None:
            self.spent += time.perf_counter() - self._since
            self._since = None

    def check(self) -> None:
        """Raise DeadlineExceeded once the message has used up its budget."""
        if self.seconds is None:
            return
        running = time.perf_counter() - self._since if self._since is not None else 0.0
        if self.spent + running > self.seconds:
            raise DeadlineExceeded(f"detection budget of {self.seconds:g} s used up")
