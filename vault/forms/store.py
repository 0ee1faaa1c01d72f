"""Forms in the vault's database: issued, shown (pre-filled), submitted once.

A link's token is random (256 bits) and kept only as its SHA-256. Submitting claims the form,
keeps the values and publishes the form's event in one database transaction: if Kafka does not
acknowledge the event, nothing is kept and the link still works, so the visitor can try again.
Every issue, view, pre-fill, submission and refusal is audited, with the form's id, never a value.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, func, insert, select, update

from schemas.errors import SchemaError
from schemas.forms import FIELDS, SubmittedField, summary
from schemas.keeping import KeptValue, ReplyAddress
from schemas.pseudonyms import Pseudonymiser
from schemas.raw import RawMessage
from vault import audit as audit_log
from vault import replies
from vault.core import Vault, lock_subjects
from vault.errors import FormGone, FormInvalid, FormsThrottled, FormUnknown, NoReplyAddress
from vault.forms.requests import FormRequest, checked_values
from vault.tables import entries, forms, subjects

log = logging.getLogger("chatguard.forms")

TOKEN_BYTES = 32
MAX_TOKEN = 64
MAX_FORMS_PER_HOUR = 10  # per sender: a bot cannot mint links without bound
UNKNOWN_AUDITED_PER_MINUTE = 60  # beyond it, unknown links are counted, not chained (a flood)  # token_urlsafe(32) is 43 characters; anything longer was never issued


@dataclass(frozen=True, slots=True)
class Issued:
    form_id: str
    token: str  # goes into the link once, never stored
    expires_at: int

    def __repr__(self) -> str:
        return f"Issued(form_id={self.form_id!r}, token=***, expires_at={self.expires_at})"


@dataclass(frozen=True, slots=True)
class ShownForm:
    form_id: str
    fields: tuple[str, ...]
    prefilled: dict[str, str] = field(repr=False, default_factory=dict)
    can_prefill: bool = False  # the bot asked for it and the visitor has not used it yet


def form_link(base_url: str, token: str) -> str:
    return f"{base_url}/f/{token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class FormStore:
    def __init__(
        self,
        vault: Vault,
        pseudonyms: Pseudonymiser,
        ttl_s: int = 900,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.vault = vault
        self.pseudonyms = pseudonyms
        self.ttl_s = ttl_s
        self._clock = clock
        self._unknown = _Budget(UNKNOWN_AUDITED_PER_MINUTE)

    def _now(self) -> int:
        return int(self._clock())

    def issue(self, request: FormRequest, actor: str = "bot") -> Issued:
        now = self._now()
        form_id, token = "f_" + secrets.token_hex(16), secrets.token_urlsafe(TOKEN_BYTES)
        subject = self.pseudonyms.sender(request.channel, request.sender_id)
        with self.vault.engine.begin() as conn:
            lock_subjects(conn, {subject})  # two requests at once must not both pass the cap
            recent = conn.execute(
                select(func.count())
                .select_from(forms)
                .where(forms.c.subject == subject, forms.c.created_at > now - 3600)
            ).scalar_one()
            if recent >= MAX_FORMS_PER_HOUR:
                throttled = True
            else:
                throttled = False
                conn.execute(
                    insert(forms).values(
                    form_id=form_id, token_hash=token_hash(token), channel=request.channel,
                    channel_kind=request.channel_kind, conversation_id=request.conversation_id,
                    sender_id=request.sender_id, subject=subject,
                    conversation=self.pseudonyms.conversation(request.channel, request.conversation_id),
                    fields=",".join(request.fields), prefill=request.prefill,
                    created_at=now, expires_at=now + self.ttl_s,
                    )
                )  # fmt: skip
            audit_log.append(
                conn, at=now, actor=actor, action="form_issue", ref=None if throttled else form_id, subject=subject,
                outcome="throttled" if throttled else "fields " + ",".join(request.fields)[:25],
            )  # fmt: skip
        if throttled:
            raise FormsThrottled(f"at most {MAX_FORMS_PER_HOUR} forms an hour for one sender")
        return Issued(form_id, token, now + self.ttl_s)

    def show(self, token: str, prefill: bool = False) -> ShownForm:
        """The form behind ``token``. With ``prefill`` (the visitor pressed the button, once per
        form): the values this sender already gave in this conversation, newest of each type, each
        audited. Never on a plain view, which link previews and scanners also make."""
        now = self._now()
        with self.vault.engine.begin() as conn:
            row = self._usable(conn, token, now, "prefill" if prefill else "form_view")
            if isinstance(row, Exception):
                refusal: Exception = row
            else:
                fields, prefilled = tuple(row.fields.split(",")), {}
                if prefill:
                    claimed = conn.execute(
                        update(forms)
                        .where(
                            forms.c.form_id == row.form_id, forms.c.prefill.is_(True), forms.c.prefilled_at.is_(None)
                        )
                        .values(prefilled_at=now)
                    ).rowcount
                    if claimed == 1:
                        prefilled = self._prefill(conn, row, fields, now)
                audit_log.append(
                    conn, at=now, actor=f"form {row.form_id}", action="form_view", ref=row.form_id,
                    subject=row.subject, outcome=f"shown, {len(prefilled)} pre-filled",
                )  # fmt: skip
                if prefill and not prefilled and row.prefilled_at is not None:
                    refusal = FormGone("your saved details were shown once already: type them, please")
                else:
                    can = bool(row.prefill) and row.prefilled_at is None and not prefill
                    return ShownForm(row.form_id, fields, prefilled, can)
        raise refusal  # after the commit: the refusal stays audited

    def submit(self, token: str, submitted: Mapping[str, str], publish: Callable[[RawMessage], None]) -> RawMessage:
        """Keep the submitted values and publish the form's event (``publish`` returns once
        Kafka acknowledged it, or raises and nothing is kept). Returns the event."""
        now = self._now()
        with self.vault.engine.begin() as conn:
            row = self._usable(conn, token, now, "form_submit")
        if isinstance(row, Exception):
            raise row
        fields = tuple(row.fields.split(","))
        try:
            values = checked_values(fields, submitted)  # before the claim: a typo must not use up the link
        except (FormInvalid, SchemaError) as exc:
            which = ",".join(exc.problems) if isinstance(exc, FormInvalid) else "unknown field"
            with self.vault.engine.begin() as conn:
                audit_log.append(
                    conn, at=now, actor=f"form {row.form_id}", action="form_submit", ref=row.form_id,
                    subject=row.subject, outcome="invalid " + which,
                )  # fmt: skip
            raise
        with self.vault.engine.begin() as conn:
            lock_subjects(conn, {row.subject})  # as an erasure does first: no deadlock between them
            claimed = conn.execute(
                update(forms)
                .where(forms.c.form_id == row.form_id, forms.c.submitted_at.is_(None), forms.c.expires_at > now)
                .values(submitted_at=now, conversation_id=None, sender_id=None)
            ).rowcount
            event = self._keep(conn, row, fields, values, now) if claimed == 1 else None
            if event is not None:
                publish(event)  # inside the transaction: no acknowledgement, no commit
        if event is None:  # a second tab submitted, or an erasure withdrew the form, meanwhile
            with self.vault.engine.begin() as conn:
                gone: Exception
                if conn.execute(select(forms.c.form_id).where(forms.c.form_id == row.form_id)).first() is None:
                    audit_log.append(
                        conn, at=now, actor=f"form {row.form_id}", action="form_submit", outcome="withdrawn"
                    )
                    gone = FormUnknown("no such form: the link is wrong, or its form was withdrawn")
                else:
                    gone = self._refused(conn, row, now, "form_submit", "used")
            raise gone
        return event

    def reply_address(self, subject: str, conversation: str) -> ReplyAddress:
        """Where ``subject`` can be reached in ``conversation`` (NoReplyAddress if nowhere)."""
        found = None
        if self.vault.keep_reply_addresses:  # off: rows kept before do not count either
            with self.vault.engine.connect() as conn:
                found = replies.find(conn, self.vault.keys, subject, conversation, self._now())
        if found is None:
            raise NoReplyAddress(
                "the vault holds no way to reach this sender in this conversation (not seen within the "
                "retention period, erased, or CHATGUARD_VAULT_REPLY_ADDRESSES is off)"
            )
        return found.address

    def withdraw(self, form_id: str, actor: str, why: str) -> bool:
        """End an issued form whose link may not have reached its sender: its link answers "expired"
        from now on, its raw ids are dropped, and it still counts against the hourly cap. False:
        it was submitted already (the link did reach its sender), and nothing changes."""
        now = self._now()
        with self.vault.engine.begin() as conn:
            subject = conn.execute(select(forms.c.subject).where(forms.c.form_id == form_id)).scalar_one_or_none()
            # Expired as of its creation: a submission that read the clock before this still fails its claim.
            withdrawn = conn.execute(
                update(forms)
                .where(forms.c.form_id == form_id, forms.c.submitted_at.is_(None))
                .values(expires_at=forms.c.created_at, conversation_id=None, sender_id=None)
            ).rowcount
            if withdrawn:
                audit_log.append(
                    conn, at=now, actor=actor, action="form_withdraw", ref=form_id, subject=subject, outcome=why[:40],
                )  # fmt: skip
        return bool(withdrawn)

    # -- helpers ----------------------------------------------------------------------------------

    def _keep(
        self, conn: Connection, row: Row, fields: tuple[str, ...], values: dict[str, str], now: int
    ) -> RawMessage:
        event_id = f"form:{row.form_id}"
        kept = [
            KeptValue(event_id, FIELDS[name].entity_type, row.subject, values[name], row.conversation)
            for name in fields
        ]
        refs = self.vault.put_in(conn, kept, now)
        form = tuple(SubmittedField.of(name, ref) for name, ref in zip(fields, refs, strict=True))
        audit_log.append(
            conn, at=now, actor=f"form {row.form_id}", action="form_submit", ref=row.form_id,
            subject=row.subject, outcome=f"kept {len(refs)}",
        )  # fmt: skip
        return RawMessage(
            event_id=event_id, channel=row.channel, channel_kind=row.channel_kind,
            conversation_id=row.conversation_id, sender_id=row.sender_id,
            sent_at=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            text=summary(form), metadata={"form_id": row.form_id}, form=form,
        )  # fmt: skip

    def _usable(self, conn: Connection, token: str, now: int, action: str) -> Row | FormUnknown | FormGone:
        """The form behind ``token``, or the refusal to raise once this transaction has
        committed its audit entry."""
        row = None
        if 0 < len(token) <= MAX_TOKEN:
            row = conn.execute(select(forms).where(forms.c.token_hash == token_hash(token))).first()
        if row is None:
            if self._unknown.allow(now):
                audit_log.append(conn, at=now, actor="form ?", action=action, outcome="unknown_link")
            return FormUnknown("no such form: the link is wrong, or its form was withdrawn")
        if row.submitted_at is not None:
            return self._refused(conn, row, now, action, "used")
        if row.expires_at <= now:
            return self._refused(conn, row, now, action, "expired")
        return row

    def _refused(self, conn: Connection, row: Row, now: int, action: str, why: str) -> FormGone:
        audit_log.append(
            conn, at=now, actor=f"form {row.form_id}", action=action, ref=row.form_id, subject=row.subject,
            outcome=why,
        )  # fmt: skip
        if why == "used":
            return FormGone("this form was already sent: ask the chat for a new link if you need to change something")
        return FormGone("this form link has expired: ask the chat for a new one")

    def _prefill(self, conn: Connection, form: Row, fields: tuple[str, ...], now: int) -> dict[str, str]:
        prefilled: dict[str, str] = {}
        for name in fields:
            entry = conn.execute(
                select(entries, subjects.c.key_id, subjects.c.wrapped_key)
                .join(subjects, subjects.c.subject == entries.c.subject)
                .where(
                    entries.c.subject == form.subject,
                    entries.c.conversation == form.conversation,
                    entries.c.entity_type == FIELDS[name].entity_type,
                    entries.c.expires_at > now,
                )
                .order_by(entries.c.created_at.desc())
                .limit(1)
            ).first()
            if entry is None:
                continue
            try:
                prefilled[name] = self.vault.open_entry(entry)
            except Exception:  # a value it cannot open is left blank: the visitor types it again
                continue
            audit_log.append(
                conn, at=now, actor=f"form {form.form_id}", action="prefill", ref=entry.ref, subject=form.subject,
                reason="shown to the holder of the form link, at their request", outcome="revealed",
            )  # fmt: skip
        return prefilled


class _Budget:
    """At most ``per_minute`` a minute; counts what it refuses and logs it once a minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._minute, self._used, self.refused = -1, 0, 0

    def allow(self, now: int) -> bool:
        if now // 60 != self._minute:
            if self.refused:
                log.warning("unknown form links: %d more not audited in the last minute (a flood?)", self.refused)
            self._minute, self._used, self.refused = now // 60, 0, 0
        self._used += 1
        if self._used > self.per_minute:
            self.refused += 1
            return False
        return True
