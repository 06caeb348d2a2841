"""Words for the desktop window: errors without raw JSON or command-line advice, local times."""

from __future__ import annotations

import json
import re
from datetime import datetime

# Command-line options named in engine messages, as the window labels them.
OPTION_LABELS = {
    "--device-key": "the device key",
    "--token": "the admin token",
    "--start": "Replay start",
    "--interval": "Interval",
    "--rate": "Replay rate",
    "--devices": "the number of devices",
    "--max-retries": "the retry limit",
    "--dest": "Destination",
    "--csv": "CSV file",
}
ANSWERED = re.compile(r"^ingestion endpoint answered (\d{3})(?:: (.*))?$", re.S)
STATUS_WORDS = {
    400: "refused the readings as malformed",
    401: "did not accept the device key",
    403: "does not allow this device key to send for this device",
    404: "has no ingestion endpoint at this address",
    413: "found the batch too large",
    422: "refused the readings",
    429: "asks to slow down",
}


def _problem_detail(body: str) -> str:
    """The `detail` (or `title`) of a problem+json body; other text as it is, shortened."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    if isinstance(data, dict):
        for key in ("detail", "title", "message"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])
    return body.strip()[:200]


def window_message(text: str) -> str:
    """An engine or transport error as the window shows it."""
    answered = ANSWERED.match(text)
    if answered:
        status, body = int(answered[1]), answered[2] or ""
        body = re.sub(r"\s*\(check [^)]*\)\s*$", "", body)
        fallback = "is unavailable right now" if status >= 500 else "answered with an error"
        what = STATUS_WORDS.get(status, fallback)
        detail = _problem_detail(body) if body else ""
        text = f"The platform {what} (HTTP {status})" + (f": {detail}" if detail else ".")
        if status in (401, 403):
            text += " Check the device key field."
        return text
    text = text.replace("; delete it to start over", "; use “Reset saved state” to start over")
    text = text.replace(" (or an admin --token)", "")
    for option, label in OPTION_LABELS.items():
        text = re.sub(rf"(?<![\w-]){re.escape(option)}(?![\w-])", label, text)
    return text[:1].upper() + text[1:]


def local_time(timestamp_ms: int) -> str:
    """Epoch milliseconds in this computer's time zone, e.g. `2026-01-01 21:50:00 EET`."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
