"""A lean Web PubSub REST sender: send_to_user from one event-loop thread, many calls in flight.

The Azure SDK's `send_to_user` costs about 1-1.5 ms of CPU per call under load (its pipeline
policies, per-request logging setup), and a burst of 200 alerts sent from a thread pool spent
most of the alert latency there. The same REST call (`POST /api/hubs/{hub}/users/{user}/:send`
with an HS256 access-key JWT whose audience is the request URL — exactly what the SDK sends)
made with aiohttp from one event loop costs ~0.3 ms of CPU and needs no thread per call
(measured side by side on this machine; docs/alerts.md). Works against Azure and the local twin.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt

logger = logging.getLogger(__name__)
API_VERSION = "2024-01-01"
TOKEN_SECONDS = 300
TOKEN_REUSE_MARGIN = 60  # never send a token with less than this left (clock skew, slow calls)
MAX_CACHED_TOKENS = 10_000


def parse_connection_string(connection_string: str) -> tuple[str, str]:
    """Return (endpoint with port, access key) from a Web PubSub connection string."""
    fields: dict[str, str] = {}
    for segment in connection_string.split(";"):
        if "=" in segment:
            key, value = segment.split("=", 1)
            fields.setdefault(key.strip().lower(), value.strip())
        elif segment.strip():
            raise ValueError("malformed Web PubSub connection string")
    if "endpoint" not in fields or "accesskey" not in fields:
        raise ValueError("Web PubSub connection string needs Endpoint and AccessKey")
    endpoint = fields["endpoint"].rstrip("/")
    if fields.get("port"):
        endpoint = f"{endpoint}:{fields['port']}"
    return endpoint, fields["accesskey"]


class RestSender:
    """Fire-and-forget `send_to_user` calls, at most `concurrency` in flight, `max_pending` queued.

    `send_to_user` never blocks: it returns False when `max_pending` sends are already waiting
    (the caller logs a drop; clients catch up through the API).
    """

    def __init__(
        self, connection_string: str, hub: str, *, concurrency: int = 32, max_pending: int = 1000
    ) -> None:
        self._endpoint, self._key = parse_connection_string(connection_string)
        self._hub = quote(hub, safe="")
        self._concurrency = concurrency
        self._tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()  # url -> token, exp
        self._slots = threading.BoundedSemaphore(max_pending)
        self._loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None
        self._limit: asyncio.Semaphore | None = None
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="webpubsub-sender", daemon=True
        )
        self._thread.start()
        atexit.register(self.close)  # close the HTTP session cleanly at interpreter exit

    def url_for(self, user_id: str) -> str:
        """The REST URL of send-to-user for one user."""
        user = quote(user_id, safe="")
        return f"{self._endpoint}/api/hubs/{self._hub}/users/{user}/:send?api-version={API_VERSION}"

    def token_for(self, url: str) -> str:
        """The access-key JWT the service expects: audience = request URL, short expiry.

        A token is reused for its URL (one per user) until it has less than `TOKEN_REUSE_MARGIN`
        seconds left: signing costs as much CPU as the rest of a send.
        """
        now = time.time()
        cached = self._tokens.get(url)
        if cached is not None and cached[1] - now > TOKEN_REUSE_MARGIN:
            return cached[0]
        expires = datetime.fromtimestamp(now, UTC) + timedelta(seconds=TOKEN_SECONDS)
        token = jwt.encode({"aud": url, "exp": expires}, self._key, algorithm="HS256")
        self._tokens[url] = (token, now + TOKEN_SECONDS)
        self._tokens.move_to_end(url)
        if len(self._tokens) > MAX_CACHED_TOKENS:
            self._tokens.popitem(last=False)
        return token

    def send_to_user(self, user_id: str, message: dict[str, Any]) -> bool:
        """Queue one JSON message to every connection of `user_id`; False if the queue is full."""
        if not self._slots.acquire(blocking=False):
            return False
        body = json.dumps(message, separators=(",", ":")).encode()
        kind = str(message.get("type", "message"))
        self._loop.call_soon_threadsafe(self._start, user_id, body, kind)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Close the HTTP session and stop the loop thread."""

        async def _close() -> None:
            if self._session is not None:
                await self._session.close()

        if self._loop.is_closed():
            return
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(_close(), self._loop).result(timeout)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()

    def _start(self, user_id: str, body: bytes, kind: str) -> None:
        self._loop.create_task(self._send(user_id, body, kind))

    async def _send(self, user_id: str, body: bytes, kind: str) -> None:
        try:
            if self._session is None:
                timeout = aiohttp.ClientTimeout(total=5, connect=2)
                connector = aiohttp.TCPConnector(limit=self._concurrency)
                self._session = aiohttp.ClientSession(timeout=timeout, connector=connector)
                self._limit = asyncio.Semaphore(self._concurrency)
            assert self._limit is not None
            url = self.url_for(user_id)
            headers = {
                "Authorization": f"Bearer {self.token_for(url)}",
                "Content-Type": "application/json",
            }
            async with self._limit, self._session.post(url, data=body, headers=headers) as reply:
                if reply.status >= 300:
                    logger.warning("send_to_user %s for %s: HTTP %s", kind, user_id, reply.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("send_to_user %s for %s failed: %r", kind, user_id, exc)
        except Exception:
            logger.exception("send_to_user %s for %s failed", kind, user_id)
        finally:
            self._slots.release()
