"""One Subscribe stream: replay the backlog, then live events with no gaps or duplicates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

from chat_container.convert import message_event, timestamp
from chat_container.events import Subscription
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.store import ChatStore

HEARTBEAT_S = 20.0
# An open stream re-checks its caller this often (on elapsed time, busy or idle). Below
# AUTH_CACHE_S - AUTH_REFRESH_AHEAD_S (store.py), so a steady stream's check normally finds its
# identity cached and due for a background refresh, and never waits for a read. A revoked caller
# is cut off at most RECHECK_S + AUTH_CACHE_S after the revocation (18 s).
RECHECK_S = 8.0

Step = Literal["skip", "deliver", "fill"]


def plan(cursor_seq: int, seq: int) -> Step:
    """What to do with live message seq when the stream has delivered up to cursor_seq."""
    if seq <= cursor_seq:
        return "skip"  # already sent from the backlog or by a gap fill
    if seq == cursor_seq + 1:
        return "deliver"
    return "fill"  # an earlier message's event has not arrived (yet): read it from storage


class ResumableStream:
    """The events of one subscription, starting from a per-conversation cursor."""

    def __init__(
        self,
        store: ChatStore,
        subscription: Subscription,
        cursor: dict[str, int],
        resume: dict[str, int],
        *,
        heartbeat_s: float = HEARTBEAT_S,
        recheck: Callable[[], Awaitable[None]] | None = None,
        recheck_s: float = RECHECK_S,
    ) -> None:
        self._store = store
        self.subscription = subscription
        self._cursor = cursor
        self._resume = resume
        self._heartbeat_s = heartbeat_s
        self._recheck = recheck
        self._recheck_s = recheck_s

    async def events(self) -> AsyncGenerator[pb.ChatEvent]:
        """Backlog, a Ready marker, then live events until recheck raises (or the hub ends it).

        recheck runs every recheck_s seconds of the live phase, idle or busy: an idle wait ends
        at the earlier of the next heartbeat and the next re-check, and a busy stream looks at
        the clock before each event it yields.
        """
        for conversation_id, after in sorted(self._resume.items()):
            for message in await self._store.messages_between(conversation_id, after):
                yield message_event(message)
                self._cursor[conversation_id] = message.seq
        yield pb.ChatEvent(ready=pb.Ready(last_seq=self._cursor))
        sent_at = time.monotonic()  # the last yield: a heartbeat is due heartbeat_s after it
        check_at = sent_at + self._recheck_s
        while True:
            # Under load the inbox is rarely empty: take the next event without a timer.
            event = self.subscription.next_nowait()
            if event is None:
                wake_at = sent_at + self._heartbeat_s
                if self._recheck is not None:
                    wake_at = min(wake_at, check_at)
                try:
                    async with asyncio.timeout(max(0.0, wake_at - time.monotonic())):
                        event = await self.subscription.next()
                except TimeoutError:
                    pass
            now = time.monotonic()
            if self._recheck is not None and now >= check_at:
                # On elapsed time, before anything more is yielded; raises to end the stream.
                await self._recheck()
                check_at = time.monotonic() + self._recheck_s
            if event is None:
                if now >= sent_at + self._heartbeat_s:
                    now_utc = timestamp(datetime.now(UTC))
                    yield pb.ChatEvent(heartbeat=pb.Heartbeat(server_time=now_utc))
                    sent_at = time.monotonic()
                continue
            if event.WhichOneof("event") != "message":
                yield event
                sent_at = time.monotonic()
                continue
            live = event.message
            conversation_id = live.conversation_id
            cursor_seq = self._cursor.get(conversation_id, 0)
            step = plan(cursor_seq, live.seq)
            if step == "skip":
                continue
            if step == "fill":
                missing = await self._store.messages_between(
                    conversation_id, cursor_seq, live.seq - 1
                )
                for earlier in missing:
                    yield message_event(earlier)
            self._cursor[conversation_id] = live.seq
            yield event  # the event itself: shared by every stream, never modified
            sent_at = time.monotonic()
