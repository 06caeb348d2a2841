"""The platform's HTTP ingestion endpoint: `POST /api/measurements` with a device key."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from sensor_client.errors import PermanentTransportError, TransportError
from sensor_client.message import CONTENT_TYPE, Measurement

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429})
OUTCOMES = frozenset({"stored", "duplicate", "rejected"})


class HttpTransport:
    """Posts each batch as a JSON list; `rejected` items are permanent and counted, not resent."""

    def __init__(
        self,
        base_url: str,
        device_key: str | None = None,
        *,
        token: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise PermanentTransportError(
                f"HTTP destination {base_url!r} must start with http(s)://"
            )
        if not device_key and not token:
            raise PermanentTransportError("HTTP ingestion needs a device key or an admin token")
        self._url = base_url.rstrip("/") + "/api/measurements"
        self._auth = (
            {"X-Device-Key": device_key} if device_key else {"Authorization": f"Bearer {token}"}
        )
        self._timeout_s = timeout_s
        self.rejected = 0
        self.duplicates = 0

    def connect(self) -> None:
        """Nothing to open: each batch is one request."""

    def publish(self, batch: Sequence[Measurement]) -> None:
        """Post the batch; return once the server answered 200 for every item."""
        body = json.dumps([m.to_dict() for m in batch]).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self._url,
            data=body,
            method="POST",
            headers={"Content-Type": CONTENT_TYPE, **self._auth},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise _status_error(exc.code, _read_detail(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(f"cannot reach {self._url}: {reason}") from None
        self._count_results(batch, payload)

    def close(self) -> None:
        """Nothing to release."""

    def _count_results(self, batch: Sequence[Measurement], payload: bytes) -> None:
        results = _parse_results(payload, len(batch))
        for result in results:
            status = result["status"]
            if status == "duplicate":
                self.duplicates += 1
            elif status == "rejected":
                self.rejected += 1
                reading = batch[int(result["index"])]
                log.warning(
                    "reading %s of device %s at %s rejected: %s",
                    reading.value_kwh,
                    reading.device_id,
                    reading.timestamp_ms,
                    result.get("reason", "no reason given"),
                )


def _parse_results(payload: bytes, expected: int) -> list[dict[str, Any]]:
    """Check the per-item results cover the batch; anything else is a protocol error."""
    try:
        results = json.loads(payload)["results"]
        indices = sorted(int(r["index"]) for r in results)
        valid = all(r["status"] in OUTCOMES for r in results)
    except (ValueError, KeyError, TypeError) as exc:
        raise PermanentTransportError(f"unexpected ingestion response: {exc!r}") from None
    if not valid or indices != list(range(expected)):
        raise PermanentTransportError(f"ingestion response does not cover the batch: {results!r}")
    return list(results)


def _read_detail(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(500).decode("utf-8", "replace")
    except OSError:
        return ""


def _status_error(status: int, detail: str) -> TransportError:
    """5xx, 408 and 429 are worth retrying; other statuses will not change on their own."""
    message = f"ingestion endpoint answered {status}: {detail}".rstrip(": ")
    if status >= 500 or status in RETRYABLE_STATUS:
        return TransportError(message)
    if status in (401, 403):
        return PermanentTransportError(f"{message} (check --device-key or --token)")
    return PermanentTransportError(message)
