"""Typing indicators: throttle refreshes per (user, conversation) and expire them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

TYPING_THROTTLE_S = 2.0
TYPING_TTL_S = 6.0

Key = tuple[str, str]  # (conversation_id, user_id)


@dataclass
class TypingThrottle:
    """Accept at most one typing refresh per interval per key (pure: the clock is passed in)."""

    interval_s: float = TYPING_THROTTLE_S
    _last: dict[Key, float] = field(default_factory=dict)

    def accept(self, key: Key, now: float) -> bool:
        """True when a refresh for key at time now should go out."""
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            return False
        self._last[key] = now
        return True

    def forget(self, key: Key) -> None:
        """The next refresh for key goes out at once (after a message or a stop)."""
        self._last.pop(key, None)


class TypingTimers:
    """One expiry timer per active indicator; on expiry, call on_expire(key)."""

    def __init__(self, ttl_s: float, on_expire: Callable[[Key], Awaitable[None]]) -> None:
        self.ttl_s = ttl_s
        self._on_expire = on_expire
        self._timers: dict[Key, asyncio.Task[None]] = {}

    def refresh(self, key: Key) -> None:
        """(Re)start key's timer."""
        self.cancel(key)
        self._timers[key] = asyncio.create_task(self._expire_later(key))

    def cancel(self, key: Key) -> bool:
        """Stop key's timer; True when the indicator was active."""
        task = self._timers.pop(key, None)
        if task is None:
            return False
        task.cancel()
        return True

    async def _expire_later(self, key: Key) -> None:
        await asyncio.sleep(self.ttl_s)
        self._timers.pop(key, None)
        await self._on_expire(key)

    def close(self) -> None:
        """Cancel every timer."""
        for key in list(self._timers):
            self.cancel(key)


def monotonic() -> float:
    """The clock the throttle uses."""
    return time.monotonic()
