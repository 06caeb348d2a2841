"""Group commit for SendMessage: concurrent calls share one transaction.

Calls queue up while a batch is being written; the next batch takes everything waiting (up to
max_batch). One writer per replica also means no lock contention between this replica's own
writes (SQLite has one write lock; MariaDB locks the conversation rows). When a batch fails as a
whole (a database error such as a just-deleted sender's foreign key), each of its requests is
retried alone, so that only the request at fault fails.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from shared.chat.batch import Outcome, SendRequest, Sent
from shared.errors import DomainError

logger = logging.getLogger(__name__)

MAX_BATCH = 256

WriteBatch = Callable[[list[SendRequest]], Awaitable[list[Outcome]]]
WriteOne = Callable[[SendRequest], Awaitable[Sent]]


@dataclass
class SendBatcher:
    """submit() returns once the request's batch is committed."""

    write_batch: WriteBatch
    write_one: WriteOne
    max_batch: int = MAX_BATCH
    _waiting: list[tuple[SendRequest, asyncio.Future[Sent]]] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None

    async def submit(self, request: SendRequest) -> Sent:
        """Store one message with whatever else is waiting; its outcome (or its error)."""
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = (
                self._waiting[: self.max_batch],
                self._waiting[self.max_batch :],
            )
            live = [(r, f) for r, f in batch if not f.done()]  # callers may have gone away
            if live:
                await self._write(live)

    async def _write(self, batch: list[tuple[SendRequest, asyncio.Future[Sent]]]) -> None:
        try:
            outcomes = await self.write_batch([request for request, _ in batch])
        except DomainError:
            raise  # send_messages reports domain errors per request, never for the batch
        except Exception as error:
            logger.warning(
                "batch of %d messages failed (%r); retrying one by one", len(batch), error
            )
            await asyncio.gather(*(self._one(r, f) for r, f in batch))
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, DomainError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _one(self, request: SendRequest, future: asyncio.Future[Sent]) -> None:
        try:
            outcome = await self.write_one(request)
        except Exception as error:
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(outcome)
