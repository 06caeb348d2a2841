"""Per-device resume state: the index of the last confirmed reading and its stable stamps."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sensor_client.errors import StateError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

DEFAULT_STATE_DIR = Path.home() / ".energy-sensor"
STATE_VERSION = 1


@dataclass(slots=True)
class DeviceState:
    """What a restarted client needs to continue without loss or new duplicates."""

    device_id: str
    source_sha256: str
    total: int
    start_ms: int | None = None
    interval_ms: int | None = None
    next_index: int = 0  # readings before this index are confirmed by the destination
    last_ms: int | None = None  # stamp of the last confirmed reading
    pending: dict[int, int] = field(default_factory=dict)  # index -> stamp sent, unconfirmed

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to disk."""
        return {
            "version": STATE_VERSION,
            "device_id": self.device_id,
            "source_sha256": self.source_sha256,
            "total": self.total,
            "start_ms": self.start_ms,
            "interval_ms": self.interval_ms,
            "next_index": self.next_index,
            "last_ms": self.last_ms,
            "pending": {str(k): v for k, v in self.pending.items()},
        }


@contextmanager
def device_lock(path: Path) -> Iterator[None]:
    """Hold `<state>.lock` so two clients never publish for the same device at once."""
    if fcntl is None:  # Windows: no advisory locks; one client per device is up to the user
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = (path.parent / f"{path.name}.lock").open("a")
    except OSError as exc:
        raise StateError(f"cannot create a lock beside {path}: {exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StateError(f"another sensor client is running with state file {path}") from None
        yield


def state_path(state_dir: Path, device_id: str) -> Path:
    """The state file of one device."""
    return state_dir / f"{device_id}.json"


def load_state(path: Path) -> DeviceState | None:
    """Read a state file; None when there is none yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DeviceState(
            device_id=str(data["device_id"]),
            source_sha256=str(data["source_sha256"]),
            total=int(data["total"]),
            start_ms=None if data["start_ms"] is None else int(data["start_ms"]),
            interval_ms=None if data["interval_ms"] is None else int(data["interval_ms"]),
            next_index=int(data["next_index"]),
            last_ms=None if data.get("last_ms") is None else int(data["last_ms"]),
            pending={int(k): int(v) for k, v in data.get("pending", {}).items()},
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(
            f"state file {path} is unreadable ({exc}); delete it to start over"
        ) from None


def save_state(path: Path, state: DeviceState) -> None:
    """Write the state atomically (temp file + rename) so a crash never leaves half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_dict(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise StateError(f"cannot write state file {path}: {exc}") from None
