"""One Subscribe stream: replay the backlog, then live events with no gaps or duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Literal

from chat_container.convert import message_event, timestamp
from chat_container.events import Subscription
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.store import ChatStore

HEARTBEAT_S = 20.0

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
    ) -> None:
        self._store = store
        self.subscription = subscription
        self._cursor = cursor
        self._resume = resume
        self._heartbeat_s = heartbeat_s

    async def events(self) -> AsyncIterator[pb.ChatEvent]:
        """Backlog, a Ready marker, then live events (forever)."""
        for conversation_id, after in sorted(self._resume.items()):
            for message in await self._store.messages_between(conversation_id, after):
                yield message_event(message)
                self._cursor[conversation_id] = message.seq
        yield pb.ChatEvent(ready=pb.Ready(last_seq=self._cursor))
        while True:
            try:
                # Under load the inbox is rarely empty: take the next event without a timer.
                event = self.subscription.next_nowait()
                if event is None:
                    async with asyncio.timeout(self._heartbeat_s):
                        event = await self.subscription.next()
            except TimeoutError:
                now = timestamp(datetime.now(UTC))
                yield pb.ChatEvent(heartbeat=pb.Heartbeat(server_time=now))
                continue
            if event.WhichOneof("event") != "message":
                yield event
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
