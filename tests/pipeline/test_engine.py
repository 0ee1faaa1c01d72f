"""RedactionEngine around a fake detector: ordering, poison isolation, destinations, pseudonyms."""

from __future__ import annotations

import orjson
import pytest

from pipeline.detection import Span
from pipeline.engine import Redaction, RedactionEngine, utc_now
from pipeline.errors import StepError
from pipeline.policies import parse_policies
from schemas.codec import decode_redacted, encode
from schemas.forms import SubmittedField, summary
from schemas.pseudonyms import Pseudonymiser
from schemas.topics import DESTINATIONS
from schemas.validation import timestamp

EMAIL = "anna.nowak@example.com"


def _redactions(results) -> list[Redaction]:
    assert all(isinstance(r, Redaction) for r in results), results
    return results


def test_one_result_per_event_in_order(make_engine, raw_message):
    events = [raw_message(text=f"message {i} from {EMAIL}") for i in range(7)]
    results = make_engine().redact_batch(events)
    assert [r.event_id for r in _redactions(results)] == [e.event_id for e in events]


def test_empty_batch(make_engine):
    assert make_engine().redact_batch([]) == []


def test_values_replaced_in_every_destination(make_engine, raw_message):
    event = raw_message(text=f"I'm Anna Nowak, mail {EMAIL}")
    (result,) = _redactions(make_engine().redact_batch([event]))
    assert set(result.by_destination) == set(DESTINATIONS)
    for name, message in result.by_destination.items():
        wire = encode(message)
        assert EMAIL.encode() not in wire and b"Anna Nowak" not in wire, name
        assert [f.entity_type for f in message.findings] == ["PERSON", "EMAIL_ADDRESS"]
        assert message.text.startswith("I'm ")
    assert result.by_destination["nlp"].text == "I'm <PERSON_1>, mail <EMAIL_ADDRESS_1>"
    storage = result.by_destination["storage"]
    assert storage.text == "I'm " + "*" * 10 + ", mail " + "*" * len(EMAIL)


def _policies(version: str, **operators: str):
    ops = {"storage": "mask", "nlp": "placeholder", "analytics": "pseudonym", **operators}
    return parse_policies(
        {
            "version": version,
            "detection": {"entities": ["PERSON"]},
            "policies": {name: {"version": f"{name[0]}7", "operator": op} for name, op in ops.items()},
        }
    )


def test_destinations_carry_their_policy_name_and_the_document_version(make_engine, raw_message):
    policies = _policies("2026-12-02.1")
    (result,) = _redactions(make_engine(policies=policies).redact_batch([raw_message(text="hi Anna Nowak")]))
    got = {name: (m.policy, m.policy_version) for name, m in result.by_destination.items()}
    # A destination's own label ("s7") is not stamped: the document's version is, on every one.
    assert got == {name: (name, "2026-12-02.1") for name in ("storage", "nlp", "analytics")}
    assert result.by_destination["storage"].text == "hi **********"
    assert result.by_destination["nlp"].text == "hi <PERSON>"
    assert result.by_destination["analytics"].text.startswith("hi <PERSON_")


def test_shipped_policies_by_destination(make_engine, raw_message):
    (result,) = _redactions(make_engine().redact_batch([raw_message(text=f"mail {EMAIL}")]))
    assert result.by_destination["storage"].text == "mail " + "*" * len(EMAIL)
    assert result.by_destination["nlp"].text == "mail <EMAIL_ADDRESS_1>"
    assert result.by_destination["analytics"].text.startswith("mail <EMAIL_ADDRESS_")
    versions = {name: m.policy_version for name, m in result.by_destination.items()}
    assert versions == {"storage": "builtin-1", "nlp": "builtin-1", "analytics": "builtin-1"}
    assert all(m.policy == name for name, m in result.by_destination.items())


def test_sender_is_pseudonymised_everywhere(make_engine, raw_message, engine_key):
    sender_id = "jane.doe.sender@example.org"
    event = raw_message(sender_id=sender_id, channel="slack", text="hello")
    (result,) = _redactions(make_engine().redact_batch([event]))
    expected = Pseudonymiser(engine_key.encode()).sender("slack", sender_id)
    for message in result.by_destination.values():
        assert message.sender == expected
        assert sender_id.encode() not in encode(message)
        assert b"jane" not in encode(message)


def test_event_fields_are_carried_over(make_engine, raw_message, fixed_now, engine_key):
    event = raw_message(
        event_id="slack:T1/C2/17.1",
        channel="slack",
        channel_kind="public",
        conversation_id="C2",
        sent_at="2026-11-29T10:00:00.5+01:00",
        metadata={"dropped": "yes"},
    )
    (result,) = _redactions(make_engine().redact_batch([event]))
    for message in result.by_destination.values():
        assert (message.event_id, message.channel, message.channel_kind) == ("slack:T1/C2/17.1", "slack", "public")
        # The platform's conversation id (often a person's own id) is pseudonymised, per channel.
        conversation = Pseudonymiser(engine_key.encode()).conversation("slack", "C2")
        assert (message.conversation_id, message.sent_at) == (conversation, "2026-11-29T10:00:00.5+01:00")
        assert message.processed_at == fixed_now
        assert b"dropped" not in encode(message)  # metadata does not travel to clean topics


def test_a_secure_forms_fields_and_refs_reach_every_destination(make_engine, raw_message):
    form = (SubmittedField.of("phone", "v_" + "1" * 32), SubmittedField.of("address", "v_" + "2" * 32))
    event = raw_message(text=summary(form), form=form)
    (result,) = _redactions(make_engine().redact_batch([event]))
    assert len(result.by_destination) == 3
    for message in result.by_destination.values():
        assert message.form == form and message.text == "Secure form submitted: phone, address"
        assert decode_redacted(encode(message)).form == form


def test_outputs_round_trip_as_valid_redacted_messages(make_engine, raw_message):
    events = [raw_message(text=t) for t in (f"{EMAIL} and {EMAIL}", "Anna Nowak", "", "nothing here")]
    for result in _redactions(make_engine().redact_batch(events)):
        for message in result.by_destination.values():
            assert decode_redacted(encode(message)) == message
            for f in message.findings:
                assert 0 <= f.start < f.end <= len(message.text)


def test_processed_at_shared_by_a_batch(raw_message, engine_key, fake_detector):
    from pipeline.policies import load_policies

    ticks = iter(["2026-11-29T12:00:00.000Z", "2026-11-29T12:00:05.000Z"])
    engine = RedactionEngine(
        fake_detector(), load_policies(), Pseudonymiser(engine_key.encode()), clock=lambda: next(ticks)
    )
    first = engine.redact_batch([raw_message(), raw_message()])
    second = engine.redact_batch([raw_message()])
    assert {m.processed_at for r in first for m in r.by_destination.values()} == {"2026-11-29T12:00:00.000Z"}
    assert {m.processed_at for r in second for m in r.by_destination.values()} == {"2026-11-29T12:00:05.000Z"}


def test_utc_now_is_a_valid_rfc3339_utc_timestamp():
    now = utc_now()
    assert now.endswith("Z")
    assert timestamp({"t": now}, "t") == now


def test_overlapping_detections_are_merged(make_engine, raw_message, fake_detector):
    # A recognizer flags "Nowak@example.com" as a PERSON-ish 0.3 span overlapping the e-mail.
    text = f"mail {EMAIL} now"
    start = text.index(EMAIL)
    detector = fake_detector(extra=lambda t: [Span("PERSON", start - 1, start + 4, 0.3)] if t == text else [])
    (result,) = _redactions(make_engine(detector).redact_batch([raw_message(text=text)]))
    assert result.spans == (Span("EMAIL_ADDRESS", start - 1, start + len(EMAIL), 1.0),)
    assert result.by_destination["nlp"].text == "mail<EMAIL_ADDRESS_1> now"


# --- Poison isolation ---------------------------------------------------------------------


def test_poison_text_is_isolated(make_engine, raw_message, fake_detector):
    secret = f"POISON from {EMAIL}"
    events = [raw_message(text=f"one {EMAIL}"), raw_message(text=secret), raw_message(text="three Anna Nowak")]
    detector = fake_detector()
    results = make_engine(detector).redact_batch(events)

    assert isinstance(results[0], Redaction) and isinstance(results[2], Redaction)
    assert results[0].by_destination["nlp"].text == "one <EMAIL_ADDRESS_1>"
    assert results[2].by_destination["nlp"].text == "three <PERSON_1>"
    error = results[1]
    assert isinstance(error, StepError)
    assert error.stage == "detect"
    assert error.error_class == "ValueError"
    for shown in (str(error), repr(error), *map(str, error.args)):
        assert secret not in shown and EMAIL not in shown and "POISON" not in shown
    # The whole batch was tried first, then each text on its own.
    assert detector.calls[0] == [e.text for e in events]
    assert sorted(map(tuple, detector.calls[1:])) == sorted((e.text,) for e in events)


def test_all_poison(make_engine, raw_message):
    results = make_engine().redact_batch([raw_message(text="POISON a"), raw_message(text="POISON b")])
    assert [type(r) for r in results] == [StepError, StepError]


def test_short_detector_result_falls_back_to_one_by_one(make_engine, raw_message, fake_detector):
    # A detector that loses the last result must not shift results onto the wrong events.
    events = [raw_message(text="plain"), raw_message(text=f"mail {EMAIL}")]
    results = _redactions(make_engine(fake_detector(drop_last=True)).redact_batch(events))
    assert results[0].by_destination["nlp"].text == "plain"
    assert results[1].by_destination["nlp"].text == "mail <EMAIL_ADDRESS_1>"


@pytest.mark.parametrize(
    "bad",
    [
        lambda text: Span("PERSON", 0, len(text) + 1, 0.9),  # past the end
        lambda text: Span("PERSON", -1, 3, 0.9),  # before the start
        lambda text: Span("PERSON", 5, 2, 0.9),  # reversed
        lambda text: Span("PERSON", 3, 3, 0.9),  # empty
        lambda text: Span("PERSON", len(text), len(text) + 5, 0.9),
    ],
    ids=["past-end", "negative", "reversed", "empty", "after-end"],
)
def test_out_of_range_span_is_a_step_error(make_engine, raw_message, fake_detector, bad):
    target = "out of range Anna Nowak here"
    detector = fake_detector(extra=lambda t: [bad(t)] if t == target else [])
    results = make_engine(detector).redact_batch(
        [raw_message(text="before"), raw_message(text=target), raw_message(text="after")]
    )
    assert isinstance(results[0], Redaction) and isinstance(results[2], Redaction)
    error = results[1]
    assert isinstance(error, StepError)
    assert error.stage == "detect"
    assert "Anna" not in str(error) and target not in str(error)


def test_span_covering_whole_text_is_fine(make_engine, raw_message, fake_detector):
    detector = fake_detector(extra=lambda t: [Span("PERSON", 0, len(t), 0.9)])
    (result,) = _redactions(make_engine(detector).redact_batch([raw_message(text="Jordan")]))
    assert result.by_destination["nlp"].text == "<PERSON_1>"


def test_step_error_message_names_stage_and_class_only():
    cause = KeyError("anna.nowak@example.com")
    error = StepError("anonymise", cause, field="text")
    assert str(error) == "anonymise failed: KeyError (text)"
    assert error.error_class == "KeyError" and error.field == "text"


def test_results_serialise_without_raw_values(make_engine, raw_message):
    events = [raw_message(text=f"Anna Nowak <{EMAIL}>", sender_id="sender-secret-id")]
    (result,) = _redactions(make_engine().redact_batch(events))
    wire = b"".join(encode(m) for m in result.by_destination.values())
    for needle in (EMAIL, "Anna", "Nowak", "sender-secret-id"):
        assert needle.encode() not in wire
    assert all(isinstance(orjson.loads(encode(m)), dict) for m in result.by_destination.values())


def test_a_new_policy_version_applies_from_the_next_batch_and_keeps_the_numbering(make_engine, raw_message):
    engine = make_engine(policies=_policies("v1", nlp="numbered"))
    first = _redactions(engine.redact_batch([raw_message(conversation_id="c1", text="hi Anna Nowak")]))[0]
    engine.apply_policies(_policies("v2", nlp="numbered", storage="placeholder"))
    second = _redactions(
        engine.redact_batch([raw_message(conversation_id="c1", text="John Smith and Anna Nowak again")])
    )[0]
    assert {m.policy_version for m in first.by_destination.values()} == {"v1"}
    assert {m.policy_version for m in second.by_destination.values()} == {"v2"}
    assert first.by_destination["storage"].text == "hi **********"
    assert second.by_destination["storage"].text == "<PERSON> and <PERSON> again"
    # <PERSON_1> is still Anna Nowak after the switch: the conversation's numbering carried over.
    assert first.by_destination["nlp"].text == "hi <PERSON_1>"
    assert second.by_destination["nlp"].text == "<PERSON_2> and <PERSON_1> again"


def test_a_policy_the_detector_refuses_changes_nothing(make_engine, raw_message):
    from pipeline.errors import ConfigError

    class Refusing:
        def detect(self, texts):
            return [[] for _ in texts]

        def configure(self, entities, score_threshold):
            raise ConfigError("detection.entities: no recognizer for NOPE")

    engine = make_engine(detector=Refusing(), policies=_policies("v1"))
    with pytest.raises(ConfigError, match="NOPE"):
        engine.apply_policies(_policies("v2", storage="placeholder"))
    (result,) = _redactions(engine.redact_batch([raw_message(text="hello")]))
    assert {m.policy_version for m in result.by_destination.values()} == {"v1"}
    assert engine.policies.version == "v1"
