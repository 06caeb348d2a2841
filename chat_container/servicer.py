"""ChatService: authenticate, call the store, publish events, map domain errors to statuses."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import grpc
from sqlalchemy.exc import IntegrityError

from chat_container import convert
from chat_container.events import Bus, Closed, Hub, Overflowed
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.gen.energy.chat.v1 import chat_pb2_grpc
from chat_container.ratelimit import ADMIN_SENDS, CLIENT_SENDS, RateLimiter, RatePolicy
from chat_container.store import ChatStore
from chat_container.stream import HEARTBEAT_S, RECHECK_S, ResumableStream
from chat_container.typing_state import Key, TypingThrottle, TypingTimers, monotonic
from shared.chat.views import Person, SeqOutOfRange, check_seq
from shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

Context = grpc.aio.ServicerContext[Any, Any]
R = TypeVar("R")

STATUS_BY_ERROR: list[tuple[type[DomainError], grpc.StatusCode]] = [
    (Unauthorized, grpc.StatusCode.UNAUTHENTICATED),
    (Forbidden, grpc.StatusCode.PERMISSION_DENIED),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (SeqOutOfRange, grpc.StatusCode.OUT_OF_RANGE),
    (Conflict, grpc.StatusCode.ALREADY_EXISTS),
    (TooManyRequests, grpc.StatusCode.RESOURCE_EXHAUSTED),
]


def status_for(error: DomainError) -> grpc.StatusCode:
    """The gRPC status for a domain error (bad input by default)."""
    for kind, code in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.INVALID_ARGUMENT


def bearer(context: Context) -> str | None:
    """The `authorization` metadata value, if any."""
    for key, value in context.invocation_metadata() or ():
        if key.lower() == "authorization":
            return value if isinstance(value, str) else value.decode()
    return None


async def guarded(context: Context, work: Awaitable[R]) -> R:
    """Await work; a domain error aborts the call with its status and message."""
    try:
        return await work
    except DomainError as error:
        await context.abort(status_for(error), error.detail)
        raise  # abort() raises; this keeps type checkers honest


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    """The chat RPCs; the logic lives in shared.chat and the helpers beside this module."""

    def __init__(
        self,
        store: ChatStore,
        hub: Hub,
        bus: Bus,
        *,
        throttle_s: float,
        typing_ttl_s: float,
        heartbeat_s: float = HEARTBEAT_S,
        recheck_s: float = RECHECK_S,
        client_sends: RatePolicy = CLIENT_SENDS,
        admin_sends: RatePolicy = ADMIN_SENDS,
    ) -> None:
        self._store = store
        self._send_limits = {"admin": RateLimiter(admin_sends), "client": RateLimiter(client_sends)}
        self._hub = hub
        self._bus = bus
        self._throttle = TypingThrottle(throttle_s)
        self._timers = TypingTimers(typing_ttl_s, self._typing_expired)
        self._typists: dict[Key, Person] = {}
        self._heartbeat_s = heartbeat_s
        self._recheck_s = recheck_s

    async def _viewer(self, context: Context) -> Person:
        return await self._store.authenticate(bearer(context))

    async def _guarded(self, context: Context, work: Awaitable[R]) -> R:
        """guarded(), and a write that breaks a constraint re-checks the caller.

        The usual cause is a user deleted while their token is still cached: they get
        UNAUTHENTICATED; anything else goes on to the generic INTERNAL answer (see safety.py).
        """
        try:
            return await guarded(context, work)
        except IntegrityError:
            self._store.forget(bearer(context))
            await guarded(context, self._viewer(context))
            raise

    def _check_send_rate(self, viewer: Person) -> None:
        limiter = self._send_limits["admin" if viewer.role == "admin" else "client"]
        wait_s = limiter.acquire(viewer.user_id, monotonic())
        if wait_s:
            raise TooManyRequests(
                f"Too many messages; wait {wait_s:.1f} s before sending again.",
                retry_after_seconds=max(1, round(wait_s)),
            )

    async def _target(self, viewer: Person, conversation_id: str, *, check: bool = True) -> str:
        """The conversation addressed; a client's own is created on first use.

        check=False leaves the access check to the store call that follows (same transaction).
        """
        if viewer.role != "admin" and not conversation_id:
            own, created = await self._store.ensure_own(viewer)
            if created is not None:
                summary = convert.conversation_summary(created)
                await self._bus.publish(pb.ChatEvent(conversation_created=summary))
            return own
        if not check:
            return conversation_id
        return await self._store.resolve_id(viewer, conversation_id)

    async def ListConversations(
        self, request: pb.ListConversationsRequest, context: Context
    ) -> pb.ListConversationsResponse:
        async def work() -> pb.ListConversationsResponse:
            viewer = await self._viewer(context)
            if viewer.role != "admin":
                await self._target(viewer, "")
            views = await self._store.list_conversations(viewer)
            return pb.ListConversationsResponse(
                conversations=[convert.conversation_summary(v) for v in views]
            )

        return await self._guarded(context, work())

    async def GetHistory(
        self, request: pb.GetHistoryRequest, context: Context
    ) -> pb.GetHistoryResponse:
        async def work() -> pb.GetHistoryResponse:
            viewer = await self._viewer(context)
            target = await self._target(viewer, request.conversation_id, check=False)
            page = await self._store.history(
                viewer,
                target,
                after=request.after_seq,
                before=request.before_seq,
                limit=request.limit,
            )
            return pb.GetHistoryResponse(
                messages=[convert.chat_message(m) for m in page.messages],
                last_seq=page.last_seq,
                has_more=page.has_more,
            )

        return await self._guarded(context, work())

    async def SendMessage(
        self, request: pb.SendMessageRequest, context: Context
    ) -> pb.SendMessageResponse:
        async def work() -> pb.SendMessageResponse:
            viewer = await self._viewer(context)
            self._check_send_rate(viewer)
            target = await self._target(viewer, request.conversation_id, check=False)
            message, created = await self._store.send(
                viewer, target, text=request.text, client_message_id=request.client_message_id
            )
            if created:
                key = (target, viewer.user_id)
                self._timers.cancel(key)  # a message ends the sender's typing indicator
                self._throttle.forget(key)
                self._typists.pop(key, None)
            # A retry publishes again: if the first attempt failed after storing, this delivers
            # it; streams drop the duplicate by seq.
            event = convert.message_event(message)
            await self._bus.publish(event)
            return pb.SendMessageResponse(message=event.message)

        return await self._guarded(context, work())

    async def MarkSeen(self, request: pb.MarkSeenRequest, context: Context) -> pb.MarkSeenResponse:
        async def work() -> pb.MarkSeenResponse:
            viewer = await self._viewer(context)
            target = await self._target(viewer, request.conversation_id, check=False)
            result = await self._store.mark_seen(viewer, target, request.up_to_seq)
            if result.moved:
                await self._bus.publish(convert.seen_event(target, viewer, result.seen_seq))
            return pb.MarkSeenResponse(seen_seq=result.seen_seq, unread_count=result.unread_count)

        return await self._guarded(context, work())

    async def SetTyping(
        self, request: pb.SetTypingRequest, context: Context
    ) -> pb.SetTypingResponse:
        async def work() -> pb.SetTypingResponse:
            viewer = await self._viewer(context)
            target = await self._target(viewer, request.conversation_id)
            key = (target, viewer.user_id)
            if request.stopped:
                self._throttle.forget(key)
                self._typists.pop(key, None)
                if self._timers.cancel(key):
                    await self._publish_typing(key, viewer, typing=False)
                return pb.SetTypingResponse(accepted=True)
            if not self._throttle.accept(key, monotonic()):
                return pb.SetTypingResponse(accepted=False)
            self._typists[key] = viewer
            self._timers.refresh(key)
            await self._publish_typing(key, viewer, typing=True)
            return pb.SetTypingResponse(accepted=True)

        return await self._guarded(context, work())

    async def _publish_typing(self, key: Key, who: Person, *, typing: bool) -> None:
        ttl_ms = int(self._timers.ttl_s * 1000)
        await self._bus.publish(convert.typing_event(key[0], who, typing=typing, ttl_ms=ttl_ms))

    async def _typing_expired(self, key: Key) -> None:
        who = self._typists.pop(key, None)
        if who is not None:
            await self._publish_typing(key, who, typing=False)

    async def Subscribe(
        self, request: pb.SubscribeRequest, context: Context
    ) -> AsyncIterator[pb.ChatEvent]:
        stream = await self._guarded(context, self._open_stream(request, context))
        try:
            async for event in stream.events():
                yield event
        except DomainError as error:  # the caller was refused by a re-check (see _recheck)
            await context.abort(status_for(error), error.detail)
        except Overflowed as error:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
        except Closed as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(error))
        finally:
            self._hub.unsubscribe(stream.subscription)

    async def _open_stream(self, request: pb.SubscribeRequest, context: Context) -> ResumableStream:
        viewer = await self._viewer(context)
        every = viewer.role == "admin" and not request.conversation_id
        scope = None if every else {await self._target(viewer, request.conversation_id)}
        resume = dict(request.resume_after_seq)
        for conversation_id in resume:
            await self._store.resolve_id(viewer, conversation_id)
            if scope is not None and conversation_id not in scope:
                raise ValidationFailed(
                    f"resume_after_seq names {conversation_id!r}, which this stream does not cover."
                )
        subscription = self._hub.subscribe(viewer.user_id, frozenset(scope) if scope else None)
        try:
            cursor = await self._store.last_seqs(sorted(scope) if scope else None)
            for conversation_id, after in resume.items():
                check_seq(f"resume_after_seq[{conversation_id}]", after, cursor[conversation_id])
        except BaseException:
            self._hub.unsubscribe(subscription)
            raise

        async def recheck() -> None:
            await self._recheck(context, every=every)

        return ResumableStream(
            self._store,
            subscription,
            cursor,
            resume,
            heartbeat_s=self._heartbeat_s,
            recheck=recheck,
            recheck_s=self._recheck_s,
        )

    async def _recheck(self, context: Context, *, every: bool) -> None:
        """Re-authenticate an open stream's caller, as a unary call would (cached, batched).

        Raises Unauthorized (revoked, expired, session ended, user gone) and Forbidden (an
        all-conversations stream whose caller is no longer an administrator). A failed read
        (the database is away) keeps the stream on the identity it had, but never past the
        token's own expiry: it is checked again at the next interval, and the first read that
        succeeds decides.
        """
        try:
            viewer = await self._viewer(context)
        except DomainError:
            raise
        except Exception:
            if self._store.outlived(bearer(context)):
                logger.warning("stream re-check failed and the token has expired; ending it")
                raise Unauthorized("The token has expired.") from None
            logger.warning("stream re-check failed; the stream stays open", exc_info=True)
            return
        if every and viewer.role != "admin":
            raise Forbidden("You are no longer an administrator: this stream covered every chat.")

    @property
    def live_streams(self) -> int:
        """How many Subscribe streams this replica is serving."""
        return len(self._hub)

    def close(self) -> None:
        """Stop typing timers and end every stream."""
        self._timers.close()
        self._hub.close()
