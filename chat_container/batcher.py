"""Group commit: concurrent calls share one database round of work.

Calls queue up while a batch is being run; the next batch takes everything waiting (up to
max_batch). SendMessage uses it to store many messages in one transaction: one writer per
replica also means no lock contention between this replica's own writes (SQLite has one write
lock; MariaDB locks the conversation rows). Authentication uses it to check many tokens with one
read when many cached identities run out at once (a burst, a reconnect storm). When a batch
fails as a whole (a database error such as a just-deleted sender's foreign key), each of its
requests is run alone, so that only the request at fault fails.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shared.errors import DomainError

logger = logging.getLogger(__name__)

MAX_BATCH = 256

Req = TypeVar("Req")
Res = TypeVar("Res")


@dataclass
class Batcher(Generic[Req, Res]):
    """submit() returns once the request's batch is done.

    run_batch answers every request of a batch, in order: a result, or the DomainError that
    request gets. run_one answers one request (or raises); it is the fallback when run_batch
    raises anything but a DomainError.
    """

    run_batch: Callable[[list[Req]], Awaitable[list[Res | DomainError]]]
    run_one: Callable[[Req], Awaitable[Res]]
    max_batch: int = MAX_BATCH
    _waiting: list[tuple[Req, asyncio.Future[Res]]] = field(default_factory=list)
    _runner: asyncio.Task[None] | None = None

    async def submit(self, request: Req) -> Res:
        """Run one request with whatever else is waiting; its outcome (or its error)."""
        future: asyncio.Future[Res] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = (
                self._waiting[: self.max_batch],
                self._waiting[self.max_batch :],
            )
            live = [(r, f) for r, f in batch if not f.done()]  # callers may have gone away
            if live:
                await self._run(live)

    async def _run(self, batch: list[tuple[Req, asyncio.Future[Res]]]) -> None:
        try:
            outcomes = await self.run_batch([request for request, _ in batch])
        except DomainError:
            raise  # run_batch reports domain errors per request, never for the batch
        except Exception as error:
            logger.warning("batch of %d failed (%r); running one by one", len(batch), error)
            await asyncio.gather(*(self._one(r, f) for r, f in batch))
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, DomainError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _one(self, request: Req, future: asyncio.Future[Res]) -> None:
        try:
            outcome = await self.run_one(request)
        except Exception as error:
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(outcome)
