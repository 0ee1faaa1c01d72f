"""PolicyDocument v1 (schemas/policy.py): validation table, the wire format, the shipped file as a
document, and which changes weaken protection."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import orjson
import pytest

from schemas.errors import SchemaError
from schemas.policy import (
    MAX_DOCUMENT_BYTES,
    OPERATOR_STRENGTH,
    OPERATORS,
    DestinationPolicy,
    PolicyDocument,
    weakenings,
    weaker,
)
from schemas.topics import DESTINATIONS

ROOT = Path(__file__).resolve().parents[2]

VALID = {
    "version": "2026-12-02.1",
    "detection": {"entities": ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"], "score_threshold": 0.3},
    "policies": {
        "storage": {"operator": "mask", "mask_char": "*"},
        "nlp": {"operator": "numbered", "overrides": {"EMAIL_ADDRESS": "mask"}},
        "analytics": {"operator": "pseudonym"},
    },
}


def doc(*edits) -> dict:
    out = copy.deepcopy(VALID)
    for edit in edits:
        edit(out)
    return out


def put(path: str, value):
    def edit(d):
        *parents, last = path.split(".")
        for p in parents:
            d = d[p]
        d[last] = value

    return edit


def drop(path: str):
    def edit(d):
        *parents, last = path.split(".")
        for p in parents:
            d = d[p]
        del d[last]

    return edit


def parsed(*edits) -> PolicyDocument:
    return PolicyDocument.from_dict(doc(*edits))


def test_a_valid_document():
    d = parsed()
    assert d.version == "2026-12-02.1"
    assert d.entities == ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER")
    assert d.score_threshold == 0.3
    assert tuple(d.policies) == DESTINATIONS
    assert d.policies["nlp"] == DestinationPolicy("numbered", "*", {"EMAIL_ADDRESS": "mask"})
    assert d.policies["nlp"].operator_for("EMAIL_ADDRESS") == "mask"
    assert d.policies["nlp"].operator_for("PERSON") == "numbered"
    assert d.schema_version == 1


def test_defaults_and_read_only():
    d = parsed(drop("detection.score_threshold"), drop("policies.storage.mask_char"))
    assert d.score_threshold == 0.3 and d.policies["storage"].mask_char == "*"
    assert dict(d.policies["analytics"].overrides) == {} and d.policies["analytics"].version is None
    with pytest.raises(TypeError):
        d.policies["billing"] = d.policies["nlp"]  # type: ignore[index]
    with pytest.raises(TypeError):
        d.policies["nlp"].overrides["PERSON"] = "mask"  # type: ignore[index]


def test_encode_decode_round_trip():
    d = parsed(put("policies.storage.version", "s1"), put("policies.storage.mask_char", "#"))
    wire = d.encode()
    assert PolicyDocument.decode(wire) == d
    assert PolicyDocument.decode(wire.decode()) == d
    assert PolicyDocument.from_dict(d.to_dict()) == d
    obj = orjson.loads(wire)
    assert obj["schema_version"] == 1 and obj["version"] == d.version
    assert obj["policies"]["storage"] == {"operator": "mask", "mask_char": "#", "overrides": {}, "version": "s1"}
    assert "version" not in obj["policies"]["nlp"]  # a label only where the document had one


def test_the_shipped_policy_file_converts_one_to_one():
    """The file's shape is the contract's: every key of pipeline/policies.toml, the same values."""
    data = tomllib.loads((ROOT / "pipeline" / "policies.toml").read_text())
    d = PolicyDocument.from_dict(data)
    assert d.version == data["version"]
    assert list(d.entities) == data["detection"]["entities"]
    assert d.score_threshold == data["detection"]["score_threshold"]
    for name, table in data["policies"].items():
        assert {k: v for k, v in d.policies[name].to_dict().items() if k in table} == table
    assert PolicyDocument.decode(d.encode()) == d


def test_a_file_written_before_versions_converts_once_given_a_version():
    # Today's [policies.*] tables may carry a label of their own: kept, as written.
    old = doc(put("policies.nlp.version", "2"), put("policies.storage.version", "1"))
    d = PolicyDocument.from_dict(old)
    assert d.policies["nlp"].version == "2" and d.policies["analytics"].version is None
    with pytest.raises(SchemaError) as info:
        PolicyDocument.from_dict(doc(drop("version")))
    assert info.value.field == "version" and "required" in info.value.reason


INVALID = [
    # id, edits, the field named, a word of the reason
    ("not-an-object", None, "policy", "JSON object"),
    ("version-missing", [drop("version")], "version", "required"),
    ("version-empty", [put("version", "")], "version", "characters"),
    ("version-number", [put("version", 3)], "version", "characters"),
    ("version-space", [put("version", "v 2")], "version", "characters"),
    ("version-65", [put("version", "v" * 65)], "version", "characters"),
    ("version-leading-dot", [put("version", ".v2")], "version", "starting"),
    ("schema-version", [put("schema_version", 2)], "schema_version", "unsupported"),
    ("unknown-top", [put("anonymise", {})], "anonymise", "unknown"),
    ("no-detection", [drop("detection")], "detection", "[detection]"),
    ("detection-list", [put("detection", [])], "detection", "table"),
    ("unknown-detection-key", [put("detection.threshold", 0.5)], "detection.threshold", "unknown"),
    ("entities-missing", [drop("detection.entities")], "detection.entities", "non-empty"),
    ("entities-empty", [put("detection.entities", [])], "detection.entities", "non-empty"),
    ("entities-string", [put("detection.entities", "PERSON")], "detection.entities", "non-empty"),
    ("entities-number", [put("detection.entities", ["PERSON", 3])], "detection.entities[1]", "entity type"),
    ("entities-lower", [put("detection.entities", ["person"])], "detection.entities[0]", "entity type"),
    ("entities-blank", [put("detection.entities", [""])], "detection.entities[0]", "entity type"),
    ("entities-twice", [put("detection.entities", ["PERSON", "PERSON"])], "detection.entities[1]", "twice"),
    ("entities-101", [put("detection.entities", [f"T{i}" for i in range(101)])], "detection.entities", "more"),
    ("threshold-high", [put("detection.score_threshold", 1.5)], "detection.score_threshold", "between"),
    ("threshold-negative", [put("detection.score_threshold", -0.1)], "detection.score_threshold", "between"),
    ("threshold-string", [put("detection.score_threshold", "0.3")], "detection.score_threshold", "number"),
    ("threshold-bool", [put("detection.score_threshold", True)], "detection.score_threshold", "number"),
    ("threshold-nan", [put("detection.score_threshold", float("nan"))], "detection.score_threshold", "number"),
    ("no-policies", [drop("policies")], "policies", "[policies]"),
    ("policies-list", [put("policies", [])], "policies", "table"),
    ("destination-missing", [drop("policies.nlp")], "policies", "nlp"),
    ("destinations-missing", [drop("policies.nlp"), drop("policies.analytics")], "policies", "analytics, nlp"),
    ("destination-unknown", [put("policies.billing", {"operator": "mask"})], "policies.billing", "unknown"),
    ("destination-string", [put("policies.storage", "mask")], "policies.storage", "table"),
    ("operator-missing", [drop("policies.storage.operator")], "policies.storage.operator", "required"),
    ("operator-unknown", [put("policies.storage.operator", "hash")], "policies.storage.operator", "one of"),
    ("operator-case", [put("policies.storage.operator", "Mask")], "policies.storage.operator", "one of"),
    ("operator-number", [put("policies.storage.operator", 1)], "policies.storage.operator", "one of"),
    ("unknown-policy-key", [put("policies.storage.mask_chr", "#")], "policies.storage.mask_chr", "unknown"),
    ("mask-two", [put("policies.storage.mask_char", "**")], "policies.storage.mask_char", "one"),
    ("mask-empty", [put("policies.storage.mask_char", "")], "policies.storage.mask_char", "one"),
    ("mask-newline", [put("policies.storage.mask_char", "\n")], "policies.storage.mask_char", "printable"),
    ("mask-number", [put("policies.storage.mask_char", 1)], "policies.storage.mask_char", "one"),
    ("overrides-list", [put("policies.nlp.overrides", ["PERSON"])], "policies.nlp.overrides", "table"),
    ("override-operator", [put("policies.nlp.overrides", {"PERSON": "redact"})], "policies.nlp.overrides.PERSON", "one of"),
    ("override-key", [put("policies.nlp.overrides", {"a person": "mask"})], "policies.nlp.overrides", "keys"),
    ("destination-version-empty", [put("policies.nlp.version", "")], "policies.nlp.version", "characters"),
    ("destination-version-number", [put("policies.nlp.version", 2)], "policies.nlp.version", "characters"),
]  # fmt: skip


@pytest.mark.parametrize("case_id, edits, field, reason", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_documents_name_the_field(case_id, edits, field, reason):
    data = ["not", "an", "object"] if edits is None else doc(*edits)
    with pytest.raises(SchemaError) as info:
        PolicyDocument.from_dict(data)
    assert info.value.field == field
    assert reason in info.value.reason
    assert str(info.value) == f"{field}: {info.value.reason}"


def test_errors_never_quote_a_value():
    secret = "s3cret-value-7f2a"
    for edits in (
        [put("policies.storage.operator", secret)],
        [put("version", secret + " x")],
        [put("detection.entities", [secret])],
        [put("policies.nlp.overrides", {secret: "mask"})],
        [put("policies.storage.mask_char", secret)],
    ):
        with pytest.raises(SchemaError) as info:
            PolicyDocument.from_dict(doc(*edits))
        assert "s3cret" not in str(info.value), edits


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"x" * (MAX_DOCUMENT_BYTES + 1), "larger than"),
    ],
)
def test_decode_refuses_what_is_not_a_document(data, reason):
    with pytest.raises(SchemaError, match=reason) as info:
        PolicyDocument.decode(data)
    assert info.value.field == "policy"


# -- weakenings ----------------------------------------------------------------------------------


def test_operators_have_a_strict_strength_order():
    assert OPERATORS == ("placeholder", "mask", "numbered", "pseudonym")  # strongest first
    strengths = [OPERATOR_STRENGTH[op] for op in OPERATORS]
    assert strengths == sorted(strengths, reverse=True) and len(set(strengths)) == len(OPERATORS)
    for i, stronger in enumerate(OPERATORS):
        for weaker_op in OPERATORS[i + 1 :]:
            assert weaker(weaker_op, stronger) and not weaker(stronger, weaker_op)
        assert not weaker(stronger, stronger)


WEAKENING = [
    # id, edits to VALID giving the new version, the weakenings named (exactly, in order)
    ("entity-removed", [put("detection.entities", ["EMAIL_ADDRESS", "PHONE_NUMBER"])],
     ["detection.entities: PERSON is no longer detected"]),
    ("two-entities-removed", [put("detection.entities", ["EMAIL_ADDRESS"])],
     ["detection.entities: PERSON is no longer detected", "detection.entities: PHONE_NUMBER is no longer detected"]),
    ("entity-swapped", [put("detection.entities", ["PERSON", "EMAIL_ADDRESS", "IBAN_CODE"])],
     ["detection.entities: PHONE_NUMBER is no longer detected"]),
    ("threshold-raised", [put("detection.score_threshold", 0.5)],
     ["detection.score_threshold: raised from 0.3 to 0.5 (findings scored in between are no longer redacted)"]),
    ("mask-to-pseudonym", [put("policies.storage.operator", "pseudonym")],
     ["policies.storage.operator: mask -> pseudonym, a weaker operator"]),
    ("mask-to-numbered", [put("policies.storage.operator", "numbered")],
     ["policies.storage.operator: mask -> numbered, a weaker operator"]),
    ("numbered-to-pseudonym", [put("policies.nlp.operator", "pseudonym")],
     ["policies.nlp.operator: numbered -> pseudonym, a weaker operator"]),
    ("override-weakened", [put("policies.nlp.overrides", {"EMAIL_ADDRESS": "pseudonym"})],
     ["policies.nlp.overrides.EMAIL_ADDRESS: mask -> pseudonym, a weaker operator"]),
    ("override-added-weaker", [put("policies.storage.overrides", {"PERSON": "numbered"})],
     ["policies.storage.overrides.PERSON: mask -> numbered, a weaker operator"]),
    ("override-removed-to-weaker-default", [drop("policies.nlp.overrides")],
     ["policies.nlp.overrides.EMAIL_ADDRESS: removed, so EMAIL_ADDRESS gets the default numbered, weaker than mask"]),
    ("default-weaker-override-kept", [put("policies.nlp.operator", "pseudonym")],
     ["policies.nlp.operator: numbered -> pseudonym, a weaker operator"]),  # EMAIL_ADDRESS keeps its mask
    ("several-at-once",
     [put("detection.entities", ["EMAIL_ADDRESS", "PHONE_NUMBER"]), put("detection.score_threshold", 0.4),
      put("policies.analytics.overrides", {"PHONE_NUMBER": "pseudonym"}), put("policies.storage.operator", "placeholder"),
      put("policies.nlp.overrides", {"EMAIL_ADDRESS": "numbered"})],
     ["detection.entities: PERSON is no longer detected",
      "detection.score_threshold: raised from 0.3 to 0.4 (findings scored in between are no longer redacted)",
      "policies.nlp.overrides.EMAIL_ADDRESS: mask -> numbered, a weaker operator"]),
]  # fmt: skip

NOT_WEAKENING = [
    ("same", []),
    ("new-version-id", [put("version", "2026-12-03.1")]),
    ("mask-char", [put("policies.storage.mask_char", "#")]),
    ("destination-label", [put("policies.storage.version", "9")]),
    ("entity-added", [put("detection.entities", ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE"])]),
    ("entities-reordered", [put("detection.entities", ["PHONE_NUMBER", "PERSON", "EMAIL_ADDRESS"])]),
    ("threshold-lowered", [put("detection.score_threshold", 0.1)]),
    ("pseudonym-to-mask", [put("policies.analytics.operator", "mask")]),
    ("mask-to-placeholder", [put("policies.storage.operator", "placeholder")]),
    ("numbered-to-mask", [put("policies.nlp.operator", "mask")]),
    ("override-stronger", [put("policies.nlp.overrides", {"EMAIL_ADDRESS": "placeholder"})]),
    ("override-added-stronger", [put("policies.analytics.overrides", {"PERSON": "mask"})]),
    ("override-removed-default-as-strong", [put("policies.nlp.operator", "mask"), drop("policies.nlp.overrides")]),
    ("override-same-as-default", [put("policies.storage.overrides", {"PERSON": "mask"})]),
]


@pytest.mark.parametrize("case_id, edits, expected", WEAKENING, ids=[c[0] for c in WEAKENING])
def test_weakenings_name_every_weakening_change(case_id, edits, expected):
    assert weakenings(parsed(), parsed(*edits)) == expected


@pytest.mark.parametrize("case_id, edits", NOT_WEAKENING, ids=[c[0] for c in NOT_WEAKENING])
def test_changes_that_do_not_weaken(case_id, edits):
    assert weakenings(parsed(), parsed(*edits)) == []


def test_a_destination_without_a_policy_is_a_weakening():
    # A valid document always has every destination; a later contract with fewer must still say so.
    old = parsed()
    new = PolicyDocument(old.version, old.entities, old.score_threshold, {"storage": old.policies["storage"]})
    assert weakenings(old, new) == ["policies.analytics: removed", "policies.nlp: removed"]
