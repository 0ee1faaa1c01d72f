"""The tiers' import rules, read from the source (README, "How it fits together"):

schemas  <-  runtime  <-  connectors, pipeline, vault  <-  console

schemas holds contracts only and imports no other chatguard package; runtime imports schemas
only; the console builds on the vault; connectors never import pipeline (the ingest tier must not load Presidio), nor pipeline
connectors (it knows no channel). And everything but pipeline imports without Presidio, spaCy
or Faust installed: checked in a child process where those imports fail.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "runtime", "connectors", "pipeline", "vault", "console")
ALLOWED = {
    "schemas": {"schemas"},
    "runtime": {"schemas", "runtime"},
    "connectors": {"schemas", "runtime", "connectors"},
    "pipeline": {"schemas", "runtime", "pipeline"},
    "vault": {"schemas", "runtime", "vault"},
    # The console keeps its tables in the vault's database and writes the vault's audit chain;
    # reveals go through the vault's HTTP API, so it never holds the master key.
    "console": {"schemas", "runtime", "vault", "console"},
}
HEAVY = ("presidio_analyzer", "presidio_anonymizer", "spacy", "faust", "gender_guesser")


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_tiers_below_it(package: str):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package]) for path in modules(package)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_rules_would_catch_a_forbidden_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from pipeline.engine import RedactionEngine\n")
    assert imported_packages(bad) == {"pipeline"}


def test_everything_but_pipeline_imports_without_presidio_spacy_or_faust():
    names = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in ("schemas", "runtime", "connectors", "vault", "console")
        for path in modules(package)
        if "migrations" not in path.parts  # Alembic runs those, inside its own context
    ]
    code = f"""
import importlib, importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HEAVY!r}:
            raise ImportError("not installed: " + name)
sys.meta_path.insert(0, Refuse())
for name in {names!r}:
    importlib.import_module(name)
from runtime.cli import main  # registers every package's commands; pipeline's load nothing heavy
try:
    main(["--help"])
except SystemExit as done:
    assert done.code == 0
print("ok", sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok []"), done.stdout[-2000:]
