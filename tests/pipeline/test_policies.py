"""Destination policies: the shipped file, the validation table, overrides, versions.

The document's own contract (every field, weakenings) is tested in tests/schemas/test_policy.py;
here: the file loader and what the engine runs of it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.policies import OPERATORS, Policy, PolicySet, load_document, load_policies, parse_policies
from schemas.policy import PolicyDocument
from schemas.topics import DESTINATIONS

VALID = {
    "version": "p7",
    "detection": {"entities": ["PERSON", "EMAIL_ADDRESS"], "score_threshold": 0.5},
    "policies": {
        "storage": {"version": "3", "operator": "mask", "mask_char": "#"},
        "nlp": {"version": "2", "operator": "placeholder", "overrides": {"EMAIL_ADDRESS": "mask"}},
        "analytics": {"version": "1", "operator": "pseudonym"},
    },
}


def _doc(edit=None) -> dict:
    doc = copy.deepcopy(VALID)
    if edit:
        edit(doc)
    return doc


def test_shipped_policies_load_and_cover_every_destination():
    shipped = load_policies()
    assert set(shipped.policies) == set(DESTINATIONS)
    assert shipped.version == "builtin-1"  # stamped on every clean event: the shipped file says which
    for name, policy in shipped.policies.items():
        assert policy.name == name
        assert policy.version == shipped.version
        assert policy.operator in OPERATORS
        assert len(policy.mask_char) == 1
        assert set(policy.overrides.values()) <= OPERATORS


def test_shipped_policies_match_their_documented_intent():
    shipped = load_policies()
    assert shipped.policies["storage"].operator == "mask"
    assert shipped.policies["nlp"].operator == "numbered"
    assert shipped.policies["analytics"].operator == "pseudonym"
    assert 0 < shipped.score_threshold <= 0.5  # low on purpose: a miss is a leak
    for wanted in ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS"):
        assert wanted in shipped.entities
    # Left out on purpose: opening hours and brand names are not personal data.
    assert "DATE_TIME" not in shipped.entities and "ORGANIZATION" not in shipped.entities
    assert len(set(shipped.entities)) == len(shipped.entities)


def test_valid_document_parses():
    parsed = parse_policies(_doc())
    assert parsed.entities == ("PERSON", "EMAIL_ADDRESS")
    assert parsed.score_threshold == 0.5
    assert parsed.version == "p7"
    # Every destination carries the document's version; a destination's own label is not stamped.
    assert parsed.policies["storage"] == Policy("storage", "p7", "mask", "#", {})
    assert {p.version for p in parsed.policies.values()} == {"p7"}
    assert parsed.policies["nlp"].overrides == {"EMAIL_ADDRESS": "mask"}


def test_defaults():
    doc = _doc(lambda d: d["detection"].pop("score_threshold"))
    doc["policies"]["storage"].pop("mask_char")
    parsed = parse_policies(doc)
    assert parsed.score_threshold == 0.3
    assert parsed.policies["storage"].mask_char == "*"
    assert dict(parsed.policies["analytics"].overrides) == {}


def test_overrides_apply_per_entity_type():
    nlp = parse_policies(_doc()).policies["nlp"]
    assert nlp.operator_for("EMAIL_ADDRESS") == "mask"
    assert nlp.operator_for("PERSON") == "placeholder"
    assert nlp.operator_for("ANYTHING_ELSE") == "placeholder"


def test_parsed_policies_are_read_only():
    parsed = parse_policies(_doc())
    with pytest.raises(TypeError):
        parsed.policies["billing"] = parsed.policies["nlp"]  # type: ignore[index]
    with pytest.raises(TypeError):
        parsed.policies["nlp"].overrides["PERSON"] = "mask"  # type: ignore[index]


def _set(path: str, value):
    def edit(doc):
        *parents, last = path.split(".")
        node = doc
        for p in parents:
            node = node[p]
        node[last] = value

    return edit


def _del(path: str):
    def edit(doc):
        *parents, last = path.split(".")
        node = doc
        for p in parents:
            node = node[p]
        del node[last]

    return edit


INVALID = [
    # id, edit, text the ConfigError must contain (names the key)
    ("missing-destination", _del("policies.nlp"), "nlp"),
    ("missing-two-destinations", lambda d: (d["policies"].pop("nlp"), d["policies"].pop("analytics")), "analytics"),
    ("unknown-destination", _set("policies.billing", {"version": "1", "operator": "mask"}), "billing"),
    ("unknown-operator", _set("policies.storage.operator", "hash"), "policies.storage.operator"),
    ("operator-missing", _del("policies.storage.operator"), "policies.storage.operator"),
    ("operator-case", _set("policies.storage.operator", "Mask"), "policies.storage.operator"),
    ("unknown-override-operator", _set("policies.nlp.overrides", {"PERSON": "redact"}), "overrides.PERSON"),
    ("overrides-not-table", _set("policies.nlp.overrides", ["PERSON"]), "policies.nlp.overrides"),
    ("unknown-policy-key", _set("policies.storage.mask_chr", "#"), "mask_chr"),
    ("unknown-detection-key", _set("detection.threshold", 0.5), "threshold"),
    ("unknown-top-key", _set("anonymise", {}), "anonymise"),
    ("mask-char-two", _set("policies.storage.mask_char", "**"), "policies.storage.mask_char"),
    ("mask-char-empty", _set("policies.storage.mask_char", ""), "policies.storage.mask_char"),
    ("mask-char-number", _set("policies.storage.mask_char", 1), "policies.storage.mask_char"),
    ("threshold-high", _set("detection.score_threshold", 1.5), "score_threshold"),
    ("threshold-negative", _set("detection.score_threshold", -0.1), "score_threshold"),
    ("threshold-string", _set("detection.score_threshold", "0.3"), "score_threshold"),
    ("threshold-bool", _set("detection.score_threshold", True), "score_threshold"),
    ("entities-empty", _set("detection.entities", []), "detection.entities"),
    ("entities-missing", _del("detection.entities"), "detection.entities"),
    ("entities-string", _set("detection.entities", "PERSON"), "detection.entities"),
    ("entities-blank-item", _set("detection.entities", ["PERSON", ""]), "detection.entities"),
    ("entities-number-item", _set("detection.entities", ["PERSON", 3]), "detection.entities"),
    ("version-empty", _set("version", ""), "version"),
    ("version-number", _set("version", 3), "version"),
    ("version-spaces", _set("version", "my version"), "version"),
    ("destination-version-empty", _set("policies.analytics.version", ""), "policies.analytics.version"),
    ("destination-version-number", _set("policies.analytics.version", 1), "policies.analytics.version"),
    ("entities-twice", _set("detection.entities", ["PERSON", "PERSON"]), "detection.entities[1]"),
    ("entities-lower-case", _set("detection.entities", ["person"]), "detection.entities[0]"),
    ("policy-not-table", _set("policies.storage", "mask"), "policies.storage"),
    ("no-policies-table", _del("policies"), "[policies]"),
    ("no-detection-table", _del("detection"), "[detection]"),
]


@pytest.mark.parametrize("case_id, edit, names", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_policy_documents(case_id, edit, names):
    with pytest.raises(ConfigError) as info:
        parse_policies(_doc(edit), "my.toml")
    message = str(info.value)
    assert names in message
    assert message.startswith("my.toml")


def test_load_policies_from_file(tmp_path: Path):
    path = tmp_path / "policies.toml"
    path.write_text(
        '[detection]\nentities = ["PERSON"]\n'
        '[policies.storage]\nversion = "9"\noperator = "placeholder"\n'
        '[policies.nlp]\nversion = "1"\noperator = "placeholder"\n'
        '[policies.analytics]\nversion = "1"\noperator = "pseudonym"\n'
        '[policies.analytics.overrides]\nPERSON = "mask"\n',
        encoding="utf-8",
    )
    loaded = load_policies(path)
    assert loaded.entities == ("PERSON",)
    assert loaded.version.startswith("file-")  # written before versions: derived from the content
    assert loaded.policies["storage"].version == loaded.version
    assert load_document(path).policies["storage"].version == "9"  # the label is kept as written
    assert loaded.policies["analytics"].operator_for("PERSON") == "mask"


@pytest.mark.parametrize(
    "content",
    [b"[detection\nentities = []", b"\xff\xfe not utf-8", b'[detection]\nentities = ["PERSON"]\n'],
    ids=["bad-toml", "bad-encoding", "no-policies"],
)
def test_unreadable_or_invalid_file_names_the_path(tmp_path: Path, content: bytes):
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_policies(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="nowhere.toml"):
        load_policies(path)


def test_a_file_without_a_version_gets_one_derived_from_its_content():
    legacy = _doc(_del("version"))
    first, again = parse_policies(legacy), parse_policies(copy.deepcopy(legacy))
    assert first.version == again.version and first.version.startswith("file-") and len(first.version) == 17
    # Any change of content is another version, a destination's label too (as when labels were stamped)...
    stronger = _doc(_del("version"))
    stronger["policies"]["analytics"]["operator"] = "placeholder"
    relabelled = _doc(_del("version"))
    relabelled["policies"]["storage"]["version"] = "4"
    assert len({first.version, parse_policies(stronger).version, parse_policies(relabelled).version}) == 3
    # ... but not the order of tables, defaults spelled out, or comments.
    reordered = {"policies": dict(reversed(legacy["policies"].items())), "detection": legacy["detection"]}
    reordered["policies"]["analytics"]["mask_char"] = "*"
    assert parse_policies(reordered).version == first.version
    assert parse_policies(_doc()).version == "p7"  # a version given is used as given


def test_the_shipped_file_is_a_policy_document_one_to_one():
    document = load_document(derive_version=False)  # the shipped file names its version
    assert PolicyDocument.decode(document.encode()) == document
    assert PolicySet.from_document(document) == load_policies()
    assert document.policies["nlp"].operator == "numbered" and document.policies["storage"].mask_char == "*"


def test_engine_operators_are_the_contract_operators():
    from schemas.policy import OPERATORS as CONTRACT

    assert set(CONTRACT) == OPERATORS


# The shipped file's content, by version: a change to the file needs a new version (events carry it,
# and chat.policy refuses a version that named other content), and a line here.
SHIPPED_CONTENT = {"builtin-1": "file-08acadf202bb"}


def test_the_shipped_file_changes_only_with_its_version():
    import tomllib
    from importlib import resources

    data = tomllib.loads(resources.files("pipeline").joinpath("policies.toml").read_text())
    version = data.pop("version")
    assert SHIPPED_CONTENT.get(version) == parse_policies(data).version, (
        "pipeline/policies.toml changed: give it a new version and record it in SHIPPED_CONTENT"
    )
