"""The web widget: a chat box on a customer's site, and the live *redacted* echo of what it sent.

One module per job:

``channel``    WidgetChannel: site keys, sessions, ``POST /widget/messages``, CORS, the routes
``messages``   one message (POST body or WebSocket frame), checked and minimised
``websocket``  ``/widget/ws``
``events``     ``POST /widget/events``, the redacted echo as server-sent events
``echo``       the chat.nlp consumer feeding those streams
``hub``        fan-out to the open streams, and their replay buffer
``guard``      conversation tokens, the Origin allowlist, rate limits
``static``     the demo page and its assets
"""

from connectors.widget.channel import WidgetChannel

__all__ = ["WidgetChannel"]
