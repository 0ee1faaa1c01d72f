"""The vault as the pipeline's value keeper (entry point ``chatguard.value_keepers``)."""

from __future__ import annotations

from collections.abc import Mapping

from vault.core import Vault, open_vault
from vault.settings import VaultSettings


def keeper_from_env(environ: Mapping[str, str]) -> Vault | None:
    settings = VaultSettings.from_env(environ)
    return open_vault(settings) if settings.enabled else None
