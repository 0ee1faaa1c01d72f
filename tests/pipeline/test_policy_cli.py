"""``chatguard policy show|publish|withdraw`` with chat.policy stood in for (the real broker:
tests/integration/test_policy_topic.py): what it refuses, with which exit status, and what it prints."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from pipeline import policy_cli
from pipeline.policies import load_document
from runtime.cli import main
from schemas.policy import POLICY_KEY

SHIPPED = load_document()


class Topic:
    """chat.policy as the command reads and writes it."""

    def __init__(self, *values: bytes | None) -> None:
        self.records: list[tuple[int, bytes | None, bytes | None]] = [(i, POLICY_KEY, v) for i, v in enumerate(values)]

    async def read(self, kafka, timeout_s: float = 30.0):
        return list(self.records), len(self.records)

    async def send(self, kafka, value):
        self.records.append((len(self.records), POLICY_KEY, value))
        return len(self.records) - 1


@pytest.fixture
def topic(monkeypatch) -> Topic:
    for name in ("CHATGUARD_POLICY_FILE", "CHATGUARD_PSEUDONYM_KEY"):
        monkeypatch.delenv(name, raising=False)
    t = Topic()
    monkeypatch.setattr(policy_cli, "read_topic", t.read)
    monkeypatch.setattr(policy_cli, "_send", t.send)
    return t


def doc(version: str, **changes) -> dict:
    data = copy.deepcopy(SHIPPED.to_dict())
    data["version"] = version
    if changes.get("person") is False:
        data["detection"]["entities"].remove("PERSON")
    if "storage" in changes:
        data["policies"]["storage"]["operator"] = changes["storage"]
    if "entities" in changes:
        data["detection"]["entities"] += changes["entities"]
    return data


def write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_bytes(orjson.dumps(data))
    else:  # a TOML file, written by hand as a person would
        lines = [f'version = "{data["version"]}"', "[detection]"]
        lines.append("entities = [" + ", ".join(f'"{e}"' for e in data["detection"]["entities"]) + "]")
        lines.append(f"score_threshold = {data['detection']['score_threshold']}")
        for dest, table in data["policies"].items():
            lines += [f"[policies.{dest}]", f'operator = "{table["operator"]}"']
        path.write_text("\n".join(lines) + "\n")
    return path


def test_show_prints_the_version_in_force(topic, capsys):
    assert main(["policy", "show"]) == 0
    out, err = capsys.readouterr()
    assert orjson.loads(out)["version"] == "builtin-1"
    assert "in force: version builtin-1 from the policy file" in err
    topic.records.append((0, POLICY_KEY, orjson.dumps(doc("v1"))))
    topic.records.append((1, POLICY_KEY, b"not a policy"))
    assert main(["policy", "show"]) == 0
    out, err = capsys.readouterr()
    assert orjson.loads(out)["version"] == "v1"
    assert "ignored: chat.policy offset 1, version (unreadable): policy: not valid JSON" in err
    assert "in force: version v1 from chat.policy offset 0" in err


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_publish_a_stronger_version(topic, tmp_path, capsys, suffix):
    path = write(tmp_path, "p" + suffix, doc("v2", storage="placeholder"))
    assert main(["policy", "publish", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert "weakens" not in out
    assert "published version v2 to chat.policy (offset 0)" in out
    assert orjson.loads(topic.records[0][2])["policies"]["storage"]["operator"] == "placeholder"


def test_a_weakening_needs_the_flag_and_is_printed_either_way(topic, tmp_path, capsys):
    path = write(tmp_path, "weaker.json", doc("v3", person=False))
    assert main(["policy", "publish", str(path)]) == 2
    out, err = capsys.readouterr()
    assert "weakens: detection.entities: PERSON is no longer detected" in out
    assert "chatguard policy: 1 change(s) above weaken protection against version builtin-1" in err
    assert "--allow-weakening" in err and topic.records == []

    assert main(["policy", "publish", str(path), "--allow-weakening", "--dry-run"]) == 0
    assert "dry run: version v3 not published" in capsys.readouterr().out and topic.records == []

    assert main(["policy", "publish", str(path), "--allow-weakening"]) == 0
    out, _ = capsys.readouterr()
    assert "weakens: detection.entities: PERSON is no longer detected" in out and "published version v3" in out
    assert len(topic.records) == 1


@pytest.mark.parametrize(
    "name, content, code, message",
    [
        ("bad.json", b'{"version": "v4"}', 1, "bad.json: detection: required"),
        ("bad.json", b"{nope", 1, "bad.json: not valid JSON"),
        ("bad.toml", b"version = ", 1, "bad.toml: not valid TOML"),
        ("policy.yaml", b"version: v4", 2, "policy.yaml: a policy document is a .toml or a .json file"),
        ("op.json", orjson.dumps({**doc("v4"), "policies": {**doc("v4")["policies"], "nlp": {"operator": "hash"}}}),
         1, "op.json: policies.nlp.operator: must be one of placeholder, mask, numbered, pseudonym"),
        ("mars.json", orjson.dumps(doc("v4", entities=["PASSPORT_OF_MARS"])), 1,
         "mars.json: detection.entities: no recognizer for PASSPORT_OF_MARS"),
        ("noversion.json", orjson.dumps({k: v for k, v in doc("v4").items() if k != "version"}), 1,
         "noversion.json: version: required"),
    ],
)  # fmt: skip
def test_publish_refuses_an_invalid_document_naming_the_problem(topic, tmp_path, capsys, name, content, code, message):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["policy", "publish", str(path)]) == code
    err = capsys.readouterr().err
    assert err.startswith("chatguard policy: ") and message in err, err
    assert topic.records == []


def test_publish_refuses_a_missing_file(topic, tmp_path, capsys):
    assert main(["policy", "publish", str(tmp_path / "nowhere.toml")]) == 2
    assert "nowhere.toml: cannot read" in capsys.readouterr().err


def test_a_version_names_one_document(topic, tmp_path, capsys):
    topic.records.append((0, POLICY_KEY, orjson.dumps(doc("v5", storage="placeholder"))))
    other = write(tmp_path, "other.json", doc("v5"))
    assert main(["policy", "publish", str(other), "--allow-weakening"]) == 1
    assert "other.json: version: names another document already" in capsys.readouterr().err
    shipped_again = write(tmp_path, "builtin.json", doc("builtin-1", storage="placeholder"))
    assert main(["policy", "publish", str(shipped_again)]) == 1  # the file's version is taken too
    # The very same document again is not another one: publishing it is harmless.
    same = write(tmp_path, "same.json", doc("v5", storage="placeholder"))
    assert main(["policy", "publish", str(same)]) == 0


def test_withdraw_returns_to_the_file_and_a_weakening_needs_the_flag(topic, capsys):
    assert main(["policy", "withdraw"]) == 0
    assert "nothing to withdraw" in capsys.readouterr().err and topic.records == []
    topic.records.append((0, POLICY_KEY, orjson.dumps(doc("v6", storage="placeholder"))))
    assert main(["policy", "withdraw"]) == 2  # the file masks storage: weaker than placeholders
    assert "weakens: policies.storage.operator: placeholder -> mask" in capsys.readouterr().out
    assert main(["policy", "withdraw", "--allow-weakening"]) == 0
    assert "published a tombstone" in capsys.readouterr().out
    assert topic.records[-1] == (1, POLICY_KEY, None)
