"""The vault's HTTP API as the console calls it: the console holds the API token, never the
master key. The vault audits each call under the person's name (``actor``)."""

from __future__ import annotations

from typing import Any

import httpx

from schemas.errors import ChatguardError, Unreachable


class VaultRefused(ChatguardError):
    exit_code = 1
    metric_reason = "vault_refused"

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.http_status = status


class VaultClient:
    def __init__(self, base_url: str, token: str | None, timeout_s: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout_s

    def __repr__(self) -> str:
        return f"VaultClient({self._base!r}, token=***)"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if not self._headers:
            raise VaultRefused("the console has no CHATGUARD_VAULT_API_TOKEN: reveals and erasures are off", 503)
        try:
            answer = httpx.request(method, self._base + path, json=body, headers=self._headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise Unreachable(f"the vault API did not answer ({type(exc).__name__})") from None
        data = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
        if answer.status_code >= 400:
            raise VaultRefused(str(data.get("error") or f"the vault answered {answer.status_code}"), answer.status_code)
        return data

    def reveal(self, ref: str, reason: str, actor: str) -> dict[str, Any]:
        return self._call("POST", "/vault/reveal", {"ref": ref, "reason": reason, "actor": actor})

    def erase(self, channel: str, sender: str, reason: str, actor: str) -> dict[str, Any]:
        return self._call(
            "POST", "/vault/erase", {"channel": channel, "sender": sender, "reason": reason, "actor": actor}
        )

    def send_form(self, sender: str, conversation: str, fields: tuple[str, ...], actor: str) -> dict[str, Any]:
        """The vault issues the form and hands its link to the bot; the answer names the form, never the link."""
        return self._call(
            "POST", "/vault/forms",
            {"sender": sender, "conversation": conversation, "fields": list(fields), "actor": actor},
        )  # fmt: skip

    def verify(self) -> dict[str, Any]:
        return self._call("GET", "/vault/audit/verify")
