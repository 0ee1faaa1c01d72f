"""``chatguard``: one command, sub-commands contributed by each package.

Sub-commands are declared in pyproject.toml under the ``chatguard.commands`` entry-point
group; each names a ``register(subparsers)`` function. The dispatcher imports no package's
internals, so ``chatguard ingest`` never loads Presidio and ``chatguard worker`` never loads
the HTTP connectors.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

from schemas.errors import ChatguardError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chatguard", description="Keeps personal data out of chat event streams.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for entry in sorted(entry_points(group="chatguard.commands"), key=lambda e: e.name):
        entry.load()(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ChatguardError as exc:  # its message names what failed, never a value
        print(f"chatguard {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
