"""The leak canary's pure parts: its values, the leak check, the request and event id per channel,
its metrics. The probe against the real stack is in tests/integration/test_canary.py."""

from __future__ import annotations

import secrets

import orjson
import pytest
from prometheus_client import CollectorRegistry

from connectors.base import ReceivedRequest, to_raw
from connectors.canary import CHANNELS, CanaryMetrics, CanaryValues, Leak, ProbeResult, build_request, find_markers
from connectors.http import HttpChannel
from connectors.messenger import MessengerChannel
from connectors.settings import IngestSettings, WidgetSettings
from connectors.slack import SlackChannel
from connectors.telegram import TelegramChannel
from connectors.widget import WidgetChannel
from runtime.kafka import KafkaSettings


def luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def test_every_probe_gets_fresh_recognisable_values():
    a, b = CanaryValues.generate(), CanaryValues.generate()
    assert a.email != b.email and a.card != b.card and a.message_id != b.message_id
    for v in (a, b):
        assert v.email == f"canary-{v.token}@canary.chatguard.example.org"
        assert len(v.card) == 16 and v.card.isdigit() and v.card[0] == "4" and luhn_valid(v.card)
        assert v.email in v.text and v.card in v.text
        # The token marks the e-mail only: ids that travel downstream in clear must not hold it.
        assert v.token not in v.message_id + v.conversation_id + v.sender_id
        assert v.text.count(v.token) == 1


def test_find_markers_sees_values_plain_and_json_escaped():
    v = CanaryValues.generate()
    markers = v.markers()
    clean = orjson.dumps({"event_id": "x", "text": "write to ************ and charge ****************"})
    assert find_markers(clean, markers) == []
    assert find_markers(None, markers) == []
    leaked = orjson.dumps({"event_id": "x", "text": f"write to {v.email}"})
    assert sorted(find_markers(leaked, markers)) == ["email", "email-token"]
    escaped = b'{"text": "write to ' + v.email.replace("@", "\\u0040").encode() + b'"}'
    assert "email" in find_markers(escaped, markers)
    assert find_markers(f"card {v.card}".encode(), markers) == ["card"]  # not JSON: raw bytes still checked


@pytest.mark.parametrize("channel", CHANNELS)
def test_request_is_accepted_by_the_real_channel_and_yields_the_predicted_event_id(channel):
    secret = secrets.token_hex(16)
    settings = IngestSettings(
        kafka=KafkaSettings(),
        slack_signing_secret=secret.encode(),
        messenger_app_secret=secret.encode(),
        messenger_verify_token="verify",
        telegram_secret_token=secret,
        ingest_hmac_secret=secret.encode(),
        widget_site_keys=frozenset({secret}),
    )
    receivers = {
        "http": HttpChannel(secret.encode()),
        "slack": SlackChannel(secret.encode()),
        "messenger": MessengerChannel(secret.encode(), "verify"),
        "telegram": TelegramChannel(secret),
        "web": WidgetChannel(frozenset({secret}), KafkaSettings(), WidgetSettings(pseudonym_key=secret.encode())),
    }
    values = CanaryValues.generate()
    request, event_id = build_request(channel, settings, values)
    receiver = receivers[channel]
    assert request.path == receiver.path
    received = ReceivedRequest({k.lower(): v for k, v in request.headers.items()}, {}, request.body)
    receiver.verify(received)  # signed as the platform signs: no exception
    [message] = receiver.parse(received, orjson.loads(request.body)).messages
    raw = to_raw(receiver, message)
    assert raw.event_id == event_id
    assert raw.text == values.text


def test_a_channel_without_its_secret_is_refused():
    with pytest.raises(ValueError, match="CHATGUARD_INGEST_HMAC_SECRET"):
        build_request("http", IngestSettings(kafka=KafkaSettings()), CanaryValues.generate())
    with pytest.raises(ValueError, match="unknown channel"):
        build_request("fax", IngestSettings(kafka=KafkaSettings(), ingest_hmac_secret=b"s"), CanaryValues.generate())


def test_metrics_count_outcomes_leaks_and_last_success():
    registry = CollectorRegistry()
    metrics = CanaryMetrics(registry)
    get = registry.get_sample_value
    assert get("chatguard_canary_probes_total", {"outcome": "timeout"}) == 0  # series exist before any probe
    v = CanaryValues.generate()
    metrics.observe(ProbeResult("ok", "e1", v, 0.4))
    metrics.observe(ProbeResult("leak", "e2", v, 0.7, leaks=[Leak("chat.storage", 0, 5, ("email",))]))
    metrics.observe(ProbeResult("timeout", "e3", v, 60.0))
    assert get("chatguard_canary_probes_total", {"outcome": "ok"}) == 1
    assert get("chatguard_canary_probes_total", {"outcome": "leak"}) == 1
    assert get("chatguard_canary_probes_total", {"outcome": "timeout"}) == 1
    assert get("chatguard_canary_leaks_total") == 1
    assert get("chatguard_canary_last_success_timestamp_seconds") > 0
    assert get("chatguard_canary_probe_duration_seconds_count") == 3


def test_summary_names_leaks_by_place_and_exit_status_follows_outcome():
    v = CanaryValues.generate()
    leak = ProbeResult("leak", "e1", v, 1.0, {"chat.storage": 0.2}, [Leak("chat.storage", 3, 42, ("card",))])
    text = leak.summary()
    assert "LEAK: card on chat.storage partition 3 offset 42" in text
    assert v.card in text  # the probe's own synthetic values may be shown
    assert [ProbeResult(o, None, None, 0).exit_status for o in ("ok", "leak", "timeout", "error")] == [0, 1, 2, 2]


def test_the_canary_never_loads_the_pipeline():
    import subprocess
    import sys

    code = "import sys, connectors.canary; print(sorted(m for m in sys.modules if m.split('.')[0] == 'pipeline'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "[]"
