"""Fan-out of chat events to this process's subscribers, fed by an in-memory or broker bus."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Protocol

from chat_container.convert import event_actor_id, event_conversation_id
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000


class Overflowed(Exception):
    """A subscriber fell too far behind; it must reconnect and resume."""


class Closed(Exception):
    """The hub is shutting down."""


@dataclass(eq=False)
class Subscription:
    """One live stream's inbox: every conversation (None) or a fixed set, minus own typing."""

    user_id: str
    conversation_ids: frozenset[str] | None
    queue: asyncio.Queue[pb.ChatEvent | Exception] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )

    def wants(self, event: pb.ChatEvent) -> bool:
        """True when the event belongs on this stream."""
        if event_actor_id(event) == self.user_id:
            return False
        if self.conversation_ids is None:
            return True
        return event_conversation_id(event) in self.conversation_ids

    def offer(self, item: pb.ChatEvent | Exception) -> None:
        """Queue an item; a full inbox ends the stream with Overflowed."""
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Overflowed("The event stream fell behind; resume it."))

    async def next(self) -> pb.ChatEvent:
        """The next event (raises Overflowed or Closed)."""
        item = await self.queue.get()
        if isinstance(item, Exception):
            raise item
        return item

    def next_nowait(self) -> pb.ChatEvent | None:
        """The next event if one is waiting, else None (raises Overflowed or Closed)."""
        try:
            item = self.queue.get_nowait()
        except asyncio.QueueEmpty:
            return None
        if isinstance(item, Exception):
            raise item
        return item


class Hub:
    """This process's subscriptions; dispatch() hands an event to every one that wants it."""

    def __init__(self) -> None:
        self._everything: set[Subscription] = set()
        self._by_conversation: dict[str, set[Subscription]] = {}

    def subscribe(self, user_id: str, conversation_ids: frozenset[str] | None) -> Subscription:
        """Register a subscription (before reading the backlog, so nothing falls between)."""
        subscription = Subscription(user_id, conversation_ids)
        if conversation_ids is None:
            self._everything.add(subscription)
        for conversation_id in conversation_ids or ():
            self._by_conversation.setdefault(conversation_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription."""
        self._everything.discard(subscription)
        for conversation_id in subscription.conversation_ids or ():
            members = self._by_conversation.get(conversation_id, set())
            members.discard(subscription)
            if not members:
                self._by_conversation.pop(conversation_id, None)

    def dispatch(self, event: pb.ChatEvent) -> None:
        """Deliver an event to the interested subscriptions."""
        conversation_id = event_conversation_id(event)
        targets = self._everything | self._by_conversation.get(conversation_id, set())
        for subscription in targets:
            if subscription.wants(event):
                subscription.offer(event)

    def close(self) -> None:
        """End every stream (graceful shutdown)."""
        for subscription in self._all():
            subscription.offer(Closed("The chat server is shutting down; reconnect."))

    def _all(self) -> set[Subscription]:
        return self._everything.union(*self._by_conversation.values())

    def __len__(self) -> int:
        return len(self._all())


class Bus(Protocol):
    """Carries events to the hubs of every replica."""

    async def start(self) -> None:
        """Connect."""

    async def publish(self, event: pb.ChatEvent) -> None:
        """Send an event to every replica (including this one)."""

    async def close(self) -> None:
        """Disconnect."""


class MemoryBus:
    """One process: publishing is dispatching to the local hub."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    async def start(self) -> None:
        """Nothing to connect."""

    async def publish(self, event: pb.ChatEvent) -> None:
        """Dispatch locally."""
        self._hub.dispatch(event)

    async def close(self) -> None:
        """Nothing to disconnect."""
