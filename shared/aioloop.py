"""The event loop for the long-running asyncio servers (the chat replica and the gRPC-Web bridge).

uvloop's loop where it is installed (Linux, macOS; pinned in pyproject.toml and the chat image),
else asyncio's own (Windows, where uvloop does not exist). grpc.aio runs on either: its
completion-queue poller hands events to whichever loop is running. Measured on the chat burst
(bench.chat): the bridge's CPU per relayed message fell ~15 % on uvloop; the chat replica's
figure is in docs/deployment.md.
"""

from __future__ import annotations

import asyncio


def event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop: uvloop's where installed, else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop
