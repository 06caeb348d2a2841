"""Async facade over shared.chat: each call is one transaction in a worker thread."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import jwt
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from chat_container.batcher import Batcher
from shared import auth
from shared.chat import batch, service
from shared.chat.batch import SendRequest, Sent
from shared.chat.views import (
    ConversationView,
    History,
    MessageView,
    Person,
    SeenResult,
)
from shared.db import transaction
from shared.errors import DomainError
from shared.platform import Platform

T = TypeVar("T")
logger = logging.getLogger(__name__)
ATTEMPTS = 4
# A verified token is trusted this long without re-reading the user (revocation lag bound).
AUTH_CACHE_S = 10.0
AUTH_CACHE_MAX = 10_000
# A cached identity used in its last seconds is re-checked in the background (batched with
# the others due), so busy callers never wait for the read, and identities cached at the same
# moment (a crowd connecting at once) do not all expire together into one blocking wave.
# An entry is only ever extended by a successful read: the revocation lag stays AUTH_CACHE_S.
AUTH_REFRESH_AHEAD_S = 3.0
NEUTRAL_ADMIN = Person(user_id="", username="", name="", role="admin")


class ChatStore:
    """The chat's persistence, safe to call from the event loop."""

    def __init__(self, platform: Platform, *, threads: int = 16) -> None:
        self._platform = platform
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="chat-db")
        # 'Bearer …' -> (identity, trusted until, the token's own expiry)
        self._auth_cache: dict[str, tuple[Person, float, float]] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._sends: Batcher[SendRequest, Sent] = Batcher(self._send_batch, self._send_one)
        self._identities: Batcher[str, Person] = Batcher(
            self._authenticate_batch, self._authenticate_one
        )

    async def _run(
        self,
        factory: sessionmaker[Session],
        work: Callable[[Session], T],
        *,
        attempts_on_conflict: int = ATTEMPTS,
    ) -> T:
        def attempt() -> T:
            conflicts = 0
            for remaining in reversed(range(ATTEMPTS)):
                try:
                    with transaction(factory) as session:
                        return work(session)
                except IntegrityError:
                    # a lost insert race: the next attempt sees the winner
                    conflicts += 1
                    if not remaining or conflicts >= attempts_on_conflict:
                        raise
                except OperationalError:
                    # a deadlock victim or a busy database: try again
                    if not remaining:
                        raise
            raise AssertionError("unreachable")

        return await asyncio.get_running_loop().run_in_executor(self._executor, attempt)

    async def _write(self, work: Callable[[Session], T]) -> T:
        return await self._run(self._platform.sessions, work)

    async def _read(self, work: Callable[[Session], T]) -> T:
        return await self._run(self._platform.readers, work)

    async def authenticate(self, authorization: str | None) -> Person:
        """The caller behind a 'Bearer <token>' value (raises Unauthorized).

        A token verified in the last AUTH_CACHE_S seconds is trusted without checking its
        signature or reading the user again, never past its own expiry; used in its last
        AUTH_REFRESH_AHEAD_S seconds it is re-checked in the background. Tokens that are not
        (or no longer) cached are checked together: one read for all that wait.
        """
        key = authorization or ""
        now = time.time()
        cached = self._auth_cache.get(key)
        if cached is not None and cached[1] > now:
            who, until, token_expiry = cached
            if until - now < AUTH_REFRESH_AHEAD_S and until < token_expiry:
                self._refresh_soon(key)
            return who
        who = await self._identities.submit(key)
        self._remember(key, who, now)
        return who

    def _remember(self, key: str, who: Person, checked_at: float) -> None:
        if len(self._auth_cache) >= AUTH_CACHE_MAX:
            self._auth_cache.clear()
        token = key.partition(" ")[2].strip()
        expiry = float(jwt.decode(token, options={"verify_signature": False})["exp"])
        self._auth_cache[key] = (who, min(checked_at + AUTH_CACHE_S, expiry), expiry)

    def _refresh_soon(self, key: str) -> None:
        if key not in self._refreshing:
            self._refreshing[key] = asyncio.create_task(self._refresh(key))

    async def _refresh(self, key: str) -> None:
        """Re-check a cached identity; extend it on success, drop it when refused."""
        checked_at = time.time()
        try:
            who = await self._identities.submit(key)
        except DomainError:  # revoked, expired, user gone: the next call is refused
            self._auth_cache.pop(key, None)
        except Exception:  # e.g. the database is away: the entry expires as it would have
            logger.warning("background identity check failed", exc_info=True)
        else:
            if key in self._auth_cache:  # not forgotten meanwhile
                self._remember(key, who, checked_at)
        finally:
            self._refreshing.pop(key, None)

    async def _authenticate_batch(self, authorizations: list[str]) -> list[Person | DomainError]:
        found = await self._read(
            lambda s: auth.authenticate_many(self._platform, s, authorizations)
        )
        return [
            who
            if isinstance(who, DomainError)
            else Person(who.id, who.username, who.name, who.role)
            for who in found
        ]

    async def _authenticate_one(self, authorization: str) -> Person:
        return await self._read(
            lambda s: service.person(auth.authenticate(self._platform, s, authorization))
        )

    @staticmethod
    def outlived(authorization: str | None, now: float | None = None) -> bool:
        """Whether a token's own `exp` has passed, read from the token alone (no database):
        what an open stream falls back on while its re-check cannot read. Unreadable: True."""
        token = (authorization or "").partition(" ")[2].strip()
        try:
            expiry = float(jwt.decode(token, options={"verify_signature": False})["exp"])
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
            return True
        return (time.time() if now is None else now) >= expiry

    def forget(self, authorization: str | None) -> None:
        """Drop a cached identity: the next call with this token reads the user again."""
        self._auth_cache.pop(authorization or "", None)

    async def ensure_own(self, client: Person) -> tuple[str, ConversationView | None]:
        """The client's conversation id, and its summary when this call created it."""

        def work(session: Session) -> tuple[str, ConversationView | None]:
            existing = service.find_own_conversation(session, client)
            if existing is not None:
                return existing.id, None
            created = service.create_conversation(session, client)
            return created.id, service.summary(session, created, NEUTRAL_ADMIN)

        return await self._write(work)

    async def resolve_id(self, viewer: Person, conversation_id: str) -> str:
        """The id of the conversation the viewer may reach (raises NotFound/Forbidden)."""
        return await self._read(lambda s: service.resolve(s, viewer, conversation_id).id)

    async def list_conversations(self, viewer: Person) -> list[ConversationView]:
        """What ListConversations returns."""
        return await self._read(lambda s: service.list_conversations(s, viewer))

    async def history(
        self, viewer: Person, conversation_id: str, *, after: int, before: int, limit: int
    ) -> History:
        """A page of one conversation."""
        return await self._read(
            lambda s: service.get_history(
                s,
                service.resolve(s, viewer, conversation_id),
                after_seq=after,
                before_seq=before,
                limit=limit,
            )
        )

    async def send(
        self, viewer: Person, conversation_id: str, *, text: str, client_message_id: str
    ) -> tuple[MessageView, bool]:
        """Store a message (in a batch with concurrent sends); (message, created)."""
        return await self._sends.submit(
            SendRequest(viewer, conversation_id, text, client_message_id)
        )

    async def _send_batch(self, requests: list[SendRequest]) -> list[Sent | DomainError]:
        return await self._run(
            self._platform.sessions,
            lambda s: batch.send_messages(s, requests),
            attempts_on_conflict=1,  # an integrity error falls back to one by one at once
        )

    async def _send_one(self, request: SendRequest) -> tuple[MessageView, bool]:
        return await self._write(
            lambda s: service.send_message(
                s,
                request.sender,
                service.resolve(s, request.sender, request.conversation_id),
                text=request.text,
                client_message_id=request.client_message_id,
            )
        )

    async def mark_seen(self, viewer: Person, conversation_id: str, up_to_seq: int) -> SeenResult:
        """Advance the viewer's watermark."""
        return await self._write(
            lambda s: service.mark_seen(
                s, viewer, service.resolve(s, viewer, conversation_id), up_to_seq
            )
        )

    async def last_seqs(self, conversation_ids: list[str] | None) -> dict[str, int]:
        """conversation id -> newest seq, for the given ids or every conversation."""
        return await self._read(lambda s: service.last_seqs(s, conversation_ids))

    async def messages_between(
        self, conversation_id: str, after_seq: int, up_to_seq: int | None = None
    ) -> list[MessageView]:
        """Messages after after_seq (up to up_to_seq), ascending."""
        return await self._read(
            lambda s: service.messages_between(s, conversation_id, after_seq, up_to_seq)
        )

    def close(self) -> None:
        """Stop the worker threads and background identity checks."""
        for task in self._refreshing.values():
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
