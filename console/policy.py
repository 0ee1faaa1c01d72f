"""Detection policy versions: an Editor proposes, a change that protects no less is published at
once, a weakening one (``schemas.policy.weakenings``) waits for an Administrator who is not its
proposer (two-person rule). Published means written to ``chat.policy``: workers switch to it
between two batches and stamp its version on every clean event. Every step is audited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, insert, select, update

from console import audit
from console.tables import policies
from schemas.errors import ChatguardError, SchemaError
from schemas.policy import PolicyDocument, weakenings

NO_BASELINE = "no policy is published yet: the workers use their files, so nothing to compare with"


class PolicyRefused(ChatguardError):
    http_status = 409
    exit_code = 1
    metric_reason = "policy_refused"


@dataclass(frozen=True, slots=True)
class Proposal:
    version: str
    document: str
    weakens: list[str]
    proposed_by: str
    status: str
    decided_by: str | None


def parse(text: str) -> PolicyDocument:
    """A document typed into the console (JSON); SchemaError names the field."""
    try:
        return PolicyDocument.decode(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise SchemaError("policy", "not valid UTF-8") from None


class PolicyDesk:
    def __init__(
        self,
        engine: Engine,
        current: Callable[[], Awaitable[PolicyDocument | None]],
        publish: Callable[[PolicyDocument], Awaitable[int]],
    ) -> None:
        self.engine = engine
        self._current = current
        self._publish = publish

    async def current(self) -> PolicyDocument | None:
        return await self._current()

    def proposals(self, limit: int = 50) -> list[Proposal]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(policies).order_by(policies.c.proposed_at.desc()).limit(limit))
            return [
                Proposal(r.version, r.document, orjson.loads(r.weakens), r.proposed_by, r.status, r.decided_by)
                for r in rows
            ]

    async def propose(self, text: str, who: str, origin: str) -> Proposal:
        """Record a proposal; publish it at once unless it weakens protection."""
        document = parse(text)
        current = await self._current()
        weakens = [NO_BASELINE] if current is None else weakenings(current, document)
        if current is not None and document.version == current.version:
            raise PolicyRefused("give the new document a new version: workers stamp it on every event")
        status = "pending" if weakens else "published"
        now = int(time.time())

        def record() -> None:
            with self.engine.begin() as conn:
                if conn.execute(select(policies.c.version).where(policies.c.version == document.version)).first():
                    raise PolicyRefused(f"version {document.version} was proposed before: pick another")
                conn.execute(
                    insert(policies).values(
                        version=document.version, document=document.encode().decode(), weakens=orjson.dumps(weakens).decode(),
                        proposed_by=who, proposed_at=now, status=status,
                    )
                )  # fmt: skip
                audit.record(
                    conn, who, "policy_propose", f"{document.version} {status} ({len(weakens)} weaker)"[:40], origin
                )

        await asyncio.to_thread(record)
        if status == "published":
            try:
                await self._publish(document)
            except Exception:
                await asyncio.to_thread(self._forget, document.version)  # not in force: propose it again
                raise
            await asyncio.to_thread(
                audit.record_alone, self.engine, who, "policy_publish", document.version[:40], origin
            )
        return Proposal(document.version, document.encode().decode(), weakens, who, status, None)

    def _forget(self, version: str) -> None:
        from sqlalchemy import delete

        with self.engine.begin() as conn:
            conn.execute(delete(policies).where(policies.c.version == version))

    async def decide(self, version: str, approve: bool, who: str, origin: str) -> Proposal:
        """An Administrator approves (publishes) or rejects a pending weakening proposal."""

        def check() -> Proposal:
            with self.engine.begin() as conn:
                row = conn.execute(select(policies).where(policies.c.version == version)).first()
                if row is None or row.status != "pending":
                    raise PolicyRefused("no pending proposal of that version")
                if row.proposed_by == who:
                    audit.record(conn, who, "policy_approve", f"{version} refused: own proposal"[:40], origin)
                return Proposal(row.version, row.document, orjson.loads(row.weakens), row.proposed_by, row.status, None)

        def mark(status: str) -> bool:
            with self.engine.begin() as conn:
                done = conn.execute(
                    update(policies).where(policies.c.version == version, policies.c.status == "pending")
                    .values(status=status, decided_by=who, decided_at=int(time.time()))
                ).rowcount  # fmt: skip
                if done:
                    audit.record(conn, who, "policy_approve" if approve else "policy_reject", version[:40], origin)
                return bool(done)

        pending = await asyncio.to_thread(check)
        if pending.proposed_by == who:
            raise PolicyRefused("two-person rule: someone other than the proposer must approve a weakening change")
        if approve:
            await self._publish(parse(pending.document))  # in force first, then recorded as such
        if not await asyncio.to_thread(mark, "published" if approve else "rejected"):
            raise PolicyRefused("someone else decided on it meanwhile")
        decided = Proposal(pending.version, pending.document, pending.weakens, pending.proposed_by,
                           "published" if approve else "rejected", who)  # fmt: skip
        return decided
