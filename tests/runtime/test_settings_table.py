"""The README's settings table is generated from the settings' declarations (runtime/settings.py):
this keeps the two equal, and each variable declared once."""

from __future__ import annotations

import re
from pathlib import Path

from connectors.canary.command import CanarySettings
from connectors.settings import IngestSettings
from pipeline.settings import Settings
from runtime.logs import LogSettings
from runtime.settings import markdown_rows, specs
from vault.settings import FormsSettings, PseudonymKey, VaultApiSettings, VaultSettings

README = Path(__file__).resolve().parents[2] / "README.md"
# Settings and IngestSettings hold the Kafka group; CanarySettings repeats a worker's setting.
CLASSES = (
    Settings,
    LogSettings,
    IngestSettings,
    CanarySettings,
    VaultSettings,
    VaultApiSettings,
    FormsSettings,
    PseudonymKey,
)
TABLE = re.compile(r"<!-- settings table: generated .*? -->\n(.*?)<!-- end of settings table -->", re.S)


def test_the_readme_settings_table_is_the_generated_one():
    found = TABLE.search(README.read_text())
    assert found, "README.md lost its settings table markers"
    expected = markdown_rows(*CLASSES)
    assert found.group(1) == expected, "README.md's settings table differs; replace it with:\n" + expected


def test_every_variable_is_declared_once_with_help_and_one_meaning():
    declared: dict[str, tuple] = {}
    for cls in CLASSES:
        for name, spec, default in specs(cls):
            assert spec.env.startswith("CHATGUARD_") and spec.help.strip(), (cls.__name__, name)
            # The same variable in two tiers (the pseudonym key) must be the same declaration.
            key = (spec.help, spec.secret, spec.strong, default)
            assert declared.setdefault(spec.env, key) == key, f"{spec.env} is declared twice, differently"
