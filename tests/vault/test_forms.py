"""Secure forms in the vault's database (SQLite and PostgreSQL): issued once, used once, expiring,
pre-filled only from the same sender's same conversation, kept only when Kafka acknowledged."""

from __future__ import annotations

import secrets

import pytest

from schemas.errors import SchemaError, Unreachable
from schemas.forms import VAULT_REF
from schemas.keeping import KeptValue
from schemas.pseudonyms import Pseudonymiser
from schemas.raw import RawMessage
from vault.errors import FormGone, FormInvalid, FormUnknown
from vault.forms.requests import FormRequest
from vault.forms.store import FormStore
from vault.tables import forms

KEY = secrets.token_bytes(32)
PSEUDONYMS = Pseudonymiser(KEY)
REASON = "ship the contest prize to the winner"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def request(**overrides) -> FormRequest:
    data = {
        "channel": "web",
        "channel_kind": "private",
        "conversation_id": "conv-1",
        "sender_id": "visitor-7",
        "fields": ["name", "phone", "address"],
        **overrides,
    }
    return FormRequest.from_dict(data)


VALUES = {"name": "Zofia Wrzos", "phone": "+48 601 234 567", "address": "ul. Lipowa 12/3, 00-950 Warszawa"}


@pytest.fixture
def setup(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock)
    store = FormStore(vault, PSEUDONYMS, ttl_s=900, clock=clock)
    published: list[RawMessage] = []
    return store, vault, clock, published


def audit_outcomes(vault) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from vault.tables import audit

    with vault.engine.connect() as conn:
        return [(r.action, r.outcome) for r in conn.execute(select(audit).order_by(audit.c.seq))]


def test_a_submitted_form_keeps_its_values_and_publishes_refs_only(setup):
    store, vault, _, published = setup
    issued = store.issue(request())
    assert store.show(issued.token).fields == ("name", "phone", "address")
    event = store.submit(issued.token, VALUES, published.append)
    assert published == [event]
    assert event.event_id == f"form:{issued.form_id}" and event.sender_id == "visitor-7"
    assert [f.field for f in event.form] == ["name", "phone", "address"]
    assert all(VAULT_REF.fullmatch(f.vault_ref) for f in event.form)
    wire = repr(event) + event.text + str(event.metadata)
    for value in VALUES.values():
        assert value not in wire
    for field in event.form:
        revealed = vault.reveal(field.vault_ref, REASON, "contest-moderator")
        assert revealed.value == VALUES[field.field] and revealed.entity_type == field.entity_type
        assert revealed.subject == PSEUDONYMS.sender("web", "visitor-7")
    assert vault.verify_audit().ok
    assert ("form_submit", "kept 3") in audit_outcomes(vault)


def test_the_database_keeps_no_token_and_forgets_the_raw_ids_once_submitted(setup):
    store, vault, _, published = setup
    issued = store.issue(request())
    with vault.engine.connect() as conn:
        row = conn.execute(forms.select()).one()
    assert issued.token not in str(tuple(row)) and row.sender_id == "visitor-7"
    store.submit(issued.token, VALUES, published.append)
    with vault.engine.connect() as conn:
        row = conn.execute(forms.select()).one()
    assert row.sender_id is None and row.conversation_id is None and row.submitted_at is not None


def test_a_link_works_once(setup):
    store, vault, _, published = setup
    issued = store.issue(request())
    store.submit(issued.token, VALUES, published.append)
    with pytest.raises(FormGone, match="already sent"):
        store.submit(issued.token, VALUES, published.append)
    with pytest.raises(FormGone, match="already sent"):
        store.show(issued.token)
    assert len(published) == 1
    assert audit_outcomes(vault)[-2:] == [("form_submit", "used"), ("form_view", "used")]


def test_a_link_expires_after_its_lifetime(setup):
    store, vault, clock, published = setup
    issued = store.issue(request())
    clock.now += 899
    store.show(issued.token)
    clock.now += 1
    with pytest.raises(FormGone, match="expired"):
        store.submit(issued.token, VALUES, published.append)
    assert published == [] and audit_outcomes(vault)[-1] == ("form_submit", "expired")


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 10_000, "../../etc/passwd", "' OR 1=1 --"])
def test_unknown_links_are_refused_and_audited(setup, token):
    store, vault, _, published = setup
    store.issue(request())
    with pytest.raises(FormUnknown):
        store.show(token)
    with pytest.raises(FormUnknown):
        store.submit(token, VALUES, published.append)
    assert audit_outcomes(vault)[-2:] == [("form_view", "unknown_link"), ("form_submit", "unknown_link")]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({**VALUES, "name": "   "}, {"name": "required"}),
        ({k: v for k, v in VALUES.items() if k != "phone"}, {"phone": "required"}),
        ({**VALUES, "address": "x" * 301}, {"address": "at most 300 characters"}),
        ({**VALUES, "phone": "call me maybe"}, {"phone": "a phone number: digits, spaces, + ( ) - ."}),
        ({**VALUES, "name": "Zofia\u200bWrzos"}, {"name": "holds control or invisible characters"}),
        ({**VALUES, "name": "Zofia\x00"}, {"name": "holds control or invisible characters"}),
    ],
)
def test_bad_values_are_named_by_field_and_do_not_use_up_the_link(setup, values, problem):
    store, vault, _, published = setup
    issued = store.issue(request())
    with pytest.raises(FormInvalid) as refused:
        store.submit(issued.token, values, published.append)
    assert refused.value.problems == problem and refused.value.http_status == 422
    for value in VALUES.values():
        assert value not in str(refused.value)
    store.submit(issued.token, VALUES, published.append)  # the link still works
    assert len(published) == 1


def test_a_field_the_form_does_not_have_is_refused(setup):
    store, _, _, published = setup
    issued = store.issue(request(fields=["phone"]))
    with pytest.raises(SchemaError):
        store.submit(
            issued.token, {"phone": "+48 601 234 567", "iban": "PL61109010140000071219812874"}, published.append
        )
    assert published == []


def test_when_kafka_does_not_acknowledge_nothing_is_kept_and_the_link_still_works(setup):
    store, vault, _, published = setup
    issued = store.issue(request())

    def refuse(_event: RawMessage) -> None:
        raise Unreachable("Kafka did not acknowledge")

    with pytest.raises(Unreachable):
        store.submit(issued.token, VALUES, refuse)
    from sqlalchemy import func, select

    from vault.tables import entries

    with vault.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(entries)).scalar() == 0
    event = store.submit(issued.token, VALUES, published.append)
    assert published == [event]


def test_prefill_shows_this_senders_values_from_this_conversation_only(setup):
    store, vault, clock, published = setup
    me = PSEUDONYMS.sender("web", "visitor-7")
    here = PSEUDONYMS.conversation("web", "conv-1")
    vault.put_many(
        [
            KeptValue("e1", "PERSON", me, "Zofia Wrzos", here),
            KeptValue("e2", "PHONE_NUMBER", me, "+48 601 000 000", PSEUDONYMS.conversation("web", "conv-2")),
            KeptValue("e3", "PERSON", PSEUDONYMS.sender("web", "someone-else"), "Jan Obcy", here),
        ]
    )
    clock.now += 5
    vault.put_many([KeptValue("e4", "PERSON", me, "Zofia Wrzos-Kowalska", here)])
    issued = store.issue(request(prefill=True))
    viewed = store.show(issued.token)  # a plain view (a link preview, a scanner) opens nothing
    assert viewed.prefilled == {} and viewed.can_prefill
    shown = store.show(issued.token, prefill=True)  # the visitor's button
    assert shown.prefilled == {"name": "Zofia Wrzos-Kowalska"}  # newest; other conversation and sender left out
    assert "Zofia" not in repr(shown) and not shown.can_prefill
    assert [o for o in audit_outcomes(vault) if o[0] == "prefill"] == [("prefill", "revealed")]
    with pytest.raises(FormGone, match="shown once"):
        store.show(issued.token, prefill=True)
    assert not store.show(issued.token).can_prefill
    without = store.issue(request())
    assert store.show(without.token, prefill=True).prefilled == {}
    assert not store.show(without.token).can_prefill


def test_a_bot_gets_at_most_ten_forms_an_hour_for_one_sender(setup):
    from vault.errors import FormsThrottled

    store, vault, clock, _ = setup
    for _ in range(10):
        store.issue(request())
    with pytest.raises(FormsThrottled):
        store.issue(request())
    store.issue(request(sender_id="someone-else"))
    clock.now += 3601
    store.issue(request())
    assert ("form_issue", "throttled") in audit_outcomes(vault)


def test_the_hourly_cap_holds_with_requests_side_by_side(setup):
    from concurrent.futures import ThreadPoolExecutor

    from vault.errors import FormsThrottled

    store, *_ = setup

    def issue(_i: int) -> str:
        try:
            store.issue(request())
            return "issued"
        except FormsThrottled:
            return "throttled"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(issue, range(30)))
    assert outcomes.count("issued") == 10 and outcomes.count("throttled") == 20


def test_erasures_and_submissions_of_one_sender_side_by_side_never_deadlock(setup):
    import threading

    store, vault, _, published = setup
    failures: list[BaseException] = []
    for i in range(15):
        sender = f"racer-{i}"
        issued = store.issue(request(sender_id=sender))
        start = threading.Barrier(2)

        def submit(token: str = issued.token, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                store.submit(token, VALUES, published.append)
            except (FormUnknown, FormGone):
                pass  # the erasure came first: withdrawn
            except BaseException as exc:
                failures.append(exc)

        def erase(subject: str = PSEUDONYMS.sender("web", sender), start: threading.Barrier = start) -> None:
            start.wait()
            try:
                vault.erase(subject, "dpo", "GDPR request 2026-400")
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=submit), threading.Thread(target=erase)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert failures == []
    from sqlalchemy import func, select

    from vault.tables import entries

    with vault.engine.connect() as conn:  # whatever order they ran in, the erasure won
        assert conn.execute(select(func.count()).select_from(entries)).scalar() == 0


def test_prefill_is_refused_for_public_channels():
    with pytest.raises(SchemaError, match="only for private channels"):
        request(channel_kind="public", prefill=True)


@pytest.mark.parametrize(
    "overrides",
    [
        {"fields": []},
        {"fields": ["name", "name"]},
        {"fields": ["iban"]},
        {"fields": "name"},
        {"channel": "Web"},
        {"channel_kind": "group"},
        {"sender_id": ""},
        {"prefill": "yes"},
        {"note": "Zofia Wrzos wins"},
    ],
)
def test_bad_requests_name_the_field(overrides):
    with pytest.raises(SchemaError) as refused:
        request(**overrides)
    assert "Zofia" not in str(refused.value)


def test_erasure_withdraws_the_senders_open_forms(setup):
    store, vault, _, published = setup
    issued = store.issue(request())
    vault.erase(PSEUDONYMS.sender("web", "visitor-7"), "dpo", "GDPR request 2026-200")
    with pytest.raises(FormUnknown):
        store.submit(issued.token, VALUES, published.append)


def test_the_sweep_clears_expired_forms_raw_ids_then_the_rows(setup):
    store, vault, clock, _ = setup
    store.issue(request())
    clock.now += 901
    vault.sweep()
    with vault.engine.connect() as conn:
        row = conn.execute(forms.select()).one()
    assert row.sender_id is None and row.conversation_id is None
    clock.now += 86_400
    vault.sweep()
    with vault.engine.connect() as conn:
        assert conn.execute(forms.select()).first() is None
