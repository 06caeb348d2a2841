"""Typed application state shared by the REST and WebSocket handlers."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from local.webpubsub.connstr import TwinSettings
from local.webpubsub.registry import HubRegistry


@dataclass(slots=True)
class TwinState:
    """Settings plus the live hubs of one running twin."""

    settings: TwinSettings
    hubs: HubRegistry = field(default_factory=HubRegistry)


STATE_KEY = web.AppKey("webpubsub_twin_state", TwinState)


def twin_state(request: web.Request) -> TwinState:
    """The twin state of the app serving `request`."""
    return request.app[STATE_KEY]
