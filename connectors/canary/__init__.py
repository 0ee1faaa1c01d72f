"""``chatguard canary``: a leak probe through the real path, from outside the pipeline.

One probe sends a chat message carrying synthetic PII made up for that probe alone (an e-mail
``canary-<random>@canary.chatguard.example.org`` and a Luhn-valid card number) to the ingest
service as a signed webhook of one enabled channel (the generic HTTP channel by default). It
then reads the clean topics (chat.analytics, chat.storage, chat.nlp) and chat.quarantine from
their end, without a consumer group, until the probe's event (its id derives from the channel
and the message id, as the connectors derive it) has arrived on all three clean topics, and
checks every record that arrived meanwhile, on every one of those topics, for the probe's values.

Outcomes: ``ok`` (arrived everywhere, no value anywhere), ``leak`` (a value appeared: counted
in chatguard_canary_leaks_total), ``timeout`` (not arrived everywhere in time: a failed probe,
not a leak), ``error`` (the ingest service refused the message or Kafka was unreachable).

One module per job: ``values`` (the probe's synthetic values, the leak check, the signed
request), ``probe`` (one probe against Kafka and ingest), ``result`` (its outcome and metrics),
``command`` (the CLI). Never imports the pipeline: the canary checks it from outside.
"""

from connectors.canary.command import run
from connectors.canary.result import CanaryMetrics, Leak, ProbeResult
from connectors.canary.values import CHANNELS, CanaryValues, build_request, find_markers

__all__ = [
    "CHANNELS",
    "CanaryMetrics",
    "CanaryValues",
    "Leak",
    "ProbeResult",
    "build_request",
    "find_markers",
    "run",
]
