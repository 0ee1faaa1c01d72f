"""Parts one tier uses without importing another: found through entry points.

``chatguard.value_keepers``: a callable ``(environ) -> ValueKeeper | None`` (None: keeping is
switched off). The vault registers one; the pipeline asks for it here and never imports it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import entry_points

from schemas.errors import ConfigError
from schemas.keeping import ValueKeeper

VALUE_KEEPERS = "chatguard.value_keepers"


def value_keeper(environ: Mapping[str, str] | None = None) -> ValueKeeper | None:
    """The installed value keeper, opened with ``environ``'s settings; None when it is off."""
    env = os.environ if environ is None else environ
    found = sorted(entry_points(group=VALUE_KEEPERS), key=lambda e: e.name)
    if not found:
        if env.get("CHATGUARD_VAULT", "on").strip().lower() == "off":
            return None
        raise ConfigError(
            "CHATGUARD_VAULT: no vault is installed (install chatguard with the vault), or set CHATGUARD_VAULT=off"
        )
    keeper: ValueKeeper | None = found[0].load()(env)
    return keeper
