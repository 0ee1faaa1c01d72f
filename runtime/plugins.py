"""Parts one tier uses without importing another: found through entry points.

``chatguard.value_keepers``: a callable ``(environ) -> ValueKeeper | None`` (None: keeping is
switched off). The vault registers one; the pipeline asks for it here and never imports it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

from runtime.settings import load, vault_mode_setting
from schemas.errors import ConfigError
from schemas.keeping import ValueKeeper

VALUE_KEEPERS = "chatguard.value_keepers"


@dataclass(frozen=True, slots=True)
class KeeperSwitch:
    mode: str = vault_mode_setting()


def value_keeper(environ: Mapping[str, str] | None = None) -> ValueKeeper | None:
    """The installed value keeper, opened with ``environ``'s settings; None when it is off."""
    env = os.environ if environ is None else environ
    found = sorted(entry_points(group=VALUE_KEEPERS), key=lambda e: e.name)
    if not found:
        if load(KeeperSwitch, env).mode == "off":
            return None
        raise ConfigError(
            "CHATGUARD_VAULT: no vault is installed (install chatguard with the vault), or set CHATGUARD_VAULT=off"
        )
    keeper: ValueKeeper | None = found[0].load()(env)
    return keeper
