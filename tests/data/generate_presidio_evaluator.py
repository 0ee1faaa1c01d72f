"""Writes ``tests/data/presidio_evaluator_generated.jsonl``: an evaluation set of sentences made by
the Presidio team's template generator (``presidio-evaluator``, ``PresidioSentenceFaker``), with
its own default templates, providers, base records and entity-type mapping. Nobody on this
project wrote the templates or the values.

Generator: PyPI ``presidio-evaluator`` 0.3.2 (github.com/microsoft/presidio-research,
now data-privacy-stack/presidio-research), MIT licence, Copyright (c) Microsoft Corporation.
Its base records come from FakeNameGenerator.com (CC-BY-SA-3.0-US), as shipped in the package.

Run it with the generator's own venv, never the project's:

    python3 -m venv /tmp/pe-venv
    /tmp/pe-venv/bin/pip install presidio-evaluator==0.3.2 Faker==40.63.0 pandas==3.1.1 numpy==2.4.6
    /tmp/pe-venv/bin/python tests/data/generate_presidio_evaluator.py \\
        --out tests/data/presidio_evaluator_generated.jsonl          # committed: seed 20261202, 3000
    /tmp/pe-venv/bin/python tests/data/generate_presidio_evaluator.py \\
        --seed 7 --out /tmp/pe-dev.jsonl                             # dev set, NOT committed

Built with CPython 3.11 on Linux. Same seed, count and package versions give the same file byte
for byte (checked with ``cmp``); the script warns on stderr if the versions above differ.

Output: JSONL, one ``{"text", "entities": [{"type", "start", "end"}], "lang": "en"}`` a line;
character offsets into ``text``, end exclusive, entities sorted by (start, end). Sentences from
templates with no placeholder have ``"entities": []``.

Generator settings: locale ``en_US``, ``lower_case_ratio=0.05`` (the library's own example),
``random_seed=--seed``. Every source of randomness is seeded (Faker's shared ``random.Random``,
``random``, ``numpy``), also before the base records are loaded, because the library draws
full names (with/without middle initial) with the global ``random`` while loading them.

Five patches keep the run reproducible and the labels true; none adds a template or a value:
- Faker's clock is frozen at ``REFERENCE_NOW`` (2026-12-02 12:00 UTC) inside
  ``faker.providers.date_time`` only, so ``date_time``/``year``/``day_of_week`` (drawn between
  1970 and "now") do not depend on the day or time zone of the run.
- ``HospitalProvider`` would query WikiData over the network when constructed; it gets the
  library's own offline fallback list instead (no default template uses hospitals), so the
  run makes no network access at all.
- ``SentenceFaker._lower_pattern`` in 0.3.2 lower-cases the span values but not the text (it
  sets an unused ``.fake`` attribute), so ~5% of samples would have offsets whose text does not
  equal the value. The patch lower-cases ``full_text`` as well, which is what the library
  means to do (its older ``PresidioDataGenerator`` does exactly that).
- The base records (the library's ``load_fake_person_df()``, FakeNameGenerator.com rows) have
  no state for ~24% of people (Norway, Iceland, Poland...). pandas reads the empty cells as
  NaN and the library inserts the text "nan", labelled GPE. The CSV is read with
  ``keep_default_na=False`` instead: an empty cell is "", so the library falls back to its
  Faker provider as it does for any field a record lacks, and Napoli's state code "NA" stays
  "NA" rather than becoming NaN.
- The organisations list (``companies_and_organizations.csv``) has one empty line, which
  pandas reads as NaN and the library would insert as "nan" labelled ORGANIZATION; that
  entry is dropped (22,210 names remain).

Kept as the generator makes them (library quirks, not ours):
- Addresses mix the records' ~30 countries with US/Faker formats: often multi-line (real
  "\\n", e.g. "703 27 Stroud Rd\\nTuttlingen\\n, BW\\n 39966"), a Faker building number before a
  record street that already has one, Faker 5-digit postcodes, US military APO/FPO/DPO.
  The library labels each placeholder separately, so "030 via varrone 35" can be two adjacent
  STREET_ADDRESS spans, and a lone postcode or "Apt. 919" is a STREET_ADDRESS.
- Some templates hold a literal backslash + "n" (two characters), and templates written with
  ">" quoting come out with a literal "}}" before each line (``_preprocess_template`` turns
  "<" and ">" into braces).
- Names come from the records (many non-ASCII: Czech, Polish, Icelandic, Greek...); a few
  hold a U+FEFF or a trailing space, which is inside the span as inserted. About half of the
  PERSON spans are a first or last name alone. ~5% of sentences are all lower case.
- Some templates have no placeholder: those sentences have no entity.

Every span is verified and the run fails (exit 1, nothing written) if any check fails:
``text[start:end]`` equals the value the generator inserted; one span per placeholder of the
template; no empty value; spans do not overlap; every type is a known output type.

Entity types: the generator's placeholder names are mapped with the library's own
``PresidioSentenceFaker.ENTITY_TYPE_MAPPING`` (the mapping behind the published
synth_dataset_v2), onto PERSON, STREET_ADDRESS, GPE, ORGANIZATION, CREDIT_CARD, DATE_TIME,
TITLE, PHONE_NUMBER, AGE, NRP, EMAIL_ADDRESS, ZIP_CODE, DOMAIN_NAME, IBAN_CODE, US_SSN,
IP_ADDRESS, US_DRIVER_LICENSE. As the library maps them:
- person, name, name_male/female, first_name*, last_name* -> PERSON
- address, street_name, building_number, secondary_address, postcode -> STREET_ADDRESS
  (NB: ``postcode`` -> STREET_ADDRESS but ``zipcode`` -> ZIP_CODE)
- city, country, state, state_abbr -> GPE
- prefix, prefix_male, prefix_female, job -> TITLE (titles such as "Mr." are TITLE, not PERSON)
- nationality, nation_man, nation_woman, nation_plural -> NRP
- date_time, date_of_birth, day_of_week, year -> DATE_TIME
- url -> DOMAIN_NAME, iban -> IBAN_CODE, ssn -> US_SSN, email -> EMAIL_ADDRESS, etc.
Types with no mapping (kept UPPER_CASE, listed in ``EXTRA_TYPES``): none with the default
templates of 0.3.2. If another version brings one, the run fails until it is added here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from datetime import date as _real_date
from datetime import datetime as _real_datetime
from datetime import timezone
from importlib import metadata
from pathlib import Path

import numpy as np

DEFAULT_SEED = 20261202
DEFAULT_COUNT = 3000
LOCALE = "en_US"
LOWER_CASE_RATIO = 0.05
REFERENCE_NOW = _real_datetime(2026, 12, 2, 12, 0, 0, tzinfo=timezone.utc)
PINNED_VERSIONS = {
    "presidio-evaluator": "0.3.2",
    "Faker": "40.63.0",
    "pandas": "3.1.1",
    "numpy": "2.4.6",
}
OUTPUT_TYPES = frozenset(
    {
        "PERSON",
        "STREET_ADDRESS",
        "GPE",
        "ORGANIZATION",
        "CREDIT_CARD",
        "DATE_TIME",
        "TITLE",
        "PHONE_NUMBER",
        "AGE",
        "NRP",
        "EMAIL_ADDRESS",
        "ZIP_CODE",
        "DOMAIN_NAME",
        "IBAN_CODE",
        "US_SSN",
        "IP_ADDRESS",
        "US_DRIVER_LICENSE",
    }
)
EXTRA_TYPES: frozenset[str] = frozenset()  # unmapped generator types, kept UPPER_CASE


class GenerationError(RuntimeError):
    pass


def _check_versions() -> None:
    for dist, wanted in PINNED_VERSIONS.items():
        try:
            have = metadata.version(dist)
        except metadata.PackageNotFoundError:
            have = "missing"
        if have != wanted:
            print(
                f"warning: {dist} {have} installed, the committed file was built with {wanted}; "
                "the output may differ",
                file=sys.stderr,
            )


def _freeze_faker_clock(now_utc: _real_datetime) -> None:
    """Make ``datetime.now()``/``date.today()`` inside faker.providers.date_time return now_utc."""
    import faker.providers.date_time as fdt

    class _Meta(type):
        # isinstance(real_datetime_obj, FrozenDatetime) must stay True inside the module.
        def __instancecheck__(cls, obj):
            return isinstance(obj, cls._real)

        def __subclasscheck__(cls, sub):
            return issubclass(sub, cls._real)

    class FrozenDatetime(_real_datetime, metaclass=_Meta):
        _real = _real_datetime

        @classmethod
        def now(cls, tz=None):
            if tz is None:
                return now_utc.replace(tzinfo=None)  # naive, as UTC
            return now_utc.astimezone(tz)

        @classmethod
        def today(cls):
            return now_utc.replace(tzinfo=None)

        @classmethod
        def utcnow(cls):
            return now_utc.replace(tzinfo=None)

    class FrozenDate(_real_date, metaclass=_Meta):
        _real = _real_date

        @classmethod
        def today(cls):
            return now_utc.date()

    fdt.datetime = FrozenDatetime
    fdt.dtdate = FrozenDate
    fdt._get_local_timezone = lambda: timezone.utc


def _patch_library() -> None:
    import pandas as pd
    from presidio_evaluator.data_generator.faker_extensions import datasets, providers, sentences

    class _PandasKeepingText:
        """pandas for ``datasets``, whose read_csv keeps "" and "NA" as text instead of NaN."""

        def __getattr__(self, name):
            return getattr(pd, name)

        @staticmethod
        def read_csv(*args, **kwargs):
            kwargs.setdefault("keep_default_na", False)
            return pd.read_csv(*args, **kwargs)

    datasets.pd = _PandasKeepingText()

    load_organizations = providers.OrganizationProvider.load_organizations

    def _load_organizations(self):
        df = load_organizations(self)
        keep = df["organization"].notna() & (df["organization"].astype(str).str.strip() != "")
        return df[keep].reset_index(drop=True)

    providers.OrganizationProvider.load_organizations = _load_organizations

    # Offline, fixed hospital list (the library's own fallback) instead of a WikiData query.
    providers.HospitalProvider.load_wiki_hospitals = lambda self: list(self.default_list)

    def _lower_pattern(pattern):
        if isinstance(pattern, str):
            return pattern.lower()
        pattern.full_text = pattern.full_text.lower()
        for span in pattern.spans:
            span.entity_value = str(span.entity_value).lower()
        return pattern

    sentences.SentenceFaker._lower_pattern = staticmethod(_lower_pattern)


def _seed_everything(seed: int) -> None:
    from faker import Faker

    Faker.seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def generate(seed: int, count: int) -> list[dict]:
    _freeze_faker_clock(REFERENCE_NOW)
    _patch_library()

    import pandas as pd
    from presidio_evaluator.data_generator import PresidioSentenceFaker
    from presidio_evaluator.data_generator.faker_extensions.datasets import load_fake_person_df
    from presidio_evaluator.data_generator.faker_extensions.span_generator import _re_token

    _seed_everything(seed)  # before the base records are loaded: they use the global random
    records = load_fake_person_df()  # what the constructor loads by default (patched read_csv)
    if records.isna().any().any():
        raise GenerationError("base records hold missing values, they would be inserted as 'nan'")
    sentence_faker = PresidioSentenceFaker(
        locale=LOCALE,
        lower_case_ratio=LOWER_CASE_RATIO,
        base_records=records,
        random_seed=seed,  # re-seeds Faker, random and numpy after construction
    )
    for provider in sentence_faker._sentence_faker.providers:
        for table in vars(provider).values():
            if isinstance(table, pd.DataFrame) and table.isna().any().any():
                raise GenerationError(f"{type(provider).__name__} has missing values in its list")
    templates = sentence_faker._sentence_templates
    samples = sentence_faker.generate_new_fake_sentences(num_samples=count)
    if len(samples) != count:
        raise GenerationError(f"asked for {count} samples, got {len(samples)}")

    allowed = OUTPUT_TYPES | EXTRA_TYPES
    rows = []
    for i, sample in enumerate(samples):
        text = sample.full_text
        where = f"sample {i} (template {sample.template_id}: {templates[sample.template_id]!r})"
        template = PresidioSentenceFaker._preprocess_template(templates[sample.template_id])
        n_placeholders = sum(1 for _ in _re_token.finditer(template))
        if len(sample.spans) != n_placeholders:
            raise GenerationError(
                f"{where}: {len(sample.spans)} spans for {n_placeholders} placeholders"
            )
        entities = []
        for span in sample.spans:
            value = str(span.entity_value)
            start, end = span.start_position, span.end_position
            if not value:
                raise GenerationError(f"{where}: empty value for {span.entity_type}")
            if not (0 <= start < end <= len(text)) or text[start:end] != value:
                raise GenerationError(
                    f"{where}: span {span.entity_type} [{start}:{end}] is "
                    f"{text[start:end]!r}, inserted value was {value!r}; text {text!r}"
                )
            if span.entity_type not in allowed:
                raise GenerationError(
                    f"{where}: unexpected entity type {span.entity_type!r}; map it or add it "
                    "to EXTRA_TYPES and the docstring"
                )
            entities.append({"type": span.entity_type, "start": start, "end": end})
        entities.sort(key=lambda e: (e["start"], e["end"]))
        for a, b in zip(entities, entities[1:]):
            if b["start"] < a["end"]:
                raise GenerationError(f"{where}: overlapping spans {a} and {b}")
        rows.append({"text": text, "entities": entities, "lang": "en"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be positive")

    _check_versions()
    started = time.monotonic()
    try:
        rows = generate(args.seed, args.count)
    except GenerationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    args.out.write_bytes(data)
    elapsed = time.monotonic() - started

    counts = Counter(e["type"] for row in rows for e in row["entities"])
    print(f"wrote {len(rows)} sentences to {args.out} (seed {args.seed}) in {elapsed:.1f} s")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")
    for entity_type, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {entity_type:<18} {n}")
    print(f"  {'(no entities)':<18} {sum(1 for row in rows if not row['entities'])} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
