"""Raw chat events carrying PII that is unique to one run, so finding a value downstream is a leak."""

from __future__ import annotations

import random

from connectors.sample import iban_pl, luhn_complete, pl_mobile
from schemas.raw import RawMessage

TEMPLATES = (
    "Hi, write to me at {email} please",
    "My card number is {card}, expiry 12/28",
    "Call me on {phone} after five",
    "Refund to my IBAN {iban}",
    "It failed again. Email {email} or call {phone}",
)
# The same, but the last one carries an IP address (from the documentation range 203.0.113.0/24).
TEMPLATES_WITH_IP = (*TEMPLATES[:-1], "It failed from {ip} again. Email {email}")


def pii_events(
    token: str, count: int, prefix: str, *, templates: tuple[str, ...] = TEMPLATES, conversations: int = 60
) -> tuple[list[RawMessage], set[str]]:
    """``count`` web events ``{prefix}-{token}-{i}`` cycling through ``templates``, spread over
    ``conversations`` conversations; and the canaries: every PII value the events carry.

    The values are drawn from a generator seeded with ``token``: the same token, the same events."""
    rng = random.Random(token)
    events, canaries = [], set()
    for i in range(count):
        values = {
            "email": f"canary.{token}.{i}@example.org",
            "card": luhn_complete("4" + "".join(str(rng.randrange(10)) for _ in range(14))),
            "phone": pl_mobile(rng),
            "iban": iban_pl(rng),
            "ip": f"203.0.113.{rng.randrange(1, 255)}",
        }
        template = templates[i % len(templates)]
        canaries.update(v for k, v in values.items() if "{" + k + "}" in template)
        events.append(
            RawMessage(
                event_id=f"{prefix}-{token}-{i}",
                channel="web",
                channel_kind="private",
                conversation_id=f"conv-{token}-{i % conversations}",
                sender_id=f"sender-{token}-{i % 11}",
                sent_at="2026-11-29T10:00:00Z",
                text=template.format(**values),
            )
        )
    return events, canaries
