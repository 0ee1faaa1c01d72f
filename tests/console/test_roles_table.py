"""The README's roles table is the one in code (console/roles.py)."""

from __future__ import annotations

import re

from console.roles import markdown_table
from tests.support.paths import ROOT

TABLE = re.compile(r"<!-- roles table: generated .*? -->\n(.*?)<!-- end of roles table -->", re.S)


def test_the_readme_roles_table_is_the_one_in_code():
    found = TABLE.search((ROOT / "README.md").read_text())
    assert found, "README.md lost its roles table markers"
    assert found.group(1) == markdown_table(), "README.md's roles table differs; replace it with:\n" + markdown_table()
